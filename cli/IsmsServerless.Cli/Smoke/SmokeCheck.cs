using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Engine;
using IsmsServerless.Heartbeats;
using IsmsServerless.Model;
using IsmsServerless.Settings;

namespace IsmsServerless.Cli.Smoke;

/// <summary>One step of the report.</summary>
public sealed record SmokeStep(string Name, bool Passed, string Detail);

/// <summary>
/// The post-deploy smoke check (<c>./isms smoke --stack NAME</c>): invokes the ingest function with a bundled real
/// event, reads the finding back from the ledger, checks that the sweep ran recently, that the alert queue is
/// reachable and the dead-letter queues are empty, and that the status page answers; then removes its test finding.
/// Every step runs (a failure does not hide the later ones) and is reported pass/fail.
/// </summary>
public sealed class SmokeCheck(ISmokeTarget target, TimeProvider clock)
{
    /// <summary>The bundled event: a real EventBridge "AWS Console Sign In via CloudTrail" for root without MFA (samples/events/SOURCES.md).</summary>
    public const string EventResource = "smoke-event.json";

    public static byte[] BundledEvent()
    {
        using var stream = typeof(SmokeCheck).Assembly.GetManifestResourceStream(EventResource)
            ?? throw new InvalidOperationException("the smoke event is not embedded in the CLI");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    public async Task<IReadOnlyList<SmokeStep>> RunAsync(string stackName, CancellationToken cancellationToken = default)
    {
        var steps = new List<SmokeStep>();
        SmokeStack stack;
        try
        {
            stack = await target.DescribeStackAsync(stackName, cancellationToken).ConfigureAwait(false);
            steps.Add(new("stack outputs", true, $"table {stack.TableName}, ingest function {stack.IngestFunction}"));
        }
        catch (SmokeException ex)
        {
            steps.Add(new("stack outputs", false, ex.Message));
            return steps;
        }

        // The finding the event must produce, from the same engine the function runs (one evaluation path).
        var payload = BundledEvent();
        var expected = RuleEngine.CreateDefault().Evaluate(payload, new EvaluationContext(IsmsSettings.Default, clock))
            .Evaluations.Where(e => e.Outcome == Outcome.Finding).Select(e => e.FindingId).Distinct().ToList();
        var ingested = await Step(steps, "ingest function", async () =>
        {
            var response = await target.InvokeAsync(stack.IngestFunction, payload, cancellationToken).ConfigureAwait(false);
            using var document = JsonDocument.Parse(response);
            var root = document.RootElement;
            if (root.TryGetProperty("rejected", out var rejected) && rejected.GetBoolean()) throw new SmokeException($"the function rejected the event: {response}");
            var findings = root.TryGetProperty("findings", out var f) ? f.GetInt32() : 0;
            if (findings < 1) throw new SmokeException($"the function evaluated the event but reported no finding: {response}");
            return $"{findings} finding(s) recorded: {response}";
        }).ConfigureAwait(false);

        var keys = expected.Select(id => new Dictionary<string, AttributeValue>
        {
            ["PK"] = new() { S = "FINDING#" + id },
            ["SK"] = new() { S = "META" },
        }).ToList();
        if (ingested)
        {
            await Step(steps, "finding in the ledger", async () =>
            {
                foreach (var key in keys)
                {
                    var item = await target.Dynamo.GetItemAsync(new GetItemRequest { TableName = stack.TableName, Key = key, ConsistentRead = true }, cancellationToken).ConfigureAwait(false);
                    if (item.Item is not { Count: > 0 }) throw new SmokeException($"{key["PK"].S} is not in table {stack.TableName}");
                }
                return $"{keys.Count} finding(s) read back from {stack.TableName}";
            }).ConfigureAwait(false);
        }
        else steps.Add(new("finding in the ledger", false, "skipped: the ingest step failed"));

        await Step(steps, "sweep ran recently", async () =>
        {
            var snapshot = await HeartbeatReader.ReadAsync(target.Dynamo, stack.TableName, cancellationToken).ConfigureAwait(false);
            var last = snapshot.Heartbeats.Where(h => h.Source == HeartbeatSources.Sweep).Select(h => (DateTimeOffset?)h.LastSeenAt).Max();
            var limit = TimeSpan.FromMinutes(stack.SweepIntervalMinutes * 3);
            if (last is null) throw new SmokeException("no sweep heartbeat in the ledger: check the schedule rule and the sweep function's errors");
            var age = clock.GetUtcNow() - last.Value;
            if (age > limit) throw new SmokeException($"last sweep {last:O}, {age.TotalMinutes:0} minutes ago (more than 3 intervals of {stack.SweepIntervalMinutes})");
            return $"last sweep {last:O}";
        }).ConfigureAwait(false);

        await Step(steps, "alert queue", async () =>
        {
            var depth = await target.QueueDepthAsync(stack.AlertQueueUrl, cancellationToken).ConfigureAwait(false);
            return $"reachable, {depth} message(s) waiting";
        }).ConfigureAwait(false);

        await Step(steps, "dead-letter queues empty", async () =>
        {
            var full = new List<string>();
            foreach (var url in stack.DeadLetterQueueUrls)
            {
                var depth = await target.QueueDepthAsync(url, cancellationToken).ConfigureAwait(false);
                if (depth > 0) full.Add($"{url} holds {depth}");
            }
            if (full.Count > 0) throw new SmokeException("dead-lettered messages: " + string.Join("; ", full) + " (docs/deploy.md, Alarms)");
            return $"{stack.DeadLetterQueueUrls.Count} queue(s) empty";
        }).ConfigureAwait(false);

        await Step(steps, "status page answers", async () =>
        {
            var status = await target.HttpGetAsync(stack.StatusPageUrl, cancellationToken).ConfigureAwait(false);
            if (status != 200) throw new SmokeException($"GET {stack.StatusPageUrl} answered {status}");
            return $"GET {stack.StatusPageUrl}: 200";
        }).ConfigureAwait(false);

        await Step(steps, "test finding removed", async () =>
        {
            var removed = 0;
            foreach (var key in keys) removed += await DeletePartitionAsync(target.Dynamo, stack.TableName, key["PK"].S, cancellationToken).ConfigureAwait(false);
            return $"{removed} item(s) of the test finding deleted";
        }).ConfigureAwait(false);
        return steps;
    }

    /// <summary>Every item of the finding's partition (META, history, alert items).</summary>
    private static async Task<int> DeletePartitionAsync(IAmazonDynamoDB dynamo, string table, string partition, CancellationToken cancellationToken)
    {
        var deleted = 0;
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = table,
                KeyConditionExpression = "PK = :pk",
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":pk"] = new() { S = partition } },
                ProjectionExpression = "PK, SK",
                ExclusiveStartKey = start,
            }, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Items ?? [])
            {
                await dynamo.DeleteItemAsync(new DeleteItemRequest { TableName = table, Key = item }, cancellationToken).ConfigureAwait(false);
                deleted++;
            }
            start = page.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (start is not null);
        return deleted;
    }

    private static async Task<bool> Step(List<SmokeStep> steps, string name, Func<Task<string>> run)
    {
        try
        {
            steps.Add(new(name, true, await run().ConfigureAwait(false)));
            return true;
        }
        catch (Exception ex) when (ex is SmokeException or AmazonDynamoDBException or Amazon.Runtime.AmazonClientException or HttpRequestException
            or TaskCanceledException or JsonException or FormatException or IOException)
        {
            steps.Add(new(name, false, ex.Message));
            return false;
        }
    }

    /// <summary>The report: one line per step, then a verdict line.</summary>
    public static string Report(string stackName, IReadOnlyList<SmokeStep> steps)
    {
        var lines = steps.Select(s => $"{(s.Passed ? "PASS" : "FAIL")}  {s.Name}: {s.Detail}").ToList();
        var failed = steps.Count(s => !s.Passed);
        lines.Add(failed == 0 ? $"smoke {stackName}: all {steps.Count} steps passed" : $"smoke {stackName}: {failed} of {steps.Count} steps failed");
        return string.Join(Environment.NewLine, lines);
    }
}

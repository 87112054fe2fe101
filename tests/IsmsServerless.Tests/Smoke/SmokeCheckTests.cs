using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Cli.Smoke;
using IsmsServerless.Functions;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Smoke;

/// <summary>
/// <c>./isms smoke</c> run locally as far as it goes: DynamoDB Local holds the ledger, and the real ingest and sweep
/// handlers run in-process behind the same <see cref="ISmokeTarget"/> seam the AWS CLI target implements. Queue depths
/// and the page's HTTP status are the seam's answers (no SQS or API Gateway here).
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class SmokeCheckTests(DynamoDbLocalFixture dynamo)
{
    private const string Stack = "IsmsServerless";

    [Fact]
    public async Task A_healthy_stack_passes_every_step_and_the_test_finding_is_removed()
    {
        await WithHandlersAsync(async (table, clock) =>
        {
            await SweepAsync();
            clock.Advance(TimeSpan.FromMinutes(5));
            var target = new LocalSmokeTarget(dynamo.Client, table);

            var steps = await new SmokeCheck(target, clock).RunAsync(Stack);

            Assert.All(steps, s => Assert.True(s.Passed, $"{s.Name}: {s.Detail}"));
            Assert.Equal(["stack outputs", "ingest function", "finding in the ledger", "sweep ran recently", "alert queue", "dead-letter queues empty",
                "status page answers", "test finding removed"], steps.Select(s => s.Name));
            Assert.Equal(1, target.Invocations);
            Assert.Empty(await FindingItemsAsync(table));
            Assert.EndsWith($"smoke {Stack}: all 8 steps passed", SmokeCheck.Report(Stack, steps), StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task A_stale_sweep_dead_letters_and_a_failing_page_each_fail_their_step_and_the_finding_is_still_removed()
    {
        await WithHandlersAsync(async (table, clock) =>
        {
            await SweepAsync();
            clock.Advance(TimeSpan.FromMinutes(46)); // more than 3 intervals of 15 minutes
            var target = new LocalSmokeTarget(dynamo.Client, table) { PageStatus = 503 };
            target.Depths["https://sqs.local/ingest-dlq"] = 2;

            var steps = await new SmokeCheck(target, clock).RunAsync(Stack);

            var failed = steps.Where(s => !s.Passed).ToDictionary(s => s.Name, s => s.Detail);
            Assert.Equal(["sweep ran recently", "dead-letter queues empty", "status page answers"], failed.Keys);
            Assert.Contains("46 minutes ago", failed["sweep ran recently"], StringComparison.Ordinal);
            Assert.Contains("https://sqs.local/ingest-dlq holds 2", failed["dead-letter queues empty"], StringComparison.Ordinal);
            Assert.Contains("answered 503", failed["status page answers"], StringComparison.Ordinal);
            Assert.Empty(await FindingItemsAsync(table));
            Assert.Contains("FAIL  sweep ran recently", SmokeCheck.Report(Stack, steps), StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task A_stack_without_the_smoke_outputs_fails_the_first_step_with_the_fix()
    {
        var target = new LocalSmokeTarget(dynamo.Client, "unused") { Outputs = new Dictionary<string, string> { ["LedgerTableName"] = "t" } };

        var steps = await new SmokeCheck(target, TimeProvider.System).RunAsync(Stack);

        var step = Assert.Single(steps);
        Assert.False(step.Passed);
        Assert.Contains("has no output IngestFunctionName; deploy this version of the stack", step.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_ingest_function_that_reports_no_finding_fails_and_nothing_is_read_back()
    {
        await WithHandlersAsync(async (table, clock) =>
        {
            await SweepAsync();
            var target = new LocalSmokeTarget(dynamo.Client, table) { Response = """{"evaluations":0,"findings":0,"created":0,"resolved":0,"alerts":0,"rejected":false}""" };

            var steps = await new SmokeCheck(target, clock).RunAsync(Stack);

            Assert.False(steps.Single(s => s.Name == "ingest function").Passed);
            var readBack = steps.Single(s => s.Name == "finding in the ledger");
            Assert.False(readBack.Passed);
            Assert.StartsWith("skipped", readBack.Detail, StringComparison.Ordinal);
        });
    }

    /// <summary>Items left in the partitions of the findings the bundled event produces (root sign-in, no MFA: more than one rule).</summary>
    private async Task<List<Dictionary<string, AttributeValue>>> FindingItemsAsync(string table)
    {
        var ids = IsmsServerless.Engine.RuleEngine.CreateDefault().Evaluate(SmokeCheck.BundledEvent(), TestContexts.At("2026-01-01T00:00:00Z"))
            .Evaluations.Where(e => e.Outcome == IsmsServerless.Model.Outcome.Finding).Select(e => e.FindingId).Distinct().ToList();
        Assert.NotEmpty(ids);
        var left = new List<Dictionary<string, AttributeValue>>();
        foreach (var id in ids)
        {
            var items = await dynamo.Client.QueryAsync(new QueryRequest
            {
                TableName = table,
                KeyConditionExpression = "PK = :pk",
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":pk"] = new() { S = "FINDING#" + id } },
            });
            left.AddRange(items.Items ?? []);
        }
        return left;
    }

    private async Task WithHandlersAsync(Func<string, FakeTimeProvider, Task> run)
    {
        var table = await dynamo.NewTableAsync();
        var clock = TestContexts.ClockAt("2026-01-01T00:00:00Z");
        Environment.SetEnvironmentVariable(FunctionHost.TableNameVariable, table);
        Environment.SetEnvironmentVariable(FunctionHost.DynamoDbEndpointVariable, dynamo.Endpoint);
        Environment.SetEnvironmentVariable("ISMS_ACCOUNT_ID", "123456789012");
        Environment.SetEnvironmentVariable("AWS_REGION", "us-east-1");
        try
        {
            FunctionHost.ResetForTests();
            FunctionHost.Clock = clock;
            await run(table, clock);
        }
        finally
        {
            Environment.SetEnvironmentVariable(FunctionHost.TableNameVariable, null);
            Environment.SetEnvironmentVariable(FunctionHost.DynamoDbEndpointVariable, null);
            Environment.SetEnvironmentVariable("ISMS_ACCOUNT_ID", null);
            Environment.SetEnvironmentVariable("AWS_REGION", null);
            FunctionHost.Clock = TimeProvider.System;
            FunctionHost.ResetForTests();
        }
    }

    private static async Task SweepAsync()
    {
        using var input = new MemoryStream("{\"detail-type\":\"Scheduled Event\",\"source\":\"aws.events\",\"detail\":{}}"u8.ToArray());
        await (await new SweepFunction().HandleAsync(input)).DisposeAsync();
    }

    /// <summary>The local stack: outputs like IsmsStack's, the ingest handler in-process, DynamoDB Local.</summary>
    private sealed class LocalSmokeTarget(IAmazonDynamoDB client, string table) : ISmokeTarget
    {
        public Dictionary<string, string> Outputs { get; init; } = new()
        {
            [SmokeOutputs.Table] = table,
            [SmokeOutputs.Ingest] = "local-ingest",
            [SmokeOutputs.AlertQueue] = "https://sqs.local/alerts",
            [SmokeOutputs.DeadLetterQueues] = "https://sqs.local/ingest-dlq,https://sqs.local/slack-dlq,https://sqs.local/pipe-dlq",
            [SmokeOutputs.StatusPage] = "https://page.local/",
            [SmokeOutputs.SweepInterval] = "15",
        };

        public Dictionary<string, long> Depths { get; } = [];

        public int PageStatus { get; init; } = 200;

        /// <summary>A canned response instead of running the handler (a function that evaluates nothing).</summary>
        public string? Response { get; init; }

        public int Invocations { get; private set; }

        public IAmazonDynamoDB Dynamo => client;

        public Task<SmokeStack> DescribeStackAsync(string stackName, CancellationToken cancellationToken) =>
            Task.FromResult(SmokeOutputs.Parse(stackName, Outputs));

        public async Task<string> InvokeAsync(string functionName, byte[] payload, CancellationToken cancellationToken)
        {
            Invocations++;
            if (Response is not null) return Response;
            using var input = new MemoryStream(payload);
            await using var output = await new EventIngestFunction().HandleAsync(input);
            using var reader = new StreamReader(output);
            return await reader.ReadToEndAsync(cancellationToken);
        }

        public Task<long> QueueDepthAsync(string queueUrl, CancellationToken cancellationToken) =>
            Task.FromResult(Depths.GetValueOrDefault(queueUrl));

        public Task<int> HttpGetAsync(string url, CancellationToken cancellationToken) => Task.FromResult(PageStatus);
    }
}

using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Pipeline;
using IsmsServerless.Tests.Ledger;
using IsmsServerless.Tests.Support;
using Xunit.Abstractions;

namespace IsmsServerless.Tests.Robustness;

/// <summary>
/// Issue 20: a transition's alert is put after the finding's transaction, not in it. These tests kill the write exactly
/// between the two (the first put of every alert is faulted and the client does not retry, so the invocation fails as a
/// process that died there would) and show that the redelivery, or a later observation of the finding, puts the alert:
/// every table item and the set of alerts end as a clean run leaves them, and the table's stream (what the alert Pipe
/// reads) carries one INSERT per alert. A transaction that failed puts no alert at all.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class OutboxCrashTests(DynamoDbLocalFixture dynamo, ITestOutputHelper output)
{
    [Theory]
    // The process dies before the alert put reaches the store.
    [InlineData(Fault.DropBeforeForward)]
    // The store applies the put, the answer is lost, and the process dies.
    [InlineData(Fault.DropAfterForward)]
    public async Task A_process_killed_between_the_finding_write_and_its_alert_put_is_repaired_by_the_redelivery(Fault fault)
    {
        var events = RobustnessEvents.Load(variants: 2);
        var cleanTable = await NewStreamedTableAsync("outbox-clean");
        var (cleanAlerts, cleanRetries) = await ReplayAsync(dynamo.Client, cleanTable, events);
        var clean = await TableSnapshot.TakeAsync(dynamo.Client, cleanTable);
        Assert.Equal(0, cleanRetries);
        Assert.NotEmpty(cleanAlerts);

        var crashTable = await NewStreamedTableAsync("outbox-crash");
        // Each alert's put is killed once, when it directly follows the finding's transaction (exactly between the two):
        // that put and every retry of it fail until the invocation gives up, as a process that died there never sends it.
        var killed = new HashSet<string>(StringComparer.Ordinal);
        string? dying = null;
        var afterTransaction = false;
        await using var proxy = new FaultProxy(new Uri(dynamo.Endpoint), (_, operation, body) =>
        {
            lock (killed)
            {
                var follows = afterTransaction;
                // The finding's write: a transaction, or (a new finding, issue 20's counters from the stream) its conditional put.
                afterTransaction = operation.EndsWith(".TransactWriteItems", StringComparison.Ordinal)
                    || (operation.EndsWith(".PutItem", StringComparison.Ordinal) && IsFindingPut(body));
                if (!operation.EndsWith(".PutItem", StringComparison.Ordinal) || AlertKeyOf(body) is not { } key) return Fault.None;
                if (key == dying) return fault;
                if (!follows || !killed.Add(key)) return Fault.None;
                dying = key;
                return fault;
            }
        });
        using var client = new AmazonDynamoDBClient(new BasicAWSCredentials("local", "local"),
            new AmazonDynamoDBConfig { ServiceURL = proxy.Endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });
        var (crashAlerts, retries) = await ReplayAsync(client, crashTable, events, onFailure: () => { lock (killed) dying = null; });
        output.WriteLine($"{events.Count} events, {cleanAlerts.Count} alerts; {killed.Count} alert puts killed ({fault} injected {proxy.Injected(fault)} times); whole-event redeliveries: {retries}");

        // Every alert's put was killed, and each kill failed its invocation.
        Assert.Equal(cleanAlerts.Count, killed.Count);
        Assert.Equal(cleanAlerts.Count, retries);
        var crashed = await TableSnapshot.TakeAsync(dynamo.Client, crashTable);
        Assert.True(clean.SetEquals(crashed), TableSnapshot.Difference(clean, crashed));
        // Never an alert the clean run did not raise. (Which delivery reports an alert differs under faults: a put whose answer
        // was lost is not reported by anyone, and a deletion's repair is not reported by CloseResourceFindingsAsync's count;
        // the table and its stream above and below are what is sent.)
        Assert.True(crashAlerts.IsSubsetOf(cleanAlerts), $"{crashAlerts.Except(cleanAlerts).Count()} alerts reported under faults that the clean run never raised");
        // What the alert Pipe reads: one INSERT per alert, in both tables.
        var cleanInserts = await AlertInsertsAsync(cleanTable);
        var crashInserts = await AlertInsertsAsync(crashTable);
        Assert.Equal(cleanAlerts.Count, cleanInserts.Count);
        Assert.All(cleanInserts, pair => Assert.Equal(1, pair.Value));
        Assert.Equal(cleanInserts, crashInserts);
    }

    [Fact]
    public async Task A_later_observation_repairs_an_alert_whose_put_was_lost_and_the_table_equals_a_clean_run()
    {
        var at = DateTimeOffset.Parse("2026-02-27T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var first = LedgerTestKit.Finding(LedgerTestKit.PatchRule, "i-0outbox", at);
        var later = LedgerTestKit.Finding(LedgerTestKit.PatchRule, "i-0outbox", at.AddMinutes(5));

        var clean = await LedgerTestKit.CreateAsync(dynamo);
        var cleanFirst = await clean.Ledger.RecordAsync([first], clean.Context);
        var cleanLater = await clean.Ledger.RecordAsync([later], clean.Context);
        Assert.Single(cleanFirst.AlertIds);
        Assert.Empty(cleanLater.AlertIds);

        var kit = await LedgerTestKit.CreateAsync(dynamo);
        await using var proxy = new FaultProxy(new Uri(dynamo.Endpoint), (_, operation, body) =>
            operation.EndsWith(".PutItem", StringComparison.Ordinal) && AlertKeyOf(body) is not null ? Fault.DropBeforeForward : Fault.None);
        using (var client = new AmazonDynamoDBClient(new BasicAWSCredentials("local", "local"),
            new AmazonDynamoDBConfig { ServiceURL = proxy.Endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 }))
        {
            var dying = new DynamoDbFindingLedger(client, kit.Table, kit.Settings);
            await Assert.ThrowsAnyAsync<Exception>(() => dying.RecordAsync([first], kit.Context));
        }
        Assert.True(proxy.Injected(Fault.DropBeforeForward) > 0);
        // The transition is stored and names the alert it owes; the alert is not stored.
        var stored = await kit.Ledger.GetAsync(first.FindingId);
        Assert.NotNull(stored);
        var owed = Assert.Single(stored.OwedAlerts ?? []);
        Assert.Equal(cleanFirst.AlertIds[0], owed.AlertId);
        Assert.Empty(await kit.Ledger.QueryAlertsAsync(DateOnly.FromDateTime(kit.Now.UtcDateTime)));

        // The event is never redelivered; the next observation of the finding (a re-detection) puts the alert, then drops the name.
        var repaired = await kit.Ledger.RecordAsync([later], kit.Context);
        Assert.Equal([owed.AlertId], repaired.AlertIds);
        Assert.Null((await kit.Ledger.GetAsync(first.FindingId))!.OwedAlerts);
        var expected = await TableSnapshot.TakeAsync(dynamo.Client, clean.Table);
        var actual = await TableSnapshot.TakeAsync(dynamo.Client, kit.Table);
        Assert.True(expected.SetEquals(actual), TableSnapshot.Difference(expected, actual));
    }

    [Fact]
    public async Task A_concurrent_writer_that_repairs_an_alert_before_its_raiser_puts_it_leaves_one_alert_and_one_distinct_id()
    {
        // The race the eight-writer test meets by chance, made exact: writer A creates the finding (it owes its alert), and
        // its alert put is held at the proxy while writer B records the same violation, finds the alert owed and absent, and
        // puts it. A's put then finds it stored. The outbox holds one alert, the table equals a clean run, and the two
        // results name one id (both calls ensured it: LedgerWriteResult.AlertIds; totals count distinct ids).
        var at = DateTimeOffset.Parse("2026-02-27T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var violation = LedgerTestKit.Finding(LedgerTestKit.PatchRule, "i-0repairrace", at);
        var clean = await LedgerTestKit.CreateAsync(dynamo);
        var cleanResult = await clean.Ledger.RecordAsync([violation], clean.Context);
        var alertId = Assert.Single(cleanResult.AlertIds);

        var kit = await LedgerTestKit.CreateAsync(dynamo);
        using var held = new ManualResetEventSlim(false);
        using var release = new ManualResetEventSlim(false);
        await using var proxy = new FaultProxy(new Uri(dynamo.Endpoint), (_, operation, body) =>
        {
            if (operation.EndsWith(".PutItem", StringComparison.Ordinal) && AlertKeyOf(body) is not null && !held.IsSet)
            {
                held.Set();
                Assert.True(release.Wait(TimeSpan.FromSeconds(60)), "the repairing writer did not finish");
            }
            return Fault.None;
        });
        using var client = new AmazonDynamoDBClient(new BasicAWSCredentials("local", "local"),
            new AmazonDynamoDBConfig { ServiceURL = proxy.Endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });
        var raiser = Task.Run(() => new DynamoDbFindingLedger(client, kit.Table, kit.Settings).RecordAsync([violation], kit.Context));
        Assert.True(held.Wait(TimeSpan.FromSeconds(60)), "the raiser never reached its alert put");
        // The finding is stored and owes the alert; the alert is not stored yet.
        Assert.Equal(alertId, Assert.Single((await kit.Ledger.GetAsync(violation.FindingId))!.OwedAlerts ?? []).AlertId);
        Assert.Empty(await kit.AlertsTodayAsync());

        var repairer = await new DynamoDbFindingLedger(dynamo.Client, kit.Table, kit.Settings).RecordAsync([violation], kit.Context);
        Assert.Equal(1, repairer.Unchanged);
        Assert.Equal([alertId], repairer.AlertIds);
        release.Set();
        var raised = await raiser;

        Assert.Equal(1, raised.Created);
        Assert.Equal([alertId], raised.AlertIds);
        Assert.Single(new[] { raised, repairer }.SelectMany(r => r.AlertIds).Distinct());
        Assert.Equal(alertId, Assert.Single(await kit.AlertsTodayAsync()).AlertId);
        var expected = await TableSnapshot.TakeAsync(dynamo.Client, clean.Table);
        var actual = await TableSnapshot.TakeAsync(dynamo.Client, kit.Table);
        Assert.True(expected.SetEquals(actual), TableSnapshot.Difference(expected, actual));
    }

    [Fact]
    public async Task A_transaction_that_failed_puts_no_alert_and_its_redelivery_puts_one()
    {
        var kit = await LedgerTestKit.CreateAsync(dynamo);
        var violation = LedgerTestKit.Finding(LedgerTestKit.PatchRule, "i-0nofire", kit.Now.AddMinutes(-1));
        // The finding's write fails: a transaction, or a new finding's conditional put (issue 20).
        await using var proxy = new FaultProxy(new Uri(dynamo.Endpoint), (_, operation, body) =>
            operation.EndsWith(".TransactWriteItems", StringComparison.Ordinal) || (operation.EndsWith(".PutItem", StringComparison.Ordinal) && IsFindingPut(body))
                ? Fault.DropBeforeForward : Fault.None);
        using (var client = new AmazonDynamoDBClient(new BasicAWSCredentials("local", "local"),
            new AmazonDynamoDBConfig { ServiceURL = proxy.Endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 }))
        {
            var dying = new DynamoDbFindingLedger(client, kit.Table, kit.Settings);
            await Assert.ThrowsAnyAsync<Exception>(() => dying.RecordAsync([violation], kit.Context));
        }
        Assert.True(proxy.Injected(Fault.DropBeforeForward) > 0);
        Assert.Empty(TableSnapshot.OfType(await TableSnapshot.TakeAsync(dynamo.Client, kit.Table), LedgerItems.AlertEntity));
        Assert.Null(await kit.Ledger.GetAsync(violation.FindingId));

        var redelivered = await kit.Ledger.RecordAsync([violation], kit.Context);
        Assert.Single(redelivered.AlertIds);
        Assert.Single(TableSnapshot.OfType(await TableSnapshot.TakeAsync(dynamo.Client, kit.Table), LedgerItems.AlertEntity));
    }

    [Theory]
    // The process dies before the detection line's put reaches the store.
    [InlineData(Fault.DropBeforeForward)]
    // The store applies the line's put, the answer is lost, and the process dies.
    [InlineData(Fault.DropAfterForward)]
    public async Task A_process_killed_at_its_owed_line_put_is_repaired_by_the_redelivery(Fault fault)
    {
        // Issue 20: a new finding's created line is named by the finding and put by the finding's next write, before that
        // write (wave 7; wave 6 put it right after the creating transaction). A kill there is a failed invocation.
        var events = RobustnessEvents.Load(variants: 2);
        var cleanTable = await NewStreamedTableAsync("line-clean");
        var (cleanAlerts, cleanRetries) = await ReplayAsync(dynamo.Client, cleanTable, events);
        var clean = await TableSnapshot.TakeAsync(dynamo.Client, cleanTable);
        Assert.Equal(0, cleanRetries);
        // The created lines a later write paid (the others are still owed by their findings, and shown from them).
        var owing = TableSnapshot.OfType(clean, LedgerItems.HistoryEntity).Count(i => i.Contains("action=S:created;", StringComparison.Ordinal));
        Assert.True(owing > 0, "no finding was written after its creation");

        var crashTable = await NewStreamedTableAsync("line-crash");
        var killed = new HashSet<string>(StringComparer.Ordinal);
        string? dying = null;
        await using var proxy = new FaultProxy(new Uri(dynamo.Endpoint), (_, operation, body) =>
        {
            lock (killed)
            {
                if (!operation.EndsWith(".PutItem", StringComparison.Ordinal) || OwedLineKeyOf(body) is not { } key) return Fault.None;
                if (key == dying) return fault;
                if (!killed.Add(key)) return Fault.None;
                dying = key;
                return fault;
            }
        });
        using var client = new AmazonDynamoDBClient(new BasicAWSCredentials("local", "local"),
            new AmazonDynamoDBConfig { ServiceURL = proxy.Endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });
        var (crashAlerts, retries) = await ReplayAsync(client, crashTable, events, onFailure: () => { lock (killed) dying = null; });
        output.WriteLine($"{events.Count} events, {owing} created lines in the clean run; {killed.Count} line puts killed ({fault} injected {proxy.Injected(fault)} times); redeliveries: {retries}");

        // Every paid line's put was killed once (each a failed invocation), and the redelivery settled it. (More kills than
        // created lines: a late earlier violation turns a created line into a reopened one.)
        Assert.True(killed.Count >= owing, $"{killed.Count} line puts killed, {owing} created lines");
        Assert.Equal(killed.Count, retries);
        var crashed = await TableSnapshot.TakeAsync(dynamo.Client, crashTable);
        Assert.True(clean.SetEquals(crashed), TableSnapshot.Difference(clean, crashed));
        Assert.True(crashAlerts.IsSubsetOf(cleanAlerts));
        Assert.Equal(await AlertInsertsAsync(cleanTable), await AlertInsertsAsync(crashTable));
    }

    [Fact]
    public async Task A_new_findings_line_is_owed_until_its_next_write_which_puts_it_from_the_version_it_read()
    {
        // Issue 20, wave 7: the created line is paid lazily. A finding that never changes never pays for it; a redelivery
        // does not pay for it; the next write puts it, built from the creating version, so a later message does not leak in.
        var at = DateTimeOffset.Parse("2026-02-27T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var first = LedgerTestKit.Finding(LedgerTestKit.PatchRule, "i-0owedline", at);
        var later = LedgerTestKit.Finding(LedgerTestKit.PatchRule, "i-0owedline", at.AddMinutes(5)) with { Message = "still missing, rescanned" };
        var kit = await LedgerTestKit.CreateAsync(dynamo);

        var created = await kit.Ledger.RecordAsync([first], kit.Context);
        Assert.Single(created.AlertIds);
        var owing = await kit.Ledger.GetAsync(first.FindingId);
        Assert.Equal("created", owing!.OwedLine);
        var table = await TableSnapshot.TakeAsync(dynamo.Client, kit.Table);
        Assert.Empty(TableSnapshot.OfType(table, LedgerItems.HistoryEntity));
        Assert.Single(TableSnapshot.OfType(table, LedgerItems.AlertEntity));
        // Every reader (status page timeline, audit package, exports: all through GetHistoryAsync) sees the line the finding owes.
        var history = await kit.Ledger.GetHistoryAsync(first.FindingId);
        var line = Assert.Single(history);
        Assert.Equal(("created", "rule:" + LedgerTestKit.PatchRule.Id, first.Message, kit.Now), (line.Action, line.Actor, line.Reason, line.At));

        // A redelivery changes nothing and pays nothing: the table is exactly as it was.
        var duplicate = await kit.Ledger.RecordAsync([first], kit.Context);
        Assert.Equal(1, duplicate.Unchanged);
        var afterDuplicate = await TableSnapshot.TakeAsync(dynamo.Client, kit.Table);
        Assert.True(table.SetEquals(afterDuplicate), TableSnapshot.Difference(table, afterDuplicate));

        // The next observation (a re-detection with another message) puts the line as the creating version owed it.
        kit.Clock.Advance(TimeSpan.FromMinutes(10));
        await kit.Ledger.RecordAsync([later], kit.Context);
        var updated = await kit.Ledger.GetAsync(first.FindingId);
        Assert.Null(updated!.OwedLine);
        Assert.Equal(later.Message, updated.Message);
        var stored = await kit.Dynamo.Client.GetItemAsync(new GetItemRequest
        {
            TableName = kit.Table,
            Key = new() { ["PK"] = new() { S = LedgerKeys.Finding(first.FindingId) }, ["SK"] = new() { S = LedgerKeys.HistoryPrefix + owing.TimelineHead } },
            ConsistentRead = true,
        });
        Assert.Equal(TableSnapshot.Canonical(OutboxMarker.LineItem(owing, kit.Settings.ResolvedRetentionDays)!), TableSnapshot.Canonical(stored.Item));
        Assert.Equal(history, await kit.Ledger.GetHistoryAsync(first.FindingId));
    }

    [Fact]
    public async Task A_recurrence_over_a_kept_history_keeps_its_line_in_the_transaction()
    {
        // A finding whose item expired (TTL) while its history stayed: the new finding's line key may already hold an item
        // a put-if-absent would not replace, so that line is written in the transaction, as before.
        var kit = await LedgerTestKit.CreateAsync(dynamo);
        var violation = LedgerTestKit.Finding(LedgerTestKit.PatchRule, "i-0recur", kit.Now.AddMinutes(-10));
        await kit.Ledger.RecordAsync([violation], kit.Context);
        Assert.Equal("created", (await kit.Ledger.GetAsync(violation.FindingId))!.OwedLine);
        // The next observation pays the line (issue 20, wave 7: the created line is put by the finding's next write).
        await kit.Ledger.RecordAsync([violation with { ObservedAt = kit.Now.AddMinutes(-8) }], kit.Context);
        Assert.Null((await kit.Ledger.GetAsync(violation.FindingId))!.OwedLine);
        await kit.Dynamo.Client.DeleteItemAsync(kit.Table, new Dictionary<string, AttributeValue>
        {
            ["PK"] = new() { S = LedgerKeys.Finding(violation.FindingId) },
            ["SK"] = new() { S = LedgerKeys.Meta },
        });
        await kit.Ledger.RecordAsync([violation with { ObservedAt = kit.Now.AddMinutes(-5), Message = "back" }], kit.Context);
        Assert.Null((await kit.Ledger.GetAsync(violation.FindingId))!.OwedLine);
        Assert.Equal(2, (await kit.Ledger.GetHistoryAsync(violation.FindingId)).Count);
    }

    /// <summary>The key of a PutItem body when it is an owed detection line (a conditional put of a history item).</summary>
    private static string? OwedLineKeyOf(byte[] body)
    {
        if (body.Length == 0) return null;
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        return root.TryGetProperty("ConditionExpression", out _) && root.TryGetProperty("Item", out var item)
            && item.TryGetProperty("SK", out var sk) && sk.TryGetProperty("S", out var s) && s.GetString() is { } key
            && key.StartsWith(LedgerKeys.HistoryPrefix, StringComparison.Ordinal)
            ? item.GetProperty("PK").GetProperty("S").GetString() + "|" + key
            : null;
    }

    /// <summary>The partition key of a PutItem body when it is an alert outbox item.</summary>
    /// <summary>Whether a PutItem body puts a finding item (<c>FINDING#…</c> / <c>META</c>).</summary>
    private static bool IsFindingPut(byte[] body)
    {
        if (body.Length == 0) return false;
        using var json = JsonDocument.Parse(body);
        return json.RootElement.TryGetProperty("Item", out var item)
            && item.TryGetProperty("PK", out var pk) && pk.TryGetProperty("S", out var p) && (p.GetString() ?? "").StartsWith(LedgerKeys.FindingPrefix, StringComparison.Ordinal)
            && item.TryGetProperty("SK", out var sk) && sk.TryGetProperty("S", out var k) && k.GetString() == LedgerKeys.Meta;
    }

    private static string? AlertKeyOf(byte[] body)
    {
        if (body.Length == 0) return null;
        using var json = JsonDocument.Parse(body);
        return json.RootElement.TryGetProperty("Item", out var item) && item.TryGetProperty("PK", out var pk) && pk.TryGetProperty("S", out var s)
            && s.GetString() is { } key && key.StartsWith(LedgerKeys.AlertPrefix, StringComparison.Ordinal)
            ? key
            : null;
    }

    /// <summary>A fresh ledger table; the stack's schema streams it (the alert Pipe's source), as the table in production.</summary>
    private async Task<string> NewStreamedTableAsync(string prefix)
    {
        var table = await dynamo.NewTableAsync(prefix);
        Assert.NotNull((await dynamo.Client.DescribeTableAsync(table)).Table.LatestStreamArn);
        return table;
    }

    /// <summary>
    /// Every INSERT of an alert item in the table's stream, counted by key: what the alert Pipe forwards. The SDK's streams
    /// client is a package NuGet does not serve here, so the DynamoDB Streams JSON API is called directly (DynamoDB Local
    /// checks no signature).
    /// </summary>
    private async Task<Dictionary<string, int>> AlertInsertsAsync(string table)
    {
        using var http = new HttpClient { BaseAddress = new Uri(dynamo.Endpoint) };
        async Task<JsonElement> CallAsync(string operation, object request)
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent(JsonSerializer.Serialize(request)) };
            message.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-amz-json-1.0");
            message.Headers.TryAddWithoutValidation("X-Amz-Target", "DynamoDBStreams_20120810." + operation);
            message.Headers.TryAddWithoutValidation("Authorization", "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0");
            using var response = await http.SendAsync(message);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{operation}: {text}");
            return JsonDocument.Parse(text).RootElement.Clone();
        }
        var arn = (await dynamo.Client.DescribeTableAsync(table)).Table.LatestStreamArn;
        var inserts = new Dictionary<string, int>(StringComparer.Ordinal);
        var description = (await CallAsync("DescribeStream", new { StreamArn = arn })).GetProperty("StreamDescription");
        foreach (var shard in description.GetProperty("Shards").EnumerateArray())
        {
            var iterator = (await CallAsync("GetShardIterator", new { StreamArn = arn, ShardId = shard.GetProperty("ShardId").GetString(), ShardIteratorType = "TRIM_HORIZON" }))
                .GetProperty("ShardIterator").GetString();
            while (iterator is not null)
            {
                var page = await CallAsync("GetRecords", new { ShardIterator = iterator, Limit = 1000 });
                var records = page.GetProperty("Records");
                foreach (var record in records.EnumerateArray())
                {
                    var key = record.GetProperty("dynamodb").GetProperty("Keys").GetProperty("PK").GetProperty("S").GetString() ?? "";
                    if (record.GetProperty("eventName").GetString() != "INSERT" || !key.StartsWith(LedgerKeys.AlertPrefix, StringComparison.Ordinal)) continue;
                    inserts[key] = inserts.GetValueOrDefault(key) + 1;
                }
                iterator = records.GetArrayLength() > 0 && page.TryGetProperty("NextShardIterator", out var next) ? next.GetString() : null;
            }
        }
        Assert.False(description.TryGetProperty("LastEvaluatedShardId", out _), "more shards than one page");
        return inserts;
    }

    /// <summary>Every event through the pipeline; an invocation that fails is redelivered whole, as EventBridge retries. Returns the alerts reported and the redeliveries.</summary>
    private static async Task<(SortedSet<string> Alerts, int Retries)> ReplayAsync(IAmazonDynamoDB client, string table, IReadOnlyList<(string Name, byte[] Bytes)> events,
        Action? onFailure = null)
    {
        var context = RobustnessEvents.Context;
        var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), InputEnrichers.Default(client, table), new DynamoDbFindingLedger(client, table, context.Settings));
        var alerts = new SortedSet<string>(StringComparer.Ordinal);
        var retries = 0;
        foreach (var (name, bytes) in events)
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    var result = await pipeline.ProcessAsync(bytes, context);
                    foreach (var id in result.Ledger.AlertIds) alerts.Add(id);
                    break;
                }
                catch (Exception ex) when (ex is not Xunit.Sdk.XunitException && attempt < 10)
                {
                    // The invocation died; EventBridge delivers the event again to a fresh one.
                    retries++;
                    onFailure?.Invoke();
                }
            }
        }
        return (alerts, retries);
    }
}

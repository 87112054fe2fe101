using System.Globalization;
using Amazon.Runtime.Internal;
using IsmsServerless.Benchmarks.Scale;
using IsmsServerless.Cli.Local;
using IsmsServerless.Compliance;
using IsmsServerless.Engine;
using IsmsServerless.Evidence;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Observability;
using IsmsServerless.Policy;
using IsmsServerless.Settings;

namespace IsmsServerless.Benchmarks;

/// <summary>
/// DynamoDB requests (and RCU) of one controls view at N resources with passing evidence: the evidence is recorded
/// through <see cref="DynamoDbEvidenceStore"/> (the ingest path), spread over every automated rule, then the view is
/// read with the request meter on. Counts requests, never times them. <c>--direct</c> writes the evidence items
/// (result items and every counter shard of every rule, the store's layout) with BatchWriteItem instead, so 100k
/// resources take ~4k requests rather than ~300k. The duty states are read as the page reads them.
/// </summary>
public static class ControlsViewBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var direct = args.Contains("--direct");
        var sizes = (Option(args, "--sizes") ?? "1000,100000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList();
        Log.Target = TextWriter.Null;
        Log.MinimumLevel = LogLevel.Error;
        await using var local = await DynamoDbLocal.StartAsync();
        var meter = new CapacityMeter();
        RuntimePipelineCustomizerRegistry.Instance.Register(meter);
        using var client = DynamoDbLocal.CreateClient(local.Endpoint);
        var registry = RuleRegistry.CreateDefault();
        var rules = registry.Rules.Select(r => r.Metadata).ToList();
        var context = new EvaluationContext(IsmsSettings.Default, new FixedTimeProvider(new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero)));
        Console.WriteLine("| Resources with evidence | Requests per controls view | Of which Query | RCU | Controls |");
        Console.WriteLine("|---:|---:|---:|---:|---:|");
        foreach (var size in sizes)
        {
            var table = "controls-" + Guid.NewGuid().ToString("N")[..8];
            await LedgerTable.CreateIfMissingAsync(client, table);
            var store = new DynamoDbEvidenceStore(client, table, PolicyDocument.Embedded.Version);
            var next = -1;
            if (direct) await WriteDirectAsync(client, table, rules, size, context.Now).ConfigureAwait(false);
            else await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Add(ref next, 100) - 99) < size)
                {
                    var batch = Enumerable.Range(i, Math.Min(100, size - i)).Select(n => new Evaluation
                    {
                        Rule = rules[n % rules.Count],
                        Outcome = n % 10 == 0 ? Outcome.Finding : Outcome.Compliant,
                        ResourceId = "res-" + n.ToString(CultureInfo.InvariantCulture),
                        Message = "benchmark",
                    }).ToList();
                    await store.RecordAsync(batch, "benchmark", context).ConfigureAwait(false);
                }
            }))).ConfigureAwait(false);
            // The duty states as the page reads them (open-obligation index, then one read per duty with nothing open).
            var duties = new Obligations.ObligationControlSources(new Obligations.DynamoObligationStore(client, table, IsmsSettings.Default), IsmsSettings.Default.Duties);
            var service = new ControlsService(store, new DynamoDbFindingLedger(client, table, IsmsSettings.Default), duties, registry);
            meter.Reset();
            var views = await service.GetAsync(context.Now).ConfigureAwait(false);
            var requests = meter.ByOperation.Sum(o => o.Value.Requests);
            var queries = meter.ByOperation.Where(o => o.Key.Contains("Query", StringComparison.Ordinal)).Sum(o => o.Value.Requests);
            var rcu = meter.ByOperation.Sum(o => o.Value.Read);
            var evaluated = views.Sum(v => v.Evaluated);
            Console.WriteLine(FormattableString.Invariant($"| {size} | {requests} | {queries} | {rcu:F1} | {views.Count} (evaluated summed over controls: {evaluated}) |"));
        }
        return 0;
    }

    /// <summary>Result items (<c>PK=EVIDENCE#rule, SK=RES#id</c>) and one counter item per rule, written directly.</summary>
    private static async Task WriteDirectAsync(Amazon.DynamoDBv2.IAmazonDynamoDB client, string table, List<RuleMetadata> rules, int size, DateTimeOffset now)
    {
        static Amazon.DynamoDBv2.Model.AttributeValue S(string v) => new() { S = v };
        static Amazon.DynamoDBv2.Model.AttributeValue N(long v) => new() { N = v.ToString(CultureInfo.InvariantCulture) };
        var at = Timestamps.ToWire(now);
        var requests = Enumerable.Range(0, size).Select(n =>
        {
            var rule = rules[n % rules.Count].Id;
            return new Amazon.DynamoDBv2.Model.WriteRequest(new Amazon.DynamoDBv2.Model.PutRequest(new Dictionary<string, Amazon.DynamoDBv2.Model.AttributeValue>
            {
                ["PK"] = S("EVIDENCE#" + rule), ["SK"] = S("RES#res-" + n.ToString(CultureInfo.InvariantCulture)), ["ruleId"] = S(rule),
                ["result"] = S(n % 10 == 0 ? "fail" : "pass"), ["evaluatedAt"] = S(at), ["observedAt"] = S(at), ["source"] = S("benchmark"),
            }));
        }).Chunk(25).ToList();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests.Count)
            {
                var pending = new Dictionary<string, List<Amazon.DynamoDBv2.Model.WriteRequest>> { [table] = [.. requests[i]] };
                while (pending.Count > 0 && pending.Values.Sum(v => v.Count) > 0)
                    pending = (await client.BatchWriteItemAsync(new Amazon.DynamoDBv2.Model.BatchWriteItemRequest { RequestItems = pending }).ConfigureAwait(false)).UnprocessedItems ?? [];
            }
        }))).ConfigureAwait(false);
        // Every counter shard of every rule, as the store spreads them (the view's Query reads rules × shards items).
        for (var r = 0; r < rules.Count; r++)
        {
            var count = size / rules.Count + (r < size % rules.Count ? 1 : 0);
            var failing = Enumerable.Range(0, size).Count(n => n % rules.Count == r && n % 10 == 0);
            for (var shard = 0; shard < DynamoDbEvidenceStore.CounterShards; shard++)
            {
                long Part(long total) => total / DynamoDbEvidenceStore.CounterShards + (shard < total % DynamoDbEvidenceStore.CounterShards ? 1 : 0);
                await client.PutItemAsync(new Amazon.DynamoDBv2.Model.PutItemRequest(table, new Dictionary<string, Amazon.DynamoDBv2.Model.AttributeValue>
                {
                    ["PK"] = S("EVIDENCE"), ["SK"] = S($"RULE#{rules[r].Id}#{shard:D2}"), ["ruleId"] = S(rules[r].Id), ["evaluated"] = N(Part(count)),
                    ["passing"] = N(Part(count) - Part(failing)), ["failing"] = N(Part(failing)), ["lastEvaluatedAt"] = S(at), ["entityType"] = S("EVIDENCE_RULE"),
                })).ConfigureAwait(false);
            }
        }
    }

    private static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}

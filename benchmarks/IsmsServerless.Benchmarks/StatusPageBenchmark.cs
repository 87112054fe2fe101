using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using IsmsServerless.Cli.Local;
using IsmsServerless.Ledger;
using IsmsServerless.Observability;
using IsmsServerless.Settings;
using IsmsServerless.StatusPage;

namespace IsmsServerless.Benchmarks;

/// <summary>
/// DynamoDB requests and read capacity per status page view, through the real HTTP host (<c>./isms serve</c>'s Kestrel
/// and router, development token) against DynamoDB Local, at growing table sizes. Requests are counted on the SDK
/// client (every call the views make), capacity through the ledger's ReturnConsumedCapacity observer.
/// </summary>
internal static class StatusPageBenchmark
{
    private static readonly (string View, string Path)[] Views =
    [
        ("overview (areas + controls)", "/api/overview"),
        ("trend, 30 days", "/api/trend?days=30"),
        ("open findings, first page of 50", "/api/findings?status=open&limit=50"),
        ("open findings, second page (cursor)", "CURSOR"),
        ("open findings, severity CRITICAL", "/api/findings?status=open&severity=CRITICAL&limit=50"),
        ("open findings, area patch", "/api/findings?status=open&category=patch&limit=50"),
        ("findings of control A.8.8", "/api/findings?status=open&control=ISO27001%3A2022%20A.8.8&limit=50"),
        ("finding detail + history", "DETAIL"),
        ("changes awaiting review", "/api/changes/pending"),
        ("waivers", "/api/waivers"),
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var sizes = Option(args, "--sizes")?.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() ?? [1_000, 100_000];
        var rules = LedgerCapacityBenchmark.UseRules(args);
        Log.MinimumLevel = LogLevel.Warn;
        await using var local = await DynamoDbLocal.StartAsync();
        using var client = (AmazonDynamoDBClient)local.CreateClient();
        var requests = new ConcurrentQueue<string>();
        client.BeforeRequestEvent += (_, e) =>
        {
            if (e is WebServiceRequestEventArgs web) requests.Enqueue(web.Request?.GetType().Name.Replace("Request", "", StringComparison.Ordinal) ?? "?");
        };
        var table = "statusbench-" + Guid.NewGuid().ToString("N")[..8];
        await LedgerTable.CreateIfMissingAsync(client, table);
        var settings = IsmsSettings.Default;
        var services = StatusPageComposition.Create(client, table, settings, TimeProvider.System);
        var ledger = (DynamoDbFindingLedger)services.Ledger;
        await using var server = await StatusServer.StartAsync(services, 0, TimeProvider.System);
        using var http = new HttpClient { BaseAddress = server.Url };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.Issuer.Issue("bench", []));

        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; store: DynamoDB Local; rules: {rules}");
        var stored = 0;
        foreach (var size in sizes.Order())
        {
            await LedgerCapacityBenchmark.BulkFillAsync(client, table, settings, stored, size - stored);
            stored = size;
            await ledger.WriteTrendSnapshotAsync(DateTimeOffset.UtcNow);
            Console.WriteLine($"\n{size:N0} findings stored (70% resolved):\n");
            Console.WriteLine("| view | DynamoDB requests | read capacity (RCU) |");
            Console.WriteLine("|---|---|---:|");
            string? cursor = null;
            string? detailId = null;
            foreach (var (view, template) in Views)
            {
                var path = template switch
                {
                    "CURSOR" => "/api/findings?status=open&limit=50&cursor=" + Uri.EscapeDataString(cursor ?? ""),
                    "DETAIL" => "/api/findings/" + detailId,
                    _ => template,
                };
                double rcu = 0;
                ledger.CapacityObserver = (_, capacity) => rcu += capacity.CapacityUnits ?? 0;
                requests.Clear();
                using var response = await http.GetAsync(path);
                ledger.CapacityObserver = null;
                var body = await response.Content.ReadAsStringAsync();
                if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {body}");
                if (template.Contains("status=open&limit=50", StringComparison.Ordinal) && cursor is null)
                {
                    using var doc = System.Text.Json.JsonDocument.Parse(body);
                    cursor = doc.RootElement.GetProperty("nextCursor").GetString();
                    detailId = doc.RootElement.GetProperty("items")[0].GetProperty("id").GetString();
                }
                var counted = requests.GroupBy(r => r).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}");
                Console.WriteLine($"| {view} | {string.Join(" + ", counted)} | {rcu.ToString("0.#", CultureInfo.InvariantCulture)} |");
            }
        }
        await client.DeleteTableAsync(table);
        return 0;
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}

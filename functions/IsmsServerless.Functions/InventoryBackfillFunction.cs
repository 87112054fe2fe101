using System.Text;
using Amazon.S3;
using IsmsServerless.Inventory;
using IsmsServerless.Observability;

namespace IsmsServerless.Functions;

/// <summary>
/// Target of the "Config Configuration Snapshot Delivery Status" rule: reads the snapshot the notification names,
/// streaming, through the same adapter, enrichers, rules and ledger as the ingest function, so every recorded resource
/// is judged at each snapshot delivery. Handler:
/// <c>IsmsServerless.Functions::IsmsServerless.Functions.InventoryBackfillFunction::HandleAsync</c>.
/// </summary>
public sealed class InventoryBackfillFunction
{
    /// <summary>The one bucket this function may read (the delivery channel's); set by the stack.</summary>
    public const string BucketVariable = "CONFIG_SNAPSHOT_BUCKET";

    /// <summary>Optional S3 endpoint override for the local stand-in; the stack never sets it.</summary>
    public const string S3EndpointVariable = "ISMS_S3_ENDPOINT";

    /// <summary>Seconds an invocation may spend before it checkpoints and stops (the stack sets the timeout less a minute).</summary>
    public const string TimeBudgetVariable = "ISMS_TIME_BUDGET_SECONDS";

    private static Lazy<SnapshotBackfill> _backfill = new(Create);

    [ThreadStatic] private static System.Diagnostics.Stopwatch? _invocation;

    public async Task<Stream> HandleAsync(Stream input)
    {
        _invocation = System.Diagnostics.Stopwatch.StartNew();
        var payload = await FunctionHost.ReadAllAsync(input).ConfigureAwait(false);
        // Store and S3 errors propagate: the invocation fails, EventBridge retries, then dead-letters the notification.
        var result = await _backfill.Value.RunAsync(payload, await FunctionHost.NewContextAsync().ConfigureAwait(false)).ConfigureAwait(false);
        Log.Info("inventory.backfill", ("items", result.Items), ("findings", result.Findings), ("rejected", result.Rejected), ("error", result.Error));
        // Out of time on a large snapshot: the checkpoint is written; failing makes Lambda's asynchronous retry resume it.
        if (result.Incomplete)
            throw new TimeoutException($"snapshot {result.SnapshotId} back-fill stopped at its time budget after {result.Items} item(s); the retry resumes after the checkpoint");
        var summary = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{{\"items\":{result.Items},\"evaluations\":{result.Evaluations},\"findings\":{result.Findings},\"created\":{result.Created},\"resolved\":{result.Resolved},\"ignored\":{result.Ignored},\"rejected\":{result.Rejected},\"error\":{(result.Error is null ? "null" : "true")}}}");
        return new MemoryStream(Encoding.UTF8.GetBytes(summary));
    }

    private static SnapshotBackfill Create()
    {
        var config = new AmazonS3Config();
        AmazonS3Client client;
        if (Environment.GetEnvironmentVariable(S3EndpointVariable) is { Length: > 0 } endpoint)
        {
            // The local stand-in (tests, ./isms): like DynamoDB Local it takes any credentials; the region only signs.
            config.ServiceURL = endpoint;
            config.ForcePathStyle = true;
            config.AuthenticationRegion = "us-east-1";
            client = new AmazonS3Client(new Amazon.Runtime.BasicAWSCredentials("local", "local"), config);
        }
        else
        {
            client = new AmazonS3Client(config);
        }
        var budget = int.TryParse(Environment.GetEnvironmentVariable(TimeBudgetVariable), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
        return new SnapshotBackfill(FunctionHost.Pipeline, new S3SnapshotObjectSource(client), FunctionHost.RequiredEnvironment(BucketVariable))
        {
            Checkpoints = new SnapshotCheckpointStore(FunctionHost.Dynamo, FunctionHost.TableName),
            RemainingTime = budget is { } b ? () => b - (_invocation?.Elapsed ?? TimeSpan.Zero) : null,
            StopBefore = TimeSpan.Zero,
        };
    }

    /// <summary>Forgets the per-process back-fill so a test can point it at another bucket or endpoint.</summary>
    internal static void ResetForTests() => _backfill = new(Create);
}

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

    private static Lazy<SnapshotBackfill> _backfill = new(Create);

    public async Task<Stream> HandleAsync(Stream input)
    {
        var payload = await FunctionHost.ReadAllAsync(input).ConfigureAwait(false);
        // Store and S3 errors propagate: the invocation fails, EventBridge retries, then dead-letters the notification.
        var result = await _backfill.Value.RunAsync(payload, await FunctionHost.NewContextAsync().ConfigureAwait(false)).ConfigureAwait(false);
        Log.Info("inventory.backfill", ("items", result.Items), ("findings", result.Findings), ("rejected", result.Rejected), ("error", result.Error));
        var summary = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{{\"items\":{result.Items},\"evaluations\":{result.Evaluations},\"findings\":{result.Findings},\"created\":{result.Created},\"resolved\":{result.Resolved},\"ignored\":{result.Ignored},\"rejected\":{result.Rejected},\"error\":{(result.Error is null ? "null" : "true")}}}");
        return new MemoryStream(Encoding.UTF8.GetBytes(summary));
    }

    private static SnapshotBackfill Create()
    {
        var config = new AmazonS3Config();
        if (Environment.GetEnvironmentVariable(S3EndpointVariable) is { Length: > 0 } endpoint)
        {
            config.ServiceURL = endpoint;
            config.ForcePathStyle = true;
        }
        return new SnapshotBackfill(FunctionHost.Pipeline, new S3SnapshotObjectSource(new AmazonS3Client(config)), FunctionHost.RequiredEnvironment(BucketVariable));
    }

    /// <summary>Forgets the per-process back-fill so a test can point it at another bucket or endpoint.</summary>
    internal static void ResetForTests() => _backfill = new(Create);
}

using Amazon.DynamoDBv2;
using IsmsServerless.Engine;
using IsmsServerless.Heartbeats;
using IsmsServerless.Ledger;
using IsmsServerless.Observability;
using IsmsServerless.Pipeline;
using IsmsServerless.Settings;
using IsmsServerless.Sweep;

namespace IsmsServerless.Functions;

/// <summary>
/// Per-process services, built once on the first invocation and reused by every warm invocation
/// (Powertools' pattern): settings, clock, engine, DynamoDB client, ledger, pipeline. Handlers stay one line.
/// </summary>
public static class FunctionHost
{
    /// <summary>The ledger table's name; the stack sets it on every store-backed function.</summary>
    public const string TableNameVariable = "TABLE_NAME";

    /// <summary>
    /// Optional DynamoDB endpoint override (DynamoDB Local in tests and the local run). Only honoured when set; the
    /// stack never sets it, so deployed functions always use the regional endpoint.
    /// </summary>
    public const string DynamoDbEndpointVariable = "ISMS_DYNAMODB_ENDPOINT";

    private static Lazy<IsmsSettings> _settings = new(IsmsSettings.FromEnvironment);
    private static Lazy<RuleEngine> _engine = new(RuleEngine.CreateDefault);
    private static Lazy<IAmazonDynamoDB> _dynamo = new(CreateDynamoClient);
    private static Lazy<DynamoDbFindingLedger> _ledger = new(() => new DynamoDbFindingLedger(Dynamo, TableName, Settings));
    private static Lazy<IngestPipeline> _pipeline = new(() => new IngestPipeline(Engine, InputEnrichers.Default(Dynamo, TableName), Ledger, new Evidence.DynamoDbEvidenceStore(Dynamo, TableName, PolicyVersion),
        RecordedHooks.Default(Dynamo, TableName, Settings)));
    private static Lazy<HeartbeatRecorder> _heartbeats = new(CreateHeartbeatRecorder);

    static FunctionHost()
    {
        // Lambda ships stdout to CloudWatch Logs; one JSON object a line.
        Log.Target = Console.Out;
        // The sweep's daily digest posts through the Slack webhook in SSM (when the stack configured one).
        Alerts.SlackChannel.Factory ??= Slack.SlackEnvironment.OpenAsync;
    }

    public static IsmsSettings Settings => _settings.Value;

    /// <summary>The version of the policy file bundled in this package (stamped on passing evidence).</summary>
    public static string PolicyVersion => Policy.PolicyDocument.Embedded.Version;

    public static TimeProvider Clock { get; set; } = TimeProvider.System;

    public static RuleEngine Engine => _engine.Value;

    public static IAmazonDynamoDB Dynamo => _dynamo.Value;

    public static string TableName => RequiredEnvironment(TableNameVariable);

    public static DynamoDbFindingLedger Ledger => _ledger.Value;

    public static IngestPipeline Pipeline => _pipeline.Value;

    /// <summary>Records that a watched source (Config, CloudTrail, Inspector) spoke; silence becomes a finding in the sweep.</summary>
    public static HeartbeatRecorder Heartbeats => _heartbeats.Value;

    public static SweepRunner Sweep { get; } = new(SweepSteps.DefaultSteps());

    public static EvaluationContext NewContext() => new(Settings, Clock);

    /// <summary>
    /// A context whose settings carry the runtime leave marks (<see cref="Access.LeaveMarkStore"/>; read at most every
    /// five minutes per process), so the leaver rules watch a person from the moment someone marks them as left.
    /// </summary>
    public static async Task<EvaluationContext> NewContextAsync() =>
        new(await new Access.LeaveMarkStore(Dynamo, TableName).OverlayAsync(Settings, Clock.GetUtcNow()).ConfigureAwait(false), Clock);

    /// <summary>Reads an invocation payload fully; Lambda payloads are at most 6 MB, our router caps them lower.</summary>
    public static async Task<byte[]> ReadAllAsync(Stream input)
    {
        using var buffer = new MemoryStream();
        await input.CopyToAsync(buffer).ConfigureAwait(false);
        return buffer.ToArray();
    }

    public static string RequiredEnvironment(string name) =>
        System.Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"environment variable {name} is not set (the stack sets it)");

    /// <summary>Forgets the per-process services so a test can point the handlers at another table or endpoint.</summary>
    internal static void ResetForTests()
    {
        if (_dynamo.IsValueCreated) _dynamo.Value.Dispose();
        _settings = new(IsmsSettings.FromEnvironment);
        _engine = new(RuleEngine.CreateDefault);
        _dynamo = new(CreateDynamoClient);
        _ledger = new(() => new DynamoDbFindingLedger(Dynamo, TableName, Settings));
        _pipeline = new(() => new IngestPipeline(Engine, InputEnrichers.Default(Dynamo, TableName), Ledger, new Evidence.DynamoDbEvidenceStore(Dynamo, TableName, PolicyVersion),
        RecordedHooks.Default(Dynamo, TableName, Settings)));
        _heartbeats = new(CreateHeartbeatRecorder);
    }

    private static HeartbeatRecorder CreateHeartbeatRecorder() => new(Dynamo, TableName, Clock);

    private static AmazonDynamoDBClient CreateDynamoClient()
    {
        var endpoint = System.Environment.GetEnvironmentVariable(DynamoDbEndpointVariable);
        if (string.IsNullOrWhiteSpace(endpoint)) return new AmazonDynamoDBClient();
        // DynamoDB Local accepts any credentials; the region only names its data file.
        return new AmazonDynamoDBClient(new Amazon.Runtime.BasicAWSCredentials("local", "local"),
            new AmazonDynamoDBConfig { ServiceURL = endpoint, AuthenticationRegion = "us-east-1" });
    }
}

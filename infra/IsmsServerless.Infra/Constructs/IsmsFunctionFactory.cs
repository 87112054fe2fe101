using Amazon.CDK;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.KMS;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.Logs;
using Constructs;
using IsmsServerless.Infra.Security;

namespace IsmsServerless.Infra.Constructs;

/// <summary>
/// The one place function defaults live (runtime, architecture, memory, timeout, log retention, settings), so no
/// construct copy-pastes a Function block. Each call makes a function with its own role.
/// </summary>
public sealed class IsmsFunctionFactory(StackConfiguration config, IKey key)
{
    /// <summary>CDK 2.160 has no constant for the managed .NET 10 runtime.</summary>
    public static Runtime DotNet10 { get; } = new("dotnet10", RuntimeFamily.DOTNET_CORE);

    public const string AssemblyName = "IsmsServerless.Functions";

    /// <summary>Lambda's handler string for a <c>Task&lt;Stream&gt; Method(Stream)</c> on <typeparamref name="THandler"/>.</summary>
    public static string HandlerFor<THandler>(string method)
    {
        var type = typeof(THandler);
        if (type.GetMethod(method) is null) throw new ArgumentException($"{type.FullName} has no method {method}");
        return $"{AssemblyName}::{type.FullName}::{method}";
    }

    public StackConfiguration Configuration => config;

    /// <summary>The alias that <see cref="PublishWithSnapStart"/> creates and that the function's triggers target.</summary>
    public const string LiveAliasName = "live";

    /// <summary>
    /// Turns on Lambda SnapStart for <paramref name="function"/> and returns the alias its triggers must target.
    /// SnapStart only applies to published versions (never <c>$LATEST</c>), so this publishes the function's
    /// <see cref="Function.CurrentVersion"/> (a new version whenever its code or configuration changes) and points the
    /// <see cref="LiveAliasName"/> alias at it; invoking the unqualified function would skip the snapshot. CDK 2.160's
    /// <c>SnapStartConf</c> refuses runtimes it does not know to support SnapStart (its <c>dotnet10</c> is a custom
    /// <see cref="Runtime"/>), so the setting goes on the L1 <see cref="CfnFunction"/>. Lambda supports SnapStart on the
    /// managed .NET 8 and later runtimes, without provisioned concurrency, EFS or more than 512 MB of ephemeral storage:
    /// the factory's functions use none of them. Why only some functions use it: docs/benchmarks.md, "SnapStart".
    /// </summary>
    public static Amazon.CDK.AWS.Lambda.Alias PublishWithSnapStart(Function function)
    {
        var resource = (CfnFunction)function.Node.DefaultChild!;
        resource.SnapStart = new CfnFunction.SnapStartProperty { ApplyOn = "PublishedVersions" };
        return new Amazon.CDK.AWS.Lambda.Alias(function, "LiveAlias", new Amazon.CDK.AWS.Lambda.AliasProps
        {
            AliasName = LiveAliasName,
            Version = function.CurrentVersion,
            Description = "The published, SnapStart-enabled version the function's triggers invoke",
        });
    }

    public Function Create<THandler>(Construct scope, string id, string method, FunctionOptions? options = null)
    {
        options ??= new FunctionOptions();
        var logGroup = new LogGroup(scope, id + "Logs", new LogGroupProps
        {
            Retention = RetentionDays.ONE_YEAR,
            EncryptionKey = key,
            RemovalPolicy = RemovalPolicy.RETAIN,
        });
        var environment = new Dictionary<string, string>
        {
            ["ISMS_SETTINGS"] = config.Settings.ToJson(),
            ["ISMS_POLICY_VERSION"] = config.PolicyVersion,
            ["DOTNET_TieredPGO"] = "1",
        };
        foreach (var (name, value) in options.Environment) environment[name] = value;
        // Its own role, instead of the AWSLambdaBasicExecutionRole managed policy (CreateLogGroup and PutLogEvents on
        // every log group of the account): this function may write only to its own log group, which the stack creates.
        var role = new Role(scope, id + "ServiceRole", new RoleProps
        {
            AssumedBy = new ServicePrincipal("lambda.amazonaws.com"),
            Description = options.Description is { } d ? Truncate("Lambda: " + d, 1000) : null,
        });
        role.AddToPrincipalPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "WriteOwnLogGroup",
            Actions = ["logs:CreateLogStream", "logs:PutLogEvents"],
            // The log group's Arn attribute is "arn:...:log-group:<name>:*", i.e. its log streams.
            Resources = [logGroup.LogGroupArn],
        }));
        var function = new Function(scope, id, new FunctionProps
        {
            Role = role,
            Runtime = DotNet10,
            // x86_64 because the package is ReadyToRun-compiled for linux-x64 on an x64 build host; arm64 needs
            // its own publish (-r linux-arm64). See docs/architecture.md.
            Architecture = Architecture.X86_64,
            Handler = HandlerFor<THandler>(method),
            Code = Code.FromAsset(config.FunctionsAssetPath),
            MemorySize = options.MemorySize,
            Timeout = options.Timeout ?? Duration.Seconds(30),
            Environment = environment,
            LogGroup = logGroup,
            Description = options.Description,
            ReservedConcurrentExecutions = options.ReservedConcurrency,
            Tracing = Tracing.ACTIVE,
        });
        CdkNag.SuppressOnPolicyOf(function, "AwsSolutions-IAM5", XRayReason, "Resource::*");
        return function;
    }

    private static readonly string XRayReason =
        "[xray-tracing] " + SecurityAllowlist.WildcardResources.Single(w => w.Name == "xray-tracing").Justification;

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length];
}

public sealed class FunctionOptions
{
    public double MemorySize { get; init; } = 512;
    public Duration? Timeout { get; init; }
    public string? Description { get; init; }
    public double? ReservedConcurrency { get; init; }
    public Dictionary<string, string> Environment { get; init; } = [];
}

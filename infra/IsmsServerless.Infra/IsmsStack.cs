using Amazon.CDK;
using Amazon.CDK.AWS.KMS;
using Constructs;
using IsmsServerless.Infra.Constructs;

namespace IsmsServerless.Infra;

public sealed class IsmsStackProps : StackProps
{
    public required StackConfiguration Configuration { get; init; }
}

/// <summary>
/// The whole deployment, composed of one construct per concern. The stack itself holds no resources of its own
/// beyond the customer-managed key every construct encrypts with.
/// </summary>
public sealed class IsmsStack : Stack
{
    public IsmsStack(Construct scope, string id, IsmsStackProps props) : base(scope, id, props)
    {
        var config = props.Configuration;

        var key = new Key(this, "DataKey", new KeyProps
        {
            Description = "IsmsServerless: encrypts the findings ledger, alert topic, queues and logs",
            EnableKeyRotation = true,
            RemovalPolicy = RemovalPolicy.RETAIN,
        });

        var functions = new IsmsFunctionFactory(config, key);
        var ledger = new FindingsLedger(this, "Ledger", new FindingsLedgerProps { EncryptionKey = key });
        var alerting = new Alerting(this, "Alerting", new AlertingProps { EncryptionKey = key, Ledger = ledger, Functions = functions });
        var ingestion = new EventIngestion(this, "Ingestion", new EventIngestionProps
        {
            Functions = functions,
            Ledger = ledger,
            Alerting = alerting,
            EncryptionKey = key,
            SweepInterval = Duration.Minutes(config.SweepIntervalMinutes),
        });
        _ = new DriftConfigRules(this, "DriftConfigRules");
        _ = new PatchEnforcement(this, "Patch", new PatchEnforcementProps { Ingestion = ingestion, SweepFunction = ingestion.SweepFunction });
        alerting.EnableDigest(ingestion.SweepFunction);
    }
}

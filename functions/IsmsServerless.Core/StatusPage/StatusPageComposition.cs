using Amazon.DynamoDBv2;
using IsmsServerless.Changes;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Settings;

namespace IsmsServerless.StatusPage;

/// <summary>Wires the status page's services over the ledger table: the Lambda host and <c>./isms serve</c> both call this.</summary>
public static class StatusPageComposition
{
    public static StatusPageServices Create(IAmazonDynamoDB dynamo, string tableName, IsmsSettings settings, TimeProvider clock)
    {
        var ledger = new DynamoDbFindingLedger(dynamo, tableName, settings);
        var evidence = new Evidence.DynamoDbEvidenceStore(dynamo, tableName, Policy.PolicyDocument.Embedded.Version);
        var register = new DynamoChangeRegister(dynamo, tableName, settings);
        var changes = new ChangeReviewService(register, ledger, RuleRegistry.CreateDefault(), settings, clock, evidence);
        var obligations = new Obligations.DynamoObligationStore(dynamo, tableName, settings);
        var dutySources = new Obligations.ObligationControlSources(obligations, settings.Duties);
        return new StatusPageServices
        {
            Evidence = evidence,
            Controls = new Compliance.ControlsService(evidence, ledger, dutySources, RuleRegistry.CreateDefault()),
            Attestations = dutySources,
            Ledger = ledger,
            Overview = new LedgerCountersOverview(ledger),
            Changes = new ChangeServiceReviewQueue(changes, ledger),
            Identities = Identity.IdentityResolver.For(settings),
            Incidents = new Incidents.IncidentService(obligations, clock, settings),
            Baselines = new DriftBaselineApprover(new Drift.BaselineService(new Drift.DriftStore(dynamo, tableName), ledger), ledger, settings),
            Access = new AccessPageServices(dynamo, tableName, settings, clock,
                Environment.GetEnvironmentVariable("ISMS_ACCOUNT_ID") is { Length: > 0 } accessAccount ? accessAccount : "unknown",
                Environment.GetEnvironmentVariable("AWS_REGION") is { Length: > 0 } accessRegion ? accessRegion : "unknown"),
            Duties = new ObligationDutyCalendar(new Obligations.AttestationService(obligations, settings, clock,
                Environment.GetEnvironmentVariable("ISMS_ACCOUNT_ID") is { Length: > 0 } account ? account : "unknown",
                Environment.GetEnvironmentVariable("AWS_REGION") is { Length: > 0 } region ? region : "unknown",
                new ChangeReviewListing(register))),
        };
    }
}

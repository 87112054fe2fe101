using Amazon.DynamoDBv2;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Observability;

namespace IsmsServerless.Changes;

/// <summary>
/// Records every change call in the register as the store-backed pipeline enriches inputs (Lambda ingest,
/// <c>./isms replay</c>). Returns the input unchanged: the change rules still emit their <c>change</c> evaluations;
/// the register is where calls are grouped by session and reviewed. A store failure propagates, so the invocation
/// fails and EventBridge redelivers (the register is idempotent under redelivery).
/// Also hands the CloudFormation stack drift rule's verdicts (<c>changeManagement.stackDriftConfigRuleName</c>) to
/// <see cref="ChangeReviewService.StackVerdictAsync"/>, which closes the manual changes waiting for that stack.
/// </summary>
public sealed class ChangeRegisterEnricher(IAmazonDynamoDB dynamo, string tableName) : IInputEnricher
{
    public async ValueTask<RuleInput> EnrichAsync(RuleInput input, EvaluationContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (input is CloudTrailInput trail && ChangeClassifier.ToCall(trail, context.Settings) is { } call)
        {
            var result = await new DynamoChangeRegister(dynamo, tableName, context.Settings).RecordAsync(call, cancellationToken).ConfigureAwait(false);
            // Optional Jira: queue the change's issue (a conditional put: once per change, whatever the redeliveries).
            if (Jira.JiraQueue.Wants(context.Settings, result.Record))
                await new Jira.JiraOutbox(dynamo, tableName).EnqueueAsync(call.ChangeId, Jira.JiraTask.Create, context.Now, cancellationToken).ConfigureAwait(false);
        }
        else if (input is ConfigComplianceInput compliance && IsStackVerdict(compliance, context))
        {
            var stack = ChangeReviewService.StackKeyFromArn(compliance.ResourceId);
            if (stack is null)
            {
                Log.Warn("change.stack-verdict-rejected", ("configRuleName", compliance.ConfigRuleName), ("resourceId", compliance.ResourceId));
                return input;
            }
            var register = new DynamoChangeRegister(dynamo, tableName, context.Settings);
            var service = new ChangeReviewService(register, null, RuleRegistry.CreateDefault(), context.Settings, context.Clock);
            var closed = await service.StackVerdictAsync(stack, compliance.ComplianceType, compliance.RecordedAt ?? context.Now, cancellationToken).ConfigureAwait(false);
            Log.Info("change.stack-verdict", ("stack", stack), ("complianceType", compliance.ComplianceType), ("closed", closed));
        }
        return input;
    }

    /// <summary>A verdict of the stack drift rule on a stack (COMPLIANT or NON_COMPLIANT; INSUFFICIENT_DATA says nothing).</summary>
    private static bool IsStackVerdict(ConfigComplianceInput input, EvaluationContext context) =>
        string.Equals(input.ConfigRuleName, context.Settings.ChangeManagement.StackDriftConfigRuleName, StringComparison.Ordinal)
        && input.ResourceType == "AWS::CloudFormation::Stack"
        && input.ComplianceType is "COMPLIANT" or "NON_COMPLIANT";
}

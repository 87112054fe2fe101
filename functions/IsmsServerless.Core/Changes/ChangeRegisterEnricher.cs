using Amazon.DynamoDBv2;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;

namespace IsmsServerless.Changes;

/// <summary>
/// Records every change call in the register as the store-backed pipeline enriches inputs (Lambda ingest,
/// <c>./isms replay</c>). Returns the input unchanged: the change rules still emit their <c>change</c> evaluations;
/// the register is where calls are grouped by session and reviewed. A store failure propagates, so the invocation
/// fails and EventBridge redelivers (the register is idempotent under redelivery).
/// </summary>
public sealed class ChangeRegisterEnricher(IAmazonDynamoDB dynamo, string tableName) : IInputEnricher
{
    public async ValueTask<RuleInput> EnrichAsync(RuleInput input, EvaluationContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (input is CloudTrailInput trail && ChangeClassifier.ToCall(trail, context.Settings) is { } call)
            await new DynamoChangeRegister(dynamo, tableName, context.Settings).RecordAsync(call, cancellationToken).ConfigureAwait(false);
        return input;
    }
}

using IsmsServerless.Engine;
using IsmsServerless.Inputs;

namespace IsmsServerless.Changes;

/// <summary>
/// Records every change call in the register as the store-backed pipeline enriches inputs (Lambda ingest,
/// <c>./isms replay</c>). Returns the input unchanged: the change rules still emit their <c>change</c> evaluations, the
/// register is where they are grouped by session and reviewed.
/// </summary>
public sealed class ChangeRegisterEnricher(IChangeRegister register) : IInputEnricher
{
    public async ValueTask<RuleInput> EnrichAsync(RuleInput input, EvaluationContext context, CancellationToken cancellationToken)
    {
        if (input is CloudTrailInput trail && ChangeClassifier.ToCall(trail, context.Settings) is { } call)
            await register.RecordAsync(call, cancellationToken).ConfigureAwait(false);
        return input;
    }
}

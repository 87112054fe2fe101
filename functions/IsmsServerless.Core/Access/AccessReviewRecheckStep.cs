using IsmsServerless.Sweep;

namespace IsmsServerless.Access;

/// <summary>
/// The sweep's look at the access review's revoke and reduce decisions: while any is pending, the access inventory is
/// read once and each decision judged against it; those Config now shows in effect resolve their finding and leave the
/// pending index. Costs one Query when nothing is pending.
/// </summary>
public sealed class AccessReviewRecheckStep : ISweepStep
{
    public string Name => "access-review-recheck";

    public async Task<SweepStepResult> RunAsync(SweepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var service = new AccessReviewService(context.Dynamo, context.TableName, context.Evaluation.Settings,
            new Engine.FixedTimeProvider(context.Evaluation.Now));
        var pending = await service.PendingAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        if (pending.Count == 0) return SweepStepResult.Empty(Name);
        var inventory = await new AccessInventoryService(context.Dynamo, context.TableName, context.Evaluation.Settings).ReadAsync(cancellationToken).ConfigureAwait(false);
        var effective = await service.RecordAsync(pending, inventory, context.Ledger, cancellationToken).ConfigureAwait(false);
        return new SweepStepResult(Name, pending.Count, pending.Count - effective, effective,
            [$"{pending.Count} revoke/reduce decision(s) checked, {effective} now in effect"]);
    }
}

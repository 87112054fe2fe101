using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Engine;
using IsmsServerless.Heartbeats;
using IsmsServerless.Inputs;
using IsmsServerless.Ledger;
using IsmsServerless.Model;

namespace IsmsServerless.Sweep;

/// <summary>
/// Silence must not look like compliance. Reads every heartbeat (one Query on <c>PK=HEARTBEAT</c>), judges each watched
/// source in each account and region it has heard from (plus the home account and region, heard or not) with the
/// silence rules, records findings and the compliant evaluations that resolve them, then records the sweep's own
/// heartbeat, after judging the gap since the previous run.
/// </summary>
/// <param name="registry">Rules to run (the silence rules and <c>monitoring.sweep-not-run</c>).</param>
/// <param name="homeAccountId">The deployment's account (the stack sets <c>ISMS_ACCOUNT_ID</c>); null if unknown.</param>
/// <param name="homeRegion">The deployment's region (Lambda sets <c>AWS_REGION</c>); null if unknown.</param>
public sealed class HeartbeatStep(RuleRegistry registry, Func<string?> homeAccountId, Func<string?> homeRegion) : ISweepStep
{
    public HeartbeatStep(RuleRegistry registry, string? homeAccountId, string? homeRegion)
        : this(registry, () => homeAccountId, () => homeRegion)
    {
    }

    public string Name => "heartbeats";

    /// <summary>
    /// The step reading the function environment (<c>ISMS_ACCOUNT_ID</c>, <c>AWS_REGION</c>) at each run, so a
    /// process-wide step list built before the environment is known still keys heartbeats correctly.
    /// </summary>
    public static HeartbeatStep FromEnvironment(RuleRegistry registry) =>
        new(registry, () => System.Environment.GetEnvironmentVariable("ISMS_ACCOUNT_ID"), () => System.Environment.GetEnvironmentVariable("AWS_REGION"));

    public async Task<SweepStepResult> RunAsync(SweepContext context, CancellationToken cancellationToken)
    {
        var now = context.Evaluation.Now;
        var account = homeAccountId() is { Length: > 0 } homeAccount && !string.IsNullOrWhiteSpace(homeAccount) ? homeAccount : "unknown";
        var region = homeRegion() is { Length: > 0 } home && !string.IsNullOrWhiteSpace(home) ? home : "unknown";
        var (heartbeats, watchStarted) = await HeartbeatReader.ReadAsync(context.Dynamo, context.TableName, cancellationToken).ConfigureAwait(false);
        var notes = new List<string>();
        if (watchStarted is null)
        {
            watchStarted = await MarkWatchStartedAsync(context.Dynamo, context.TableName, now, cancellationToken).ConfigureAwait(false);
            notes.Add($"started watching heartbeats at {watchStarted:u}");
        }

        var backupScope = await BackupScopeAsync(context, cancellationToken).ConfigureAwait(false);
        var inputs = new List<RuleInput>();
        foreach (var source in HeartbeatSources.Watched)
        {
            var heard = heartbeats.Where(h => h.Source == source).ToList();
            foreach (var item in heard)
            {
                inputs.Add(new HeartbeatInput
                {
                    Source = source, AccountId = item.AccountId, Region = item.Region, LastSeenAt = item.LastSeenAt,
                    LastDetailType = item.LastDetailType, WatchingSince = watchStarted.Value, ObservedAt = now,
                }.WithScope(backupScope));
            }
            // The home scope is always expected, even before its first event: that is exactly the silent case.
            if (!heard.Any(h => h.AccountId == account && h.Region == region))
            {
                inputs.Add(new HeartbeatInput { Source = source, AccountId = account, Region = region, WatchingSince = watchStarted.Value, ObservedAt = now }.WithScope(backupScope));
            }
        }
        var previousSweep = heartbeats.Where(h => h.Source == HeartbeatSources.Sweep && h.AccountId == account && h.Region == region)
            .Select(h => (DateTimeOffset?)h.LastSeenAt).Max();
        inputs.Add(new SweepRunInput { AccountId = account, Region = region, PreviousRunAt = previousSweep, RunAt = now, ObservedAt = now });

        var evaluations = inputs.SelectMany(i => i.Dispatch(registry, context.Evaluation))
            .Where(e => e.Outcome is Outcome.Finding or Outcome.Compliant)
            .ToList();
        var written = evaluations.Count > 0
            ? await context.RecordAsync(evaluations, Name, cancellationToken).ConfigureAwait(false)
            : new LedgerWriteResult();

        // Recorded last, so a sweep that fails before this point shows up as a gap next time.
        var recorder = new HeartbeatRecorder(context.Dynamo, context.TableName, context.Evaluation.Clock) { MinimumWriteInterval = TimeSpan.Zero };
        await recorder.WriteAsync(HeartbeatSources.Sweep, account, region, "Scheduled Event", cancellationToken).ConfigureAwait(false);

        foreach (var silent in evaluations.Where(e => e.Outcome == Outcome.Finding)) notes.Add(silent.Message);
        return new SweepStepResult(Name, inputs.Count, evaluations.Count(e => e.Outcome == Outcome.Finding), written.Resolved, notes);
    }

    /// <summary>
    /// Whether any resource is in backup scope: one bounded read of the open obligations for an open
    /// <c>backup.daily</c> cycle (every in-scope resource has exactly one). Unknown (the bound reached) is judged as in
    /// scope, never as "nothing to back up". Not read when backup silence is switched off.
    /// </summary>
    private static async Task<BackupScope?> BackupScopeAsync(SweepContext context, CancellationToken cancellationToken)
    {
        if (context.Evaluation.Settings.Backup.SilenceHours <= 0) return null;
        var store = new Obligations.DynamoObligationStore(context.Dynamo, context.TableName, context.Evaluation.Settings);
        var open = await store.FirstOpenOfKindAsync(Backups.BackupObligations.DailyKind, cancellationToken: cancellationToken).ConfigureAwait(false);
        return open.First is { } first
            ? new BackupScope(true, first.Spec.OpensAt)
            : new BackupScope(open.Complete ? false : null, null);
    }

    private static async Task<DateTimeOffset> MarkWatchStartedAsync(IAmazonDynamoDB dynamo, string tableName, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        try
        {
            var key = HeartbeatItem.Key(HeartbeatItem.WatchStartedSortKey);
            var item = new Dictionary<string, AttributeValue>(key)
            {
                [LedgerSchema.EntityType] = new() { S = HeartbeatItem.EntityTypeValue },
                ["startedAt"] = new() { S = HeartbeatItem.FormatTime(now) },
            };
            await dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = tableName,
                Item = item,
                ConditionExpression = "attribute_not_exists(#pk)",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = LedgerSchema.PartitionKey },
            }, cancellationToken).ConfigureAwait(false);
            return now;
        }
        catch (ConditionalCheckFailedException)
        {
            // A concurrent sweep marked it first; theirs is as good as ours within a second.
            return now;
        }
    }
}

/// <summary>What the sweep learned about the backup scope (see <see cref="HeartbeatInput.InScope"/>).</summary>
internal sealed record BackupScope(bool? InScope, DateTimeOffset? Since);

internal static class HeartbeatInputScope
{
    /// <summary>The backup heartbeat carries the backup scope; other sources are unaffected.</summary>
    public static HeartbeatInput WithScope(this HeartbeatInput input, BackupScope? scope) =>
        scope is null || input.Source != HeartbeatSources.Backup ? input : input with { InScope = scope.InScope, InScopeSince = scope.Since };
}

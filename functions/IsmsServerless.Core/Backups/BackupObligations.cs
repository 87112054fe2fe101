using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Obligations;
using IsmsServerless.Observability;
using IsmsServerless.Rules.Backup;
using IsmsServerless.Settings;

namespace IsmsServerless.Backups;

/// <summary>
/// The Backup and Recovery clause's per-resource clocks as obligations on the one obligation mechanism. Per critical
/// resource in scope (<see cref="BackupSettings.Scope"/>), subject = the resource ARN:
/// <list type="bullet">
/// <item><c>backup.daily</c>: a successful backup within 24 h (+ <c>backup.graceHours</c>) of the previous one, or of
/// the resource coming into scope (period <c>first-seen</c>);</item>
/// <item><c>backup.copy</c>: a completed copy into another region's vault within 24 h (+ grace) of each backup;</item>
/// <item><c>backup.restore-test</c>: a restore within the RTO every <c>backup.restoreTestDays</c>.</item>
/// </list>
/// Each cycle's period is the instant that opened it (the satisfying event's completion time), so redelivery opens
/// nothing new. The events (judged by the backup rules: a COMPLETED backup job, a copy into another region, a restore
/// within the RTO) satisfy the open cycle and open the next; the obligation sweep raises
/// <c>backup.clock-missed</c> (category backup, alerting) for a cycle nobody satisfied, and resolves it when a late
/// event satisfies it. A late event older than the current cycle changes nothing, whatever the delivery order.
/// Continuous backup (PITR, RPO 1 h) is a state, not a clock: <see cref="ContinuousBackupRule"/> judges it on Config items.
/// </summary>
public static class BackupObligations
{
    public const string Prefix = "backup.";
    public const string DailyKind = Prefix + "daily";
    public const string CopyKind = Prefix + "copy";
    public const string RestoreTestKind = Prefix + "restore-test";
    public const string FirstSeenPeriod = "first-seen";
    public const string Attester = "AWS Backup";
    public const string AttesterSubject = "system:backup";

    public static readonly string[] Kinds = [DailyKind, CopyKind, RestoreTestKind];

    public static bool IsBackupKind(string kind) => kind.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>
    /// How long a cycle opened after its own deadline (a replay of old AWS Backup events, a backlog) waits before it is
    /// raised: the grace hours (at least one), so the rest of the replay can satisfy it first (<see cref="ObligationSchedule"/>).
    /// </summary>
    public static TimeSpan Settle(BackupSettings settings) => TimeSpan.FromHours(Math.Max(1, settings.GraceHours));

    /// <summary>The next daily-backup cycle of <paramref name="resource"/>, opened at <paramref name="from"/>.</summary>
    public static ObligationSpec Daily(string resource, DateTimeOffset from, bool firstSeen, BackupSettings settings, string accountId, string region) => new()
    {
        Kind = DailyKind,
        Subject = resource,
        Period = firstSeen ? FirstSeenPeriod : Timestamps.ToWire(from),
        Title = $"Successful backup of {resource} within 24 h (+{settings.GraceHours} h grace)",
        Controls = ObligationTemplates.BackupDaily.Controls,
        PolicyClause = ObligationTemplates.BackupDaily.PolicyClause,
        OwnerRole = "it-team",
        OpensAt = from,
        DueAt = BackupClocks.NextBackup(from, settings).DueAt,
        EvidenceExpected = ObligationTemplates.BackupDaily.EvidenceExpected,
        OverdueSeverity = Severity.High,
        OverdueSla = TimeSpan.FromDays(1),
        AccountId = accountId,
        Region = region,
        LateOpenSettle = Settle(settings),
    };

    /// <summary>The copy into another region due after the backup completed at <paramref name="backupCompleted"/>.</summary>
    public static ObligationSpec Copy(string resource, DateTimeOffset backupCompleted, BackupSettings settings, string accountId, string region) => new()
    {
        Kind = CopyKind,
        Subject = resource,
        Period = Timestamps.ToWire(backupCompleted),
        Title = $"Copy of the backup of {resource} in another AWS region within 24 h (+{settings.GraceHours} h grace)",
        Controls = ObligationTemplates.BackupCopy.Controls,
        PolicyClause = ObligationTemplates.BackupCopy.PolicyClause,
        OwnerRole = "it-team",
        OpensAt = backupCompleted,
        DueAt = BackupClocks.CopyDue(backupCompleted, settings).DueAt,
        EvidenceExpected = ObligationTemplates.BackupCopy.EvidenceExpected,
        OverdueSeverity = Severity.High,
        OverdueSla = TimeSpan.FromDays(2),
        AccountId = accountId,
        Region = region,
        LateOpenSettle = Settle(settings),
    };

    /// <summary>The next restore test of <paramref name="resource"/>, counted from <paramref name="from"/>.</summary>
    public static ObligationSpec RestoreTest(string resource, DateTimeOffset from, bool firstSeen, BackupSettings settings, string accountId, string region) => new()
    {
        Kind = RestoreTestKind,
        Subject = resource,
        Period = firstSeen ? FirstSeenPeriod : Timestamps.ToWire(from),
        Title = $"Restore test of {resource} within {settings.RestoreTestDays} days, completed within the {settings.RtoHours} h RTO",
        Controls = ObligationTemplates.BackupRestoreTest.Controls,
        PolicyClause = ObligationTemplates.BackupRestoreTest.PolicyClause,
        OwnerRole = "it-team",
        OpensAt = from,
        DueAt = BackupClocks.NextRestoreTest(from, settings).DueAt,
        EvidenceExpected = ObligationTemplates.BackupRestoreTest.EvidenceExpected,
        OverdueSeverity = Severity.High,
        OverdueSla = TimeSpan.FromDays(14),
        AccountId = accountId,
        Region = region,
        LateOpenSettle = Settle(settings),
    };
}

/// <summary>
/// Runs after the ledger write in the ingest pipeline: turns the backup rules' compliant verdicts (a completed backup,
/// a copy into another region, a restore within the RTO) into satisfied cycles, and in-scope Config items into
/// first-seen cycles. Idempotent and safe under redelivery; store failures propagate (the event is retried).
/// </summary>
public sealed class BackupObligationRecorder(IObligationStore store, IsmsSettings settings) : Pipeline.IRecordedHook, Pipeline.IRecordedInputsHook
{
    private BackupSettings Backup => settings.Backup;

    public async Task RecordedAsync(IReadOnlyList<Evaluation> evaluations, EvaluationContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(evaluations);
        foreach (var evaluation in evaluations)
        {
            if (evaluation.Outcome != Outcome.Compliant || evaluation.ResourceId.Length == 0 || !Backup.TypeInScope(evaluation.ResourceType)) continue;
            var at = Timestamps.ParseOrNull(evaluation.Evidence.GetValueOrDefault("completionDate")) ?? evaluation.ObservedAt ?? context.Now;
            var job = evaluation.Evidence.GetValueOrDefault("jobId") ?? "";
            switch (evaluation.Rule.Id)
            {
                case "backup.job-failed" when evaluation.Evidence.GetValueOrDefault("jobKind") == nameof(BackupJobKind.Backup):
                    await BackupCompletedAsync(evaluation.ResourceId, at, job, evaluation.AccountId, evaluation.Region, context.Now, cancellationToken).ConfigureAwait(false);
                    break;
                case "backup.cross-region-copy":
                    await CopyCompletedAsync(evaluation.ResourceId, at, job, evaluation.AccountId, evaluation.Region, context.Now, cancellationToken).ConfigureAwait(false);
                    break;
                case "backup.restore-test":
                    await SatisfyAsync(BackupObligations.RestoreTestKind, evaluation.ResourceId, at, $"restore job {job} completed within the RTO at {Timestamps.ToWire(at)}",
                        BackupObligations.RestoreTest(evaluation.ResourceId, at, false, Backup, evaluation.AccountId, evaluation.Region), context.Now, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
    }

    public async Task InputsRecordedAsync(IReadOnlyList<RuleInput> inputs, EvaluationContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        foreach (var input in inputs)
        {
            switch (input)
            {
                case ConfigItemInput item when Backup.InScope(item.ResourceType, item.Tags) && item.ResourceKey.StartsWith("arn:", StringComparison.Ordinal):
                    await FirstSeenAsync(item.ResourceKey, item.CaptureTime ?? item.ObservedAt ?? context.Now, item.AccountId, item.Region, context.Now, cancellationToken).ConfigureAwait(false);
                    break;
                case ResourceGoneInput gone when Backup.TypeInScope(gone.ResourceType):
                    await ResourceGoneAsync(gone, context.Now, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
    }

    /// <summary>A resource in scope seen for the first time: its first backup is due within a day, its first restore test within the quarter.</summary>
    private async Task FirstSeenAsync(string resource, DateTimeOffset at, string accountId, string region, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await EnsureFirstAsync(BackupObligations.Daily(resource, at, true, Backup, accountId, region), now, cancellationToken).ConfigureAwait(false);
        await EnsureFirstAsync(BackupObligations.RestoreTest(resource, at, true, Backup, accountId, region), now, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens the first-seen cycle when the resource has no cycle of that kind yet; while it is still open, another open
    /// of the same id keeps the earliest due time (the store's rule), so the earliest sighting wins in any order.
    /// </summary>
    private async Task EnsureFirstAsync(ObligationSpec first, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var latest = await store.LatestForSubjectAsync(first.Kind, first.Subject, cancellationToken).ConfigureAwait(false);
        if (latest is null || latest is { Done: false } && latest.Spec.Period == BackupObligations.FirstSeenPeriod)
            await store.OpenAsync(first, now, cancellationToken).ConfigureAwait(false);
    }

    private async Task BackupCompletedAsync(string resource, DateTimeOffset at, string job, string accountId, string region, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await SatisfyAsync(BackupObligations.DailyKind, resource, at, $"backup job {job} completed at {Timestamps.ToWire(at)}",
            BackupObligations.Daily(resource, at, false, Backup, accountId, region), now, cancellationToken).ConfigureAwait(false);
        if (Backup.CopyRegionRequired)
        {
            // One pending copy at a time: while an earlier backup's copy is still awaited, its (earlier) deadline stands;
            // a copy already completed at or after this backup covers it.
            var copy = await store.LatestForSubjectAsync(BackupObligations.CopyKind, resource, cancellationToken).ConfigureAwait(false);
            if (copy is null || copy.Done && copy.Spec.OpensAt < at)
                await store.OpenAsync(BackupObligations.Copy(resource, at, Backup, accountId, region), now, cancellationToken).ConfigureAwait(false);
        }
        await EnsureFirstAsync(BackupObligations.RestoreTest(resource, at, true, Backup, accountId, region), now, cancellationToken).ConfigureAwait(false);
    }

    private async Task CopyCompletedAsync(string resource, DateTimeOffset at, string job, string accountId, string region, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var note = $"copy job {job} completed into another region at {Timestamps.ToWire(at)}";
        var latest = await store.LatestForSubjectAsync(BackupObligations.CopyKind, resource, cancellationToken).ConfigureAwait(false);
        if (latest is { Done: false } pending)
        {
            // A copy older than the pending backup is a copy of an older recovery point: it does not cover it.
            if (pending.Spec.OpensAt <= at) await AttestAsync(pending, at, note, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (latest is not null && latest.Spec.OpensAt >= at) return;
        // The copy event arrived before its backup's: record it as a satisfied cycle, so the backup that follows sees a
        // copy at or after it and opens nothing (the same end state as the other delivery order).
        var opened = await store.OpenAsync(BackupObligations.Copy(resource, at, Backup, accountId, region), now, cancellationToken).ConfigureAwait(false);
        if (!opened.Obligation.Done) await AttestAsync(opened.Obligation, at, note, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The satisfying event at <paramref name="at"/> attests the open cycle it covers (one opened before it, or
    /// the first-seen one) and opens the next; an event older than the current cycle changes nothing.
    /// </summary>
    private async Task SatisfyAsync(string kind, string resource, DateTimeOffset at, string note, ObligationSpec next, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var latest = await store.LatestForSubjectAsync(kind, resource, cancellationToken).ConfigureAwait(false);
        // Strictly later: the event that opened a cycle (redelivered) never satisfies it.
        if (latest is { Done: false } open && (open.Spec.OpensAt < at || open.Spec.Period == BackupObligations.FirstSeenPeriod))
            await AttestAsync(open, at, note, cancellationToken).ConfigureAwait(false);
        else if (latest is not null && latest.Spec.OpensAt >= at)
            return;
        await store.OpenAsync(next, now, cancellationToken).ConfigureAwait(false);
    }

    private async Task ResourceGoneAsync(ResourceGoneInput gone, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var kind in BackupObligations.Kinds)
        {
            if (await store.LatestForSubjectAsync(kind, gone.ResourceId, cancellationToken).ConfigureAwait(false) is { Done: false } open)
            {
                var at = gone.ObservedAt ?? now;
                await AttestAsync(open, at < open.Spec.OpensAt ? open.Spec.OpensAt : at, $"resource gone ({gone.Reason}): no further backups due", cancellationToken, "AWS Config", "system:config").ConfigureAwait(false);
            }
        }
    }

    private async Task AttestAsync(Obligation obligation, DateTimeOffset at, string note, CancellationToken cancellationToken,
        string by = BackupObligations.Attester, string subject = BackupObligations.AttesterSubject)
    {
        try
        {
            await store.AttestAsync(obligation.Id, new Attestation(by, subject, at, note, []), cancellationToken).ConfigureAwait(false);
            Log.Info("backup.obligation-satisfied", ("id", obligation.Id), ("kind", obligation.Kind), ("subject", obligation.Subject), ("late", at > obligation.DueAt));
        }
        catch (ObligationException ex) when (ex.Error == ObligationError.AlreadyDone)
        {
            // A redelivery or a concurrent worker satisfied it first: nothing to do.
        }
    }
}

/// <summary>
/// The obligation sweep's handler for the backup clocks: the overdue finding is <c>backup.clock-missed</c>
/// (category backup, keyed by resource and clock, so it alerts like any backup finding) and a late satisfying event
/// resolves it. Backup cycles carry no reminders (the jobs are automated: nobody needs nudging before the deadline).
/// </summary>
public sealed class BackupObligationKind(RuleRegistry registry) : IObligationKind
{
    public bool Handles(string kind) => BackupObligations.IsBackupKind(kind);

    public Task<Alerts.AlertRecord> ReminderAsync(Obligation obligation, int stage, Sweep.SweepContext context, CancellationToken cancellationToken) =>
        Task.FromResult(GenericObligationKind.Reminder(obligation, stage, context.Evaluation) with
        {
            Kind = "backup-reminder",
            RuleId = ClockMissedRule.RuleId,
            Category = Category.Backup.ToWire(),
            Remediation = obligation.Spec.EvidenceExpected,
        });

    public async Task<int> RaiseOverdueAsync(Obligation obligation, Sweep.SweepContext context, CancellationToken cancellationToken)
    {
        var evaluations = Evaluate(obligation, context.Evaluation).Where(e => e.Outcome == Outcome.Finding).ToList();
        if (evaluations.Count > 0) await context.RecordAsync(evaluations, "obligations", cancellationToken).ConfigureAwait(false);
        return evaluations.Count;
    }

    public async Task<bool> ResolveAsync(Obligation obligation, Sweep.SweepContext context, CancellationToken cancellationToken)
    {
        var evaluations = Evaluate(obligation, context.Evaluation).Where(e => e.Outcome == Outcome.Compliant).ToList();
        if (evaluations.Count > 0) await context.RecordAsync(evaluations, "obligations", cancellationToken).ConfigureAwait(false);
        return true;
    }

    private IEnumerable<Evaluation> Evaluate(Obligation obligation, EvaluationContext context) =>
        ObligationInput.From(obligation).Dispatch(registry, context).Where(e => e.Rule.Id == ClockMissedRule.RuleId);
}

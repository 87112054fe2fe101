using IsmsServerless.Backups;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Backup;

/// <summary>
/// A restore (a restore testing plan's job, or any restore, which proves restorability as well) must succeed and finish
/// within the RTO (<c>backup.rtoHours</c>). A failed restore or one slower than the RTO is a finding; a restore within the
/// RTO resolves it and starts the next quarter's clock (evidence <c>nextRestoreTestDue</c>).
/// </summary>
public sealed class RestoreTestRule : IRule<BackupJobInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "backup.restore-test",
        Title: "Restore test failed or exceeded the RTO",
        Category: Category.Backup,
        Severity: Severity.High,
        ResourceType: "AWS::Backup::RestoreJob",
        PolicyClause: BackupPolicy.RestoreTests,
        Controls: BackupPolicy.Controls,
        Risk: "A backup that cannot be restored, or not within four hours, does not meet the recovery targets when it is needed.",
        Remediation: "Read the restore job (`aws backup describe-restore-job`); fix the restore metadata or sizing, and rerun the restore testing plan. If the restore is slow, shrink the data restored or use a faster restore path.")
    {
        Sla = TimeSpan.FromDays(14),
    };

    public IEnumerable<Evaluation> Evaluate(BackupJobInput input, EvaluationContext context)
    {
        if (input.Kind != BackupJobKind.Restore || !(input.IsFailure || input.IsSuccess)) yield break;
        var settings = context.Settings.Backup;
        var rto = TimeSpan.FromHours(settings.RtoHours);
        var duration = BackupClocks.Duration(input.CreatedAt, input.CompletedAt);
        var evidence = BackupPolicy.Evidence(input);
        evidence["rto"] = BackupPolicy.Hours(rto);
        evidence["restoreTest"] = input.RestoreTestingPlanArn is null ? "false" : "true";
        if (duration is { } d) evidence["duration"] = BackupPolicy.Hours(d);
        string? problem = input.IsFailure ? $"restore job {input.JobId} ended {input.State}: {input.StatusMessage ?? "no status message"}"
            : duration is { } took && took > rto ? $"restore job {input.JobId} took {BackupPolicy.Hours(took)}, more than the {BackupPolicy.Hours(rto)} RTO"
            : null;
        if (problem is null && input.CompletedAt is { } done)
            evidence["nextRestoreTestDue"] = Timestamps.ToWire(BackupClocks.NextRestoreTest(done, settings).DueAt);
        yield return new Evaluation
        {
            Rule = Metadata,
            Outcome = problem is null ? Outcome.Compliant : Outcome.Finding,
            ResourceId = input.ResourceArn,
            ResourceType = input.ResourceType,
            AccountId = input.AccountId,
            Region = input.Region,
            Message = problem is null
                ? $"Restore of {input.ResourceArn} succeeded{(duration is { } ok ? $" in {BackupPolicy.Hours(ok)}" : "")} (RTO {BackupPolicy.Hours(rto)})"
                : $"Restore of {input.ResourceArn} does not meet the recovery target: {problem}",
            ClockStart = problem is null ? null : input.CompletedAt ?? input.ObservedAt,
            ObservedAt = input.ObservedAt,
            Evidence = evidence,
        };
    }
}

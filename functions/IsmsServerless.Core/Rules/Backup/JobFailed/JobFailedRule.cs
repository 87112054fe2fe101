using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Backup;

/// <summary>
/// A backup job that FAILED, was ABORTED or EXPIRED (never started in its window) left the resource without today's
/// recovery point. A later COMPLETED job for the same resource resolves the finding; the ledger orders by the events'
/// own times, so a late-delivered failure never reopens a finding a newer success closed, whatever the delivery order.
/// </summary>
public sealed class JobFailedRule : IRule<BackupJobInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "backup.job-failed",
        Title: "Backup job failed, was aborted or expired",
        Category: Category.Backup,
        Severity: Severity.High,
        ResourceType: "AWS::Backup::BackupJob",
        PolicyClause: BackupPolicy.DailyBackups,
        Controls: BackupPolicy.Controls,
        Risk: "The resource has no recovery point for this cycle: a failure now loses up to a day of data or more.",
        Remediation: "Read the job's statusMessage (`aws backup describe-backup-job --backup-job-id <id>`): fix the IAM role, KMS key policy or vault, then start an on-demand backup (`aws backup start-backup-job`).")
    {
        Sla = TimeSpan.FromDays(1),
    };

    public IEnumerable<Evaluation> Evaluate(BackupJobInput input, EvaluationContext context)
    {
        if (input.Kind != BackupJobKind.Backup || !(input.IsFailure || input.IsSuccess)) yield break;
        var evidence = BackupPolicy.Evidence(input);
        if (input.IsSuccess && input.StatusMessage is not null) evidence["completedWithIssues"] = "true";
        yield return new Evaluation
        {
            Rule = Metadata,
            Outcome = input.IsFailure ? Outcome.Finding : Outcome.Compliant,
            ResourceId = input.ResourceArn,
            ResourceType = input.ResourceType,
            AccountId = input.AccountId,
            Region = input.Region,
            Message = input.IsFailure
                ? $"Backup job {input.JobId} for {input.ResourceArn} ended {input.State}: {input.StatusMessage ?? "no status message"}"
                : $"Backup job {input.JobId} for {input.ResourceArn} completed{(input.StatusMessage is null ? "" : " with issues: " + input.StatusMessage)}",
            ClockStart = input.IsFailure ? input.CompletedAt ?? input.ObservedAt : null,
            ObservedAt = input.ObservedAt,
            Evidence = evidence,
        };
    }
}

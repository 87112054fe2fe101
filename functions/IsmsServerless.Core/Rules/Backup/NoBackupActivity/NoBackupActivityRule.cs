using IsmsServerless.Engine;
using IsmsServerless.Heartbeats;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Backup;

/// <summary>
/// No AWS Backup event at all for a day (plus grace): the daily jobs did not run, or their events no longer reach
/// IsmsServerless. AWS Backup emits job events best effort, so this sweep-side check is the backstop for a missed
/// "failed" event. Judged by the sweep from the <c>aws.backup</c> heartbeat; off when <c>backup.silenceHours</c> is 0.
/// Only while resources are in scope (an open <c>backup.daily</c> obligation exists; the sweep tells the input): with
/// none, no backup is expected and the check is compliant (which resolves an earlier silence finding). With resources
/// in scope and no backup event ever seen, the silence counts from when the first of them came into scope.
/// </summary>
public sealed class NoBackupActivityRule : IRule<HeartbeatInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "backup.no-backup-activity",
        Title: "No AWS Backup activity for a day",
        Category: Category.Backup,
        Severity: Severity.High,
        ResourceType: "AWS::::Account",
        PolicyClause: BackupPolicy.DailyBackups,
        Controls: BackupPolicy.Controls,
        Risk: "Silence looks like success: if the daily jobs stopped, nothing else says so until a restore is needed.",
        Remediation: "Check the backup plans' schedules and the jobs (`aws backup list-backup-jobs --by-created-after <yesterday>`), and that the aws.backup EventBridge rule still delivers.")
    {
        Sla = TimeSpan.FromDays(1),
    };

    public IEnumerable<Evaluation> Evaluate(HeartbeatInput input, EvaluationContext context)
    {
        var settings = context.Settings.Backup;
        var threshold = settings.SilenceHours <= 0 ? TimeSpan.Zero : TimeSpan.FromHours(settings.SilenceHours + settings.GraceHours);
        if (input.Source == HeartbeatSources.Backup && threshold > TimeSpan.Zero && input.InScope == false)
        {
            return
            [
                new Evaluation
                {
                    Rule = Metadata,
                    Outcome = Outcome.Compliant,
                    ResourceId = input.ResourceId,
                    ResourceType = Metadata.ResourceType,
                    AccountId = input.AccountId,
                    Region = input.Region,
                    Message = $"No resource in backup scope (no open {Backups.BackupObligations.DailyKind} obligation): AWS Backup silence is not judged",
                    ObservedAt = context.Now,
                    Evidence = new Dictionary<string, string>(StringComparer.Ordinal) { ["source"] = input.Source, ["inScope"] = "false" },
                },
            ];
        }
        return Silence.Judge(Metadata, input, HeartbeatSources.Backup, threshold, context.Now,
            "daily backups may have stopped, or AWS Backup events no longer reach IsmsServerless");
    }
}

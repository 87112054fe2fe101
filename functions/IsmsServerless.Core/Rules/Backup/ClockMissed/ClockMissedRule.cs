using IsmsServerless.Backups;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Backup;

/// <summary>
/// A per-resource backup clock (<see cref="BackupObligations"/>: the daily backup, the cross-region copy, the quarterly
/// restore test) that no event satisfied by its due instant: a backup finding on the resource, one per resource and clock
/// (sub-key = the obligation kind), carrying the clock's clause and controls. Raised by the obligation sweep (also one
/// that was down across the deadline); a late event that satisfies the cycle makes it compliant, which resolves it.
/// Obligations of other kinds are not judged here.
/// </summary>
public sealed class ClockMissedRule : IRule<ObligationInput>
{
    public const string RuleId = "backup.clock-missed";

    public RuleMetadata Metadata { get; } = new(
        Id: RuleId,
        Title: "Backup clock missed: no backup, off-region copy or restore test in time",
        Category: Category.Backup,
        Severity: Severity.High,
        ResourceType: "AWS::Backup::Resource",
        PolicyClause: BackupPolicy.DailyBackups,
        Controls: BackupPolicy.Controls,
        Risk: "AWS Backup delivers job events best effort and a plan that stops running raises no failure: the missed clock is the only signal that critical data has no recent, off-region or restorable backup.",
        Remediation: "Check the resource's backup plan and selection (`aws backup list-backup-jobs --by-resource-arn <arn>`), start an on-demand backup, copy it to the other region's vault, or run the restore testing plan; the finding resolves when AWS Backup reports the job COMPLETED.")
    {
        Sla = TimeSpan.FromDays(1),
    };

    public IEnumerable<Evaluation> Evaluate(ObligationInput input, EvaluationContext context)
    {
        var o = input.Obligation;
        var spec = o.Spec;
        if (!BackupObligations.IsBackupKind(spec.Kind)) yield break;
        var rule = input.Overdue(Metadata);
        var evidence = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["obligationId"] = o.Id,
            ["kind"] = spec.Kind,
            ["subject"] = spec.Subject,
            ["period"] = spec.Period,
            ["opensAt"] = Timestamps.ToWire(spec.OpensAt),
            ["dueAt"] = Timestamps.ToWire(spec.DueAt),
        };
        if (Obligations.ObligationSchedule.OpenedLate(o))
        {
            // Opened after its own deadline (a replay or backlog of old events): said, so nobody reads it as missed live.
            evidence["openedAt"] = Timestamps.ToWire(o.CreatedAt);
            evidence["openedLate"] = "true";
        }
        if (o.Attestation is { } attestation)
        {
            evidence["satisfiedBy"] = attestation.By;
            evidence["satisfiedAt"] = Timestamps.ToWire(attestation.At);
            if (attestation.Note is { } note) evidence["note"] = note;
            // Never older than the overdue finding it resolves, even when the satisfying event was delivered late.
            var at = attestation.At > spec.DueAt ? attestation.At : spec.DueAt.AddTicks(1);
            yield return Verdict(input, rule, Outcome.Compliant, at, evidence, $"{spec.Title}: satisfied ({attestation.Note ?? attestation.By})");
            yield break;
        }
        if (context.Now <= spec.DueAt) yield break;
        yield return Verdict(input, rule, Outcome.Finding, spec.DueAt, evidence,
            $"{spec.Title}: nothing satisfied it by {Timestamps.ToWire(spec.DueAt)} (cycle opened {Timestamps.ToWire(spec.OpensAt)}{(spec.Period == BackupObligations.FirstSeenPeriod ? " when the resource came into backup scope" : "")})");
    }

    private static Evaluation Verdict(ObligationInput input, RuleMetadata rule, Outcome outcome, DateTimeOffset observedAt, Dictionary<string, string> evidence, string message) =>
        input.Verdict(rule, outcome, observedAt, BackupJobInput.ConfigTypeFor(input.Obligation.Subject, ""), input.Obligation.Kind, evidence, message);
}

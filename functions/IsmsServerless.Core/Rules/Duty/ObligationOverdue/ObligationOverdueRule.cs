using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Obligations;

namespace IsmsServerless.Rules.Duty;

/// <summary>
/// An obligation (a recurring duty's period, or any obligation whose kind has no rule of its own) not attested by its
/// due instant: one finding per obligation, carrying the obligation's controls, clause and severity, with its own SLA.
/// Attestation makes it compliant, which resolves the finding. Before the due instant nothing is emitted: an open duty
/// is pending, not a violation.
/// </summary>
public sealed class ObligationOverdueRule : IRule<ObligationInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "duty.obligation-overdue",
        Title: "Policy duty not attested by its due date",
        Category: Category.Duty,
        Severity: Severity.Medium,
        ResourceType: "AWS::::Account",
        PolicyClause: "The clause of each duty (IsmsSettings.duties), e.g. Qwestly Operations Security Policy, SOC 2 Basics: \"Regular access reviews (quarterly)\"",
        // Fallback only: each finding carries its obligation's own controls (the duty's A.5.18, CC6.2, ...).
        Controls: [Controls.IsoDocumentedProcedures, Controls.Soc2EventEvaluation],
        Risk: "A duty the policy requires that nobody performed, or nobody recorded, is a control that did not operate: an auditor samples exactly these.",
        Remediation: "Do the duty, then attest it with its evidence: './isms attest <dutyId> --by <you> --evidence https://... --note ...' or the status page's Duties calendar.")
    {
        // The duty is already late; closing the gap is due within a week (overridden by the obligation's own SLA).
        Sla = TimeSpan.FromDays(7),
    };

    public IEnumerable<Evaluation> Evaluate(ObligationInput input, EvaluationContext context)
    {
        var o = input.Obligation;
        var spec = o.Spec;
        var rule = input.Overdue(Metadata);
        var evidence = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["obligationId"] = o.Id,
            ["kind"] = spec.Kind,
            ["subject"] = spec.Subject,
            ["period"] = spec.Period,
            ["dueAt"] = Timestamps.ToWire(spec.DueAt),
            ["owner"] = spec.OwnerPerson ?? spec.OwnerRole ?? "",
        };
        if (spec.PolicyVersion.Length > 0) evidence["policyVersion"] = spec.PolicyVersion;
        if (o.Attestation is { } attestation)
        {
            evidence["attestedBy"] = attestation.By;
            evidence["attestedAt"] = Timestamps.ToWire(attestation.At);
            if (attestation.Evidence.Count > 0) evidence["evidence"] = string.Join(' ', attestation.Evidence);
            yield return Verdict(input, rule, Outcome.Compliant, attestation.At, evidence,
                $"{spec.Title} ({spec.Period}) attested by {attestation.By} at {Timestamps.ToWire(attestation.At)}");
            yield break;
        }
        if (context.Now <= spec.DueAt) yield break;
        yield return Verdict(input, rule, Outcome.Finding, spec.DueAt, evidence,
            $"{spec.Title} ({spec.Period}) was due at {Timestamps.ToWire(spec.DueAt)} (owner {spec.OwnerPerson ?? spec.OwnerRole}) and is not attested");
    }

    /// <summary>Keyed by subject and (kind, period): one finding per obligation, never shared by two periods of a duty.</summary>
    public static string SubKeyOf(Obligation obligation) => obligation.Kind + "|" + obligation.Spec.Period;

    private static Evaluation Verdict(ObligationInput input, RuleMetadata rule, Outcome outcome, DateTimeOffset observedAt, Dictionary<string, string> evidence, string message) =>
        input.Verdict(rule, outcome, observedAt, rule.ResourceType, SubKeyOf(input.Obligation), evidence, message);
}

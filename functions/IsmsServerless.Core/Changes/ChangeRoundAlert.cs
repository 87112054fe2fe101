using System.Globalization;
using IsmsServerless.Alerts;
using IsmsServerless.Compliance;
using IsmsServerless.Model;
using IsmsServerless.Settings;

namespace IsmsServerless.Changes;

/// <summary>
/// The alert sent when a call made after a review reopens the change for a new review round. Its id names the round,
/// so a redelivered call cannot alert twice (the outbox put is conditional).
/// </summary>
public static class ChangeRoundAlert
{
    public static AlertRecord For(ChangeRecord record, ChangeReview previous, IsmsSettings settings)
    {
        var deadline = new ChangeDeadline(settings);
        var dueAt = deadline.DueAt(record);
        var round = record.Round.ToString(CultureInfo.InvariantCulture);
        return new AlertRecord
        {
            AlertId = $"{record.ChangeId}-round-{round}",
            Kind = "review-reopened",
            FindingId = record.ChangeId,
            RuleId = record.Kind.RuleId(),
            Title = "Change reopened for review: calls after its review",
            Severity = record.Kind == ChangeKind.Emergency ? Severity.High.ToWire() : Severity.Medium.ToWire(),
            Category = Category.Change.ToWire(),
            ResourceId = record.ChangeId,
            ResourceType = "AWS::::Account",
            AccountId = record.AccountId,
            Region = record.Region,
            PolicyClause = "Qwestly Operations Security Policy, Emergency Changes: \"Document and review all emergency changes within 24 hours\"",
            Controls = "[\"" + Controls.IsoChangeManagement + "\",\"" + Controls.Soc2ChangeManagement + "\"]",
            DueAt = Timestamps.ToWire(dueAt),
            SlaState = SlaState.Open.ToWire(),
            Remediation = $"Review the new calls: ./isms review {record.ChangeId} --reviewer <you> --verdict approved|rejected|needs-follow-up --ticket https://...",
            Message = $"{record.Kind.ToWire()} change {record.ChangeId} by {record.Principal} had calls after its review by {previous.Reviewer} at "
                + $"{Timestamps.ToWire(previous.ReviewedAt)} ({previous.Verdict.ToWire()}): review round {round} is due at {Timestamps.ToWire(dueAt)}",
            StatusUrl = settings.StatusPageUrl.TrimEnd('/') + "/changes/" + record.ChangeId,
            CreatedAt = Timestamps.ToWire(ChangeDeadline.RoundStart(record)),
        };
    }
}

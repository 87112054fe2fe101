namespace IsmsServerless.Changes;

/// <summary>A reviewer's conclusion about a change. Every verdict counts as "reviewed" for the 24-hour duty.</summary>
public enum ReviewVerdict
{
    /// <summary>The change was justified and is (or will be) reflected in code.</summary>
    Approved,
    /// <summary>The change should not have been made; the ticket tracks reverting it.</summary>
    Rejected,
    /// <summary>Acceptable for now, but work remains (fold into IaC, rotate credentials, ...); the ticket tracks it.</summary>
    NeedsFollowUp,
}

public static class ReviewVerdictNames
{
    public static string ToWire(this ReviewVerdict verdict) => verdict switch
    {
        ReviewVerdict.Approved => "approved",
        ReviewVerdict.Rejected => "rejected",
        _ => "needs-follow-up",
    };

    public static bool TryParse(string? text, out ReviewVerdict verdict)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "approved": verdict = ReviewVerdict.Approved; return true;
            case "rejected": verdict = ReviewVerdict.Rejected; return true;
            case "needs-follow-up": verdict = ReviewVerdict.NeedsFollowUp; return true;
            default: verdict = ReviewVerdict.Approved; return false;
        }
    }
}

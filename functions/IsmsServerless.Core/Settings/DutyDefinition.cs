namespace IsmsServerless.Settings;

/// <summary>
/// A recurring duty the policy asks for (policy-file key <c>duties</c>): who owns it, how often it is due, what evidence
/// closes it and which controls it evidences. The sweep opens each period's obligation (<c>duty.&lt;id&gt;</c>);
/// attesting it closes the period and the next one opens.
/// </summary>
public sealed record DutyDefinition
{
    /// <summary>Stable id, lower-case words and dashes (e.g. <c>access-review</c>); the obligation kind is <c>duty.&lt;id&gt;</c>.</summary>
    public string Id { get; set; } = "";

    public string Title { get; set; } = "";

    /// <summary>Controls it evidences, e.g. <c>ISO27001:2022 A.5.18</c>, <c>SOC2 CC6.2</c>.</summary>
    public IReadOnlyList<string> Controls { get; set; } = [];

    /// <summary>The seed clause it comes from, quoted with its document.</summary>
    public string PolicyClause { get; set; } = "";

    /// <summary>Owning role (<c>it-director</c>, <c>cto</c>, <c>ceo</c>, <c>it-team</c>, <c>engineer</c>).</summary>
    public string OwnerRole { get; set; } = "it-director";

    /// <summary>A named owner (e-mail), optional.</summary>
    public string? OwnerPerson { get; set; }

    /// <summary><c>daily</c>, <c>weekly</c>, <c>monthly</c>, <c>quarterly</c>, <c>annual</c>, or an ISO 8601 duration (<c>P2W</c>, <c>P6M</c>).</summary>
    public string Cadence { get; set; } = "quarterly";

    /// <summary>The first due date (<c>yyyy-MM-dd</c>, due at the end of that day UTC); later periods follow the cadence from it.</summary>
    public string FirstDue { get; set; } = "";

    /// <summary>Reminders before each due instant, as ISO 8601 durations; empty takes the cadence's default.</summary>
    public IReadOnlyList<string> RemindBefore { get; set; } = [];

    /// <summary>What evidence closes a period (shown to the owner).</summary>
    public string EvidenceExpected { get; set; } = "";

    /// <summary>
    /// Four-eyes: the attester must not be <see cref="Author"/>. Per-item reviews opened on the same mechanism (an access
    /// review's decision on one person's access) set their own author, the reviewee.
    /// </summary>
    public bool FourEyes { get; set; }

    /// <summary>The person whose work the duty reviews (e.g. the policy's author for its review), e-mail; optional.</summary>
    public string? Author { get; set; }

    /// <summary>Severity of the finding raised when a period goes overdue.</summary>
    public string OverdueSeverity { get; set; } = "MEDIUM";
}

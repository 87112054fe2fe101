namespace IsmsServerless.Model;

/// <summary>
/// Everything a reader, an auditor or an alert needs to know about a rule, kept beside the rule's code
/// (Prowler's metadata.json, as a typed record).
/// </summary>
/// <param name="Id">Stable id, e.g. <c>monitoring.root-user-activity</c>. Never reuse or rename: findings are keyed by it.</param>
/// <param name="Title">One line a CTO understands.</param>
/// <param name="Category">Policy area.</param>
/// <param name="Severity">Default severity of a finding (a rule may raise it per event, e.g. Inspector's own severity).</param>
/// <param name="ResourceType">AWS resource type the rule looks at, e.g. <c>AWS::EC2::SecurityGroup</c>.</param>
/// <param name="PolicyClause">The clause of the seed policy the rule enforces, quoted with its document id.</param>
/// <param name="Controls">ISO 27001:2022 and SOC 2 controls, e.g. <c>ISO27001:2022 A.8.9</c>, <c>SOC2 CC8.1</c>.</param>
/// <param name="Risk">Why it matters.</param>
/// <param name="Remediation">What to do about it.</param>
public sealed record RuleMetadata(
    string Id,
    string Title,
    Category Category,
    Severity Severity,
    string ResourceType,
    string PolicyClause,
    IReadOnlyList<string> Controls,
    string Risk,
    string Remediation)
{
    /// <summary>
    /// Remediation window. Null means the severity's default from <see cref="Settings.IsmsSettings.SlaDays"/>;
    /// <see cref="TimeSpan.Zero"/> is never used: a rule without a deadline sets <see cref="HasSla"/> false.
    /// </summary>
    public TimeSpan? Sla { get; init; }

    /// <summary>False for rules whose findings carry no deadline (e.g. informational monitoring).</summary>
    public bool HasSla { get; init; } = true;
}

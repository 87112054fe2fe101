namespace IsmsServerless.Settings;

/// <summary>The recurring duties the two seed policies ask for: the default of <see cref="IsmsSettings.Duties"/>.</summary>
public static class DutyDefaults
{
    private const string Qwestly = "Qwestly Operations Security Policy";
    private const string Proc002 = "PROC-002 Security Procedures for IT Department";

    public static IReadOnlyList<DutyDefinition> All() =>
    [
        new()
        {
            Id = "access-review", Title = "Quarterly access review: who has access to what",
            Controls = ["ISO27001:2022 A.5.18", "ISO27001:2022 A.5.15", "SOC2 CC6.2", "SOC2 CC6.3"],
            PolicyClause = $"{Qwestly}, Compliance / SOC 2 Basics: \"Regular access reviews (quarterly)\"; Access Control: \"Regular review of who has access to what data\"",
            OwnerRole = "cto", Cadence = "quarterly", FirstDue = "2026-12-31", FourEyes = true,
            EvidenceExpected = "the access review campaign (each principal: keep, revoke or reduce, with a note), or its ticket",
        },
        new()
        {
            Id = "restore-test", Title = "Quarterly backup restore test",
            Controls = ["ISO27001:2022 A.8.13", "SOC2 A1.3"],
            PolicyClause = $"{Qwestly}, Backup and Recovery: \"Test backup restoration quarterly\"",
            OwnerRole = "it-team", Cadence = "quarterly", FirstDue = "2026-12-31",
            EvidenceExpected = "the restore job or runbook record: what was restored, how long it took (RTO 4 hours)",
        },
        new()
        {
            Id = "policy-review", Title = "Quarterly review of the Operations Security Policy",
            Controls = ["ISO27001:2022 A.5.1", "SOC2 CC5.3"],
            PolicyClause = $"{Qwestly}, Training: \"Quarterly review of this policy\"",
            OwnerRole = "cto", Cadence = "quarterly", FirstDue = "2026-12-31",
            EvidenceExpected = "the reviewed policy version (commit or pull request) or the review minutes",
        },
        new()
        {
            Id = "proc-002-review", Title = "Annual review of PROC-002 Security Procedures for IT Department",
            Controls = ["ISO27001:2022 A.5.1", "ISO27001:2022 A.5.37", "SOC2 CC5.3"],
            PolicyClause = $"{Proc002}, front matter: \"next_review: 2027-01-09\"",
            OwnerRole = "it-director", Cadence = "annual", FirstDue = "2027-01-09",
            EvidenceExpected = "the approved new version of PROC-002 (commit or document link)",
        },
        new()
        {
            Id = "security-training", Title = "Annual security training for all team members",
            Controls = ["ISO27001:2022 A.6.3", "SOC2 CC1.4", "SOC2 CC2.2"],
            PolicyClause = $"{Qwestly}, SOC 2 Basics: \"Annual security training for all team members\"; Training: \"Annual security training refresh\"",
            OwnerRole = "cto", Cadence = "annual", FirstDue = "2026-12-31",
            EvidenceExpected = "training completion records for every team member",
        },
        new()
        {
            Id = "advisory-review", Title = "Monthly review of security advisories",
            Controls = ["ISO27001:2022 A.8.8", "ISO27001:2022 A.5.7", "SOC2 CC7.1"],
            PolicyClause = $"{Qwestly}, Vulnerability Management: \"Monthly review of security advisories\"",
            OwnerRole = "it-team", Cadence = "monthly", FirstDue = "2026-11-30",
            EvidenceExpected = "the advisories reviewed and the resulting tickets",
        },
        new()
        {
            Id = "fault-log-review", Title = "Daily review of automatically reported faults",
            Controls = ["ISO27001:2022 A.8.15", "ISO27001:2022 A.8.16", "SOC2 CC7.2"],
            PolicyClause = $"{Proc002}, System monitoring: \"The IT Director is responsible for monitoring the logs of automatically reported faults on a daily basis\"",
            OwnerRole = "it-director", Cadence = "daily", FirstDue = "2026-01-01", OverdueSeverity = "LOW",
            EvidenceExpected = "a note of what was reviewed and any corrective action (ticket links)",
        },
        new()
        {
            Id = "security-discussion", Title = "Monthly team discussion of security practices",
            Controls = ["ISO27001:2022 A.6.3", "SOC2 CC2.2"],
            PolicyClause = $"{Qwestly}, Training: \"Monthly team discussion of security practices\"",
            OwnerRole = "cto", Cadence = "monthly", FirstDue = "2026-11-30", OverdueSeverity = "LOW",
            EvidenceExpected = "the meeting notes",
        },
    ];
}

using IsmsServerless.Alerts;

namespace IsmsServerless.Tests.Alerts;

internal static class AlertSamples
{
    public static AlertRecord RootActivity(string alertId = "alert-0001") => new()
    {
        AlertId = alertId,
        Kind = "new",
        FindingId = "finding-root-1",
        RuleId = "monitoring.root-user-activity",
        Title = "Root user activity",
        Severity = "CRITICAL",
        Category = "monitoring",
        ResourceId = "arn:aws:iam::111122223333:root",
        ResourceType = "AWS::IAM::User",
        AccountId = "111122223333",
        Region = "eu-west-1",
        PolicyClause = "PROC-002: administrative access is restricted and monitored",
        Controls = "[\"ISO27001:2022 A.8.2\",\"ISO27001:2022 A.8.15\",\"SOC2 CC6.1\"]",
        DueAt = "2026-11-30T10:00:00Z",
        SlaState = "open",
        Remediation = "Confirm who used the root user and why; rotate its credentials; use an IAM role instead.",
        Message = "Root ConsoleLogin from 198.51.100.7",
        StatusUrl = "https://isms.example.com/findings/finding-root-1",
        CreatedAt = "2026-11-23T10:00:00Z",
    };
}

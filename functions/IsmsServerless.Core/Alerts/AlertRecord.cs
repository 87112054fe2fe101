namespace IsmsServerless.Alerts;

/// <summary>
/// One alert, as the ledger writes it into the outbox (item <c>entityType = ALERT</c>, in the same transaction as the
/// transition that caused it) and as SNS and Slack delivery read it. Attribute names on the item are the camelCase
/// property names, all strings (lists as JSON arrays in <see cref="Controls"/>), so the EventBridge Pipe's filter and
/// input template can address <c>$.dynamodb.NewImage.&lt;name&gt;.S</c>; <see cref="AlertId"/> and <see cref="CreatedAt"/>
/// are held by the keys instead (<c>PK</c> <c>ALERT#&lt;id&gt;</c>, <c>GSI4SK</c>; issue 20), which the template reads.
/// </summary>
public sealed record AlertRecord
{
    public required string AlertId { get; init; }

    /// <summary><c>new</c>, <c>escalated</c>, <c>reopened</c> (from the ledger); others may add <c>review-overdue</c>, <c>digest</c>.</summary>
    public required string Kind { get; init; }

    public required string FindingId { get; init; }
    public required string RuleId { get; init; }
    public required string Title { get; init; }
    public required string Severity { get; init; }
    public required string Category { get; init; }
    public required string ResourceId { get; init; }
    public string ResourceType { get; init; } = "";
    public string AccountId { get; init; } = "";
    public string Region { get; init; } = "";
    public string PolicyClause { get; init; } = "";

    /// <summary>JSON array of control ids.</summary>
    public string Controls { get; init; } = "[]";
    public string? DueAt { get; init; }
    public string? SlaState { get; init; }
    public string Remediation { get; init; } = "";
    public string Message { get; init; } = "";

    /// <summary>Link to the finding on the status page.</summary>
    public string StatusUrl { get; init; } = "";
    public required string CreatedAt { get; init; }
}

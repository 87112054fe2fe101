namespace IsmsServerless.Model;

/// <summary>
/// One conclusion of one rule about one resource: the unit the ledger stores and the CLI prints.
/// Pure data: no clock, no store. The SLA deadline is derived from <see cref="ClockStart"/> by <see cref="Sla.SlaClock"/>.
/// </summary>
public sealed record Evaluation
{
    public required RuleMetadata Rule { get; init; }
    public required Outcome Outcome { get; init; }
    public required string ResourceId { get; init; }
    public string ResourceType { get; init; } = "";
    public string AccountId { get; init; } = "";
    public string Region { get; init; } = "";

    /// <summary>Distinguishes several findings of one rule on one resource (patch id, CVE id, port).</summary>
    public string SubKey { get; init; } = "";

    public required string Message { get; init; }

    /// <summary>Severity of this evaluation; defaults to the rule's.</summary>
    public Severity? SeverityOverride { get; init; }

    public Severity Severity => SeverityOverride ?? Rule.Severity;

    /// <summary>The earliest trustworthy time the problem is known to exist (release date, firstObservedAt, eventTime).</summary>
    public DateTimeOffset? ClockStart { get; init; }

    /// <summary>
    /// The SLA clock has not started yet (Inspector says no fix exists): the finding is open with no deadline until an
    /// observation says a fix is available.
    /// </summary>
    public bool SlaDeferred { get; init; }

    /// <summary>When the source says it observed this (event time); used for ordering out-of-order deliveries.</summary>
    public DateTimeOffset? ObservedAt { get; init; }

    /// <summary>Field-level drift, empty for other rules.</summary>
    public IReadOnlyList<FieldDiff> Diff { get; init; } = [];

    /// <summary>Evidence worth keeping for the auditor: event id, actor, source IP, API name. Values are attacker-controlled text.</summary>
    /// <remarks>
    /// Empty by default as one shared read-only instance: the initializer runs for every evaluation, also for the rules
    /// that set their own evidence, so a new dictionary here was an allocation per evaluation that was thrown away.
    /// </remarks>
    public IReadOnlyDictionary<string, string> Evidence { get; init; } = System.Collections.ObjectModel.ReadOnlyDictionary<string, string>.Empty;

    /// <summary>
    /// The remediation window for this evaluation when a setting, not the rule's metadata, decides it (the incident
    /// acknowledgement clock, <c>incidents.acknowledgeHours</c>). Null: the rule's SLA, else the severity's.
    /// </summary>
    public TimeSpan? WindowOverride { get; init; }

    /// <summary>
    /// Every clock this evaluation starts, first due first (an incident's acknowledge, document and review deadlines).
    /// Pure data computed from the event's time and the settings, so an obligation store can take them over as they are.
    /// </summary>
    public IReadOnlyList<ClockDeadline> Deadlines { get; init; } = [];

    /// <summary>Deterministic identity of the finding this evaluation is about.</summary>
    public string FindingId => FindingIdentity.Compute(Rule.Id, AccountId, Region, ResourceId, SubKey);
}

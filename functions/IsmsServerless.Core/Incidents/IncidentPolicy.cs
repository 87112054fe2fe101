using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Settings;

namespace IsmsServerless.Incidents;

/// <summary>The incident threshold and the incident evaluation, spelled once for the rules and the escalation step.</summary>
public static class IncidentPolicy
{
    public const string Clause = "Qwestly Operations Security Policy, Incident Response: \"Within 1 hour: Assess impact and notify team - Within 24 hours: Document incident and implement fixes - Within 1 week: Review what happened and improve processes\"";

    public static readonly string[] Controls =
    [
        Model.Controls.IsoIncidentPlanning, Model.Controls.IsoIncidentAssessment, Model.Controls.IsoIncidentResponse,
        Model.Controls.IsoIncidentLearning, Model.Controls.Soc2EventEvaluation, Model.Controls.Soc2IncidentResponse,
        Model.Controls.Soc2IncidentRecovery,
    ];

    /// <summary>True when the finding is at or above the policy's incident threshold.</summary>
    public static bool OpensIncident(SecurityFindingInput input, IncidentSettings settings) =>
        input.OutOfScopeReason is null
        && (input.GuardDutySeverity is { } score && score >= settings.GuardDutyMinSeverity || input.Severity >= settings.MinSeverityLevel);

    /// <summary>
    /// The incident finding for one cause: keyed by the correlation subject and window (so every signal of one cause is
    /// the same finding), due at the first clock, with all three clocks attached and spelled out in the message (which
    /// the Slack alert shows).
    /// </summary>
    public static Evaluation Incident(RuleMetadata rule, IncidentSignal signal, IncidentSettings settings, Severity severity,
        string resourceType, string region, string what, DateTimeOffset? observedAt, IDictionary<string, string> evidence)
    {
        var window = IncidentCorrelator.WindowStart(signal.At, settings);
        var incidentId = IncidentCorrelator.IncidentId(signal.AccountId, signal.Subject, window);
        var clocks = IncidentClocks.For(signal.At, settings);
        evidence["incidentId"] = incidentId;
        evidence["correlationWindowStart"] = Timestamps.ToWire(window);
        evidence["signalId"] = signal.SignalId;
        foreach (var clock in clocks) evidence["clock." + clock.Name] = Timestamps.ToWire(clock.DueAt);
        return new Evaluation
        {
            Rule = rule,
            Outcome = Outcome.Finding,
            ResourceId = signal.Subject,
            ResourceType = resourceType,
            AccountId = signal.AccountId,
            Region = region,
            SubKey = "window:" + Timestamps.ToWire(window),
            SeverityOverride = severity < Severity.High ? Severity.High : severity,
            Message = $"Incident {incidentId} on {signal.Subject}: {what.TrimEnd('.', ' ')}. Clocks: acknowledge, assess and notify by {Clock(clocks[0])}; "
                + $"document and fix by {Clock(clocks[1])}; post-incident review by {Clock(clocks[2])}",
            ClockStart = signal.At,
            WindowOverride = TimeSpan.FromHours(settings.AcknowledgeHours),
            Deadlines = clocks,
            ObservedAt = observedAt,
            Evidence = new Dictionary<string, string>(evidence, StringComparer.Ordinal),
        };
    }

    private static string Clock(ClockDeadline clock) => clock.DueAt.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Evidence every security-finding evaluation carries.</summary>
    public static Dictionary<string, string> Evidence(SecurityFindingInput input)
    {
        var evidence = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["form"] = input.Form,
            ["product"] = input.Product,
            ["findingId"] = input.FindingId,
            ["findingType"] = input.Type,
            ["sourceSeverity"] = input.SeverityText,
        };
        if (input.ResourceId.Length > 0) evidence["resourceId"] = input.ResourceId;
        if (input.ResourceType.Length > 0) evidence["resourceType"] = input.ResourceType;
        if (input.Actor is { } actor) evidence["actor"] = actor;
        if (input.RemoteIp is { } ip) evidence["remoteIp"] = ip;
        if (input.SourceEventId is { } id) evidence["eventId"] = id;
        if (input.FirstSeenAt is { } first) evidence["firstSeen"] = Timestamps.ToWire(first);
        return evidence;
    }
}

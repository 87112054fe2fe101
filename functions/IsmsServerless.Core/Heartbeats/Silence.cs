using System.Globalization;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Heartbeats;

/// <summary>The one judgement every silence rule makes: quiet for longer than its threshold is a finding, otherwise compliant.</summary>
public static class Silence
{
    public static IEnumerable<Evaluation> Judge(RuleMetadata rule, HeartbeatInput input, string expectedSource, TimeSpan threshold,
        DateTimeOffset now, string whatStopped)
    {
        // A zero threshold switches the check off (e.g. Inspector deliberately not used in this account).
        if (input.Source != expectedSource || threshold <= TimeSpan.Zero) yield break;
        var quiet = now - input.SilentSince;
        var evidence = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["source"] = input.Source,
            ["silentSince"] = input.SilentSince.ToString("O", CultureInfo.InvariantCulture),
            ["threshold"] = Describe(threshold),
            ["lastHeard"] = input.LastSeenAt?.ToString("O", CultureInfo.InvariantCulture) ?? "never since monitoring started",
        };
        if (input.LastDetailType is { Length: > 0 } detailType) evidence["lastDetailType"] = detailType;
        var silent = quiet > threshold;
        yield return new Evaluation
        {
            Rule = rule,
            Outcome = silent ? Outcome.Finding : Outcome.Compliant,
            ResourceId = input.ResourceId,
            ResourceType = rule.ResourceType,
            AccountId = input.AccountId,
            Region = input.Region,
            Message = silent
                ? $"No {input.Source} event from account {input.AccountId} in {input.Region} for {Describe(quiet)} (threshold {Describe(threshold)}): {whatStopped}"
                : $"{input.Source} events arrive from account {input.AccountId} in {input.Region} (last {Describe(quiet)} ago)",
            // The problem is known to exist once the silence outlasts the threshold, not from the last event.
            ClockStart = silent ? input.SilentSince + threshold : null,
            ObservedAt = now,
            Evidence = evidence,
        };
    }

    public static string Describe(TimeSpan span) => span.TotalHours >= 48
        ? $"{span.TotalDays:0.#} days"
        : span.TotalMinutes >= 120 ? $"{span.TotalHours:0.#} h" : $"{Math.Max(0, span.TotalMinutes):0} min";
}

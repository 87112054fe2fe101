using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using IsmsServerless.Settings;

namespace IsmsServerless.Incidents;

/// <summary>One security signal as the correlator sees it: who/what it is about and when it happened.</summary>
/// <param name="AccountId">The account the signal is about.</param>
/// <param name="Subject">The cause's key: the affected resource (instance, bucket, trail), or the actor for credential findings.</param>
/// <param name="At">When the source saw it first (GuardDuty <c>eventFirstSeen</c>, else the event time).</param>
/// <param name="SignalId">The source's finding id, kept as evidence.</param>
public sealed record IncidentSignal(string AccountId, string Subject, DateTimeOffset At, string SignalId);

/// <summary>One incident: every signal with the same cause in the same window.</summary>
public sealed record CorrelatedIncident(string IncidentId, string AccountId, string Subject, DateTimeOffset WindowStart,
    DateTimeOffset OpenedAt, IReadOnlyList<IncidentSignal> Signals);

/// <summary>
/// One incident per cause, not one per finding. Signals are keyed by account and subject (the resource, or the actor for
/// credential findings) within a fixed window aligned to the Unix epoch (<c>incidents.correlationWindowHours</c>). The
/// incident id is a hash of that key, so every signal of one cause maps to the same id however late or out of order it
/// arrives, and a replay in any order builds the same incidents. The price of fixed windows: two signals minutes apart
/// on either side of a window boundary open two incidents.
/// </summary>
public static class IncidentCorrelator
{
    public static DateTimeOffset WindowStart(DateTimeOffset at, IncidentSettings settings)
    {
        var window = TimeSpan.FromHours(settings.CorrelationWindowHours).Ticks;
        var ticks = at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var floored = ticks - ((ticks % window) + window) % window;
        return DateTimeOffset.UnixEpoch.AddTicks(floored);
    }

    /// <summary>The deterministic incident id for a signal.</summary>
    public static string IncidentId(IncidentSignal signal, IncidentSettings settings) =>
        IncidentId(signal.AccountId, signal.Subject, WindowStart(signal.At, settings));

    public static string IncidentId(string accountId, string subject, DateTimeOffset windowStart)
    {
        var canonical = string.Join('\u001f', accountId, subject,
            windowStart.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(canonical), hash);
        return "inc-" + Convert.ToHexStringLower(hash[..12]);
    }

    /// <summary>Groups signals into incidents. The result does not depend on the order of <paramref name="signals"/>.</summary>
    public static IReadOnlyList<CorrelatedIncident> Correlate(IEnumerable<IncidentSignal> signals, IncidentSettings settings) =>
    [
        .. signals
            .GroupBy(s => (s.AccountId, s.Subject, Window: WindowStart(s.At, settings)))
            .Select(g =>
            {
                var ordered = g.OrderBy(s => s.At).ThenBy(s => s.SignalId, StringComparer.Ordinal).ToList();
                return new CorrelatedIncident(IncidentId(g.Key.AccountId, g.Key.Subject, g.Key.Window), g.Key.AccountId, g.Key.Subject,
                    g.Key.Window, ordered[0].At, ordered);
            })
            .OrderBy(i => i.OpenedAt).ThenBy(i => i.IncidentId, StringComparer.Ordinal),
    ];
}

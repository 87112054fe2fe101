using System.Globalization;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Sweep;

namespace IsmsServerless.Alerts;

/// <summary>
/// Sweep step: once a day (the first sweep at or after <see cref="HourUtc"/>), posts a digest of the open and
/// acknowledged findings, breached first, then at-risk, through the same notifier as alerts. Idempotent per date:
/// the delivery record <c>DELIVERY#digest-&lt;yyyy-MM-dd&gt;</c> makes later sweeps of the day (and retries) skip it.
/// Reads with the ledger's status queries; no Scan.
/// </summary>
public sealed class DailyDigestStep(int hourUtc = 8, int maxFindings = 1000, Func<CancellationToken, Task<AlertDelivery?>>? channel = null) : ISweepStep
{
    public string Name => "daily-digest";

    public int HourUtc { get; } = hourUtc is >= 0 and <= 23 ? hourUtc : throw new ArgumentOutOfRangeException(nameof(hourUtc));

    public static string KeyFor(DateOnly day) => "digest-" + day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public async Task<SweepStepResult> RunAsync(SweepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var now = context.Evaluation.Now.ToUniversalTime();
        if (now.Hour < HourUtc)
            return new SweepStepResult(Name, 0, 0, 0, [$"digest is sent from {HourUtc:00}:00 UTC"]);
        var day = DateOnly.FromDateTime(now.UtcDateTime);
        var delivery = await (channel ?? SlackChannel.OpenAsync)(cancellationToken).ConfigureAwait(false);
        if (delivery is null)
            return new SweepStepResult(Name, 0, 0, 0, ["no Slack webhook configured: digest not sent"]);
        var records = new DeliveryRecords(context.Dynamo, context.TableName, context.Evaluation.Clock);
        if (await records.IsDeliveredAsync(KeyFor(day), cancellationToken).ConfigureAwait(false))
            return new SweepStepResult(Name, 0, 0, 0, [$"digest for {day:yyyy-MM-dd} already sent"]);

        var digest = await BuildAsync(context, day, cancellationToken).ConfigureAwait(false);
        var message = new OutgoingMessage(KeyFor(day), $"ISMS daily digest {digest.Date}", SlackMessageBuilder.ForDigest(digest));
        var report = await delivery.DeliverAsync(message, cancellationToken).ConfigureAwait(false);
        var examined = digest.Open + digest.Acknowledged;
        return report.Status switch
        {
            DeliveryStatus.Delivered => new SweepStepResult(Name, examined, 0, 0,
                [$"digest sent: {digest.Open} open, {digest.AtRisk} at risk, {digest.Breached} breached, {digest.Acknowledged} acknowledged"]),
            DeliveryStatus.AlreadyDelivered => new SweepStepResult(Name, examined, 0, 0, [$"digest for {day:yyyy-MM-dd} already sent"]),
            // Not sent: the next sweep of the day tries again. Throwing marks the step failed (visible in the sweep result).
            _ => throw new InvalidOperationException($"daily digest not delivered ({report.Status}): {report.Detail}"),
        };
    }

    /// <summary>Counts and lines for the digest, from the ledger's status queries.</summary>
    public async Task<DigestSummary> BuildAsync(SweepContext context, DateOnly day, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var open = await ReadAllAsync(context.Ledger, FindingStatus.Open, cancellationToken).ConfigureAwait(false);
        var acknowledged = await ReadAllAsync(context.Ledger, FindingStatus.Acknowledged, cancellationToken).ConfigureAwait(false);
        var active = open.Concat(acknowledged).ToList();
        var statusPage = context.Evaluation.Settings.StatusPageUrl.TrimEnd('/');
        var items = active
            .OrderByDescending(f => f.SlaState ?? SlaState.Open)
            .ThenByDescending(f => f.Severity)
            .ThenBy(f => f.DueAt ?? DateTimeOffset.MaxValue)
            .Select(f => new DigestItem(f.Severity.ToWire(), f.Title, f.ResourceId, f.DueAt is { } due ? Timestamps.ToWire(due) : null,
                f.SlaState?.ToWire(), $"{statusPage}/findings/{Uri.EscapeDataString(f.Id)}"))
            .ToList();
        return new DigestSummary(
            day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            open.Count,
            active.Count(f => f.SlaState == SlaState.AtRisk),
            active.Count(f => f.SlaState == SlaState.Breached),
            acknowledged.Count,
            items,
            statusPage);
    }

    private async Task<List<FindingRecord>> ReadAllAsync(IFindingLedger ledger, FindingStatus status, CancellationToken cancellationToken)
    {
        var all = new List<FindingRecord>();
        string? cursor = null;
        do
        {
            var page = await ledger.QueryByStatusAsync(status, 100, cursor, cancellationToken).ConfigureAwait(false);
            all.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null && all.Count < maxFindings);
        return all;
    }
}

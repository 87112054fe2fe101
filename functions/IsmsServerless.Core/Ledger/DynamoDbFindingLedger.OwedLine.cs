using Amazon.DynamoDBv2.Model;
using IsmsServerless.Observability;

namespace IsmsServerless.Ledger;

/// <summary>
/// A new finding's <c>created</c> detection line, paid lazily (issue 20, wave 7; docs/data-model.md, "The alert outbox"):
/// the finding's creating write names it (<c>owedLine</c>) instead of writing it, and the finding's NEXT write puts it,
/// rebuilt from the version read (exactly the creating version: every write settles it before replacing that version),
/// before its own write. A finding that is never written again never pays for it; every reader shows it from the finding
/// meanwhile (<see cref="GetHistoryAsync"/>), and the held check of a redelivery sees it at the finding's head.
/// </summary>
public sealed partial class DynamoDbFindingLedger
{
    /// <summary>
    /// The head item as every reader sees it: the stored one, or, while the finding owes its created line and the read
    /// returned no item at its head, the line rebuilt from the finding (what its next write puts there). A line is owed
    /// only by the creating version, whose only observation is its head, so the rebuilt line is exactly that head item;
    /// every later version holds the same line (stored by the next write, its text only ever replaced by a smaller one).
    /// </summary>
    private Dictionary<string, AttributeValue>? OwedLineAsHead(FindingRecord? before, Dictionary<string, AttributeValue>? storedHead)
    {
        if (before is not { OwedLine: not null } || IsHeadItem(before, storedHead)) return storedHead;
        return OutboxMarker.LineItem(before, settings.ResolvedRetentionDays) ?? storedHead;
    }

    /// <summary>
    /// Puts the line <paramref name="before"/> owes, if absent, ahead of a write that replaces that version (once per
    /// mutation). Idempotent: the key is the line's own; a put after a later write rewrote or demoted the line finds its key
    /// taken and writes nothing (a stale read's version cannot overwrite it).
    /// </summary>
    private async Task SettleOwedLineAsync(FindingRecord before, HashSet<string> settled, CancellationToken cancellationToken)
    {
        if (!settled.Add("\u001fline") || OutboxMarker.LineItem(before, settings.ResolvedRetentionDays) is not { } line) return;
        if (await PutOwedLineAsync(line, before.Id, cancellationToken).ConfigureAwait(false) == Storage.PutOutcome.Written)
            Log.Info("ledger.line-paid", ("findingId", before.Id), ("line", OutboxMarker.OwedCreated));
    }
}

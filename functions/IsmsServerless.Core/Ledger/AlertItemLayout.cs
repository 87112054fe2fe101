using System.Text;
using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Alerts;

namespace IsmsServerless.Ledger;

/// <summary>
/// Issue 20 wave 8, every alert one small unit: what an alert outbox item leaves out and how a reader puts it back
/// (docs/data-model.md "Alert outbox"). The rule's texts (title, controls, policy clause, remediation) are named by their
/// <see cref="RuleTexts"/> fingerprint when they are the registry's, and the details text is cut to what keeps the item
/// under <see cref="TargetBytes"/>; the finding keeps the whole text (its status page link is on every alert).
/// </summary>
internal static class AlertItemLayout
{
    /// <summary>An alert item stays at or under this size (DynamoDB bills a write unit per started 1 KB).</summary>
    public const int TargetBytes = 1000;

    /// <summary>The details text is never cut below this, however long the rest of the item (e.g. a very long resource id).</summary>
    public const int MinMessageBytes = 200;

    /// <summary>Ends a cut details text; the whole text is the finding's (the alert's status page link).</summary>
    public const string CutMarker = " … [cut: the whole text is on the status page]";

    private const string MessageAttribute = "message";

    /// <summary>The registry's texts when the alert's are exactly those (its item then names them by fingerprint).</summary>
    public static RuleTexts? SharedTexts(AlertRecord a) =>
        RuleTexts.ForRule(a.RuleId) is { } r && r.Title == a.Title && r.PolicyClause == a.PolicyClause && r.Remediation == a.Remediation
            && ControlsJson(r.Controls) == a.Controls ? r : null;

    /// <summary>Controls as the alert carries them: a JSON array of ids (as the ledger's <c>AlertFor</c> writes them).</summary>
    public static string ControlsJson(IReadOnlyList<string> controls) => JsonSerializer.Serialize(controls.ToList(), LedgerJsonContext.Default.ListString);

    /// <summary>
    /// The details text as stored: whole when the item stays under <see cref="TargetBytes"/> with it, else cut on a character
    /// boundary (never inside a surrogate pair) and ended by <see cref="CutMarker"/>. A function of the text and the rest of
    /// the item only, so every writer of the same alert (a retry, the outbox repair) stores the same item.
    /// </summary>
    public static string BoundMessage(string message, int otherBytes)
    {
        var budget = Math.Max(MinMessageBytes, TargetBytes - otherBytes - MessageAttribute.Length);
        if (Encoding.UTF8.GetByteCount(message) <= budget) return message;
        var room = budget - Encoding.UTF8.GetByteCount(CutMarker);
        var cut = new StringBuilder();
        var used = 0;
        foreach (var rune in message.EnumerateRunes())
        {
            if (used + rune.Utf8SequenceLength > room) break;
            cut.Append(rune.ToString());
            used += rune.Utf8SequenceLength;
        }
        return cut.ToString().TrimEnd() + CutMarker;
    }

    /// <summary>An item's size as DynamoDB counts it (<see cref="Storage.ItemSize"/>).</summary>
    public static int Bytes(Dictionary<string, AttributeValue> item) => Storage.ItemSize.Of(item);

    /// <summary>The rule id and fingerprint of an item that names its texts instead of storing them (null: it stores them).</summary>
    public static (string RuleId, string Fingerprint)? NamedTexts(Dictionary<string, AttributeValue> item) =>
        item.GetValueOrDefault(RuleTexts.Attribute)?.S is { Length: > 0 } fingerprint && item.GetValueOrDefault("ruleId")?.S is { Length: > 0 } ruleId
            && !item.ContainsKey("title")
            ? (ruleId, fingerprint)
            : null;

    /// <summary>The item with the registry's texts put back when it names them by the registry's fingerprint; else the item itself.</summary>
    public static Dictionary<string, AttributeValue> WithRegistryTexts(Dictionary<string, AttributeValue> item) =>
        NamedTexts(item) is var (ruleId, fingerprint) && RuleTexts.ForRule(ruleId) is { } registry && registry.Fingerprint == fingerprint
            ? WithTexts(item, registry)
            : item;

    /// <summary>A copy of the item with the texts put back as the earlier layout stored them (controls a JSON array string).</summary>
    public static Dictionary<string, AttributeValue> WithTexts(Dictionary<string, AttributeValue> item, RuleTexts texts)
    {
        var copy = new Dictionary<string, AttributeValue>(item, StringComparer.Ordinal);
        copy.TryAdd("title", LedgerItems.S(texts.Title));
        copy.TryAdd("controls", LedgerItems.S(ControlsJson(texts.Controls)));
        copy.TryAdd("policyClause", LedgerItems.S(texts.PolicyClause));
        copy.TryAdd("remediation", LedgerItems.S(texts.Remediation));
        return copy;
    }
}

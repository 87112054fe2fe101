using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Engine;

namespace IsmsServerless.Ledger;

/// <summary>
/// The texts a finding takes from its rule (title, controls, policy clause, remediation): the same for every finding of
/// a rule, so a finding item whose texts are its rule's does not store them (issue 20: ~450 bytes of a ~2 KB item). It
/// stores <see cref="Fingerprint"/> (<c>ruleTexts</c>) instead, and the texts live once in a content-addressed
/// <c>RULETEXT#&lt;ruleId&gt;</c> / <c>TEXTS#&lt;fingerprint&gt;</c> item written before the first finding that names them. A
/// reader takes them from the rule registry when the registry's texts have that fingerprint (no read), else from that
/// item: a finding reads with the texts it was written with, after the rule's texts changed or the rule was removed.
/// </summary>
internal sealed record RuleTexts(string Title, IReadOnlyList<string> Controls, string PolicyClause, string Remediation)
{
    public const string Attribute = "ruleTexts";
    public const string Entity = "RULE_TEXTS";
    public const string PartitionPrefix = "RULETEXT#";
    public const string SortPrefix = "TEXTS#";

    /// <summary>16 hex digits of SHA-256 over the texts (unit-separated; controls in order): names one set of texts.</summary>
    public string Fingerprint { get; } = Hash(Title, Controls, PolicyClause, Remediation);

    public static RuleTexts Of(FindingRecord f) => new(f.Title, f.Controls, f.PolicyClause, f.Remediation);

    public bool SameAs(RuleTexts other) =>
        Title == other.Title && PolicyClause == other.PolicyClause && Remediation == other.Remediation && Controls.SequenceEqual(other.Controls, StringComparer.Ordinal);

    private static readonly Lazy<Dictionary<string, RuleTexts>> Registry = new(() =>
        RuleRegistry.DefaultRules().ToDictionary(r => r.Metadata.Id, r => new RuleTexts(r.Metadata.Title, r.Metadata.Controls, r.Metadata.PolicyClause, r.Metadata.Remediation), StringComparer.Ordinal));

    /// <summary>The texts the rule registry of this build gives the rule (null: no such rule).</summary>
    public static RuleTexts? ForRule(string ruleId) => Registry.Value.GetValueOrDefault(ruleId);

    /// <summary>The registry's texts when the finding's are exactly those (the item then stores only the fingerprint).</summary>
    public static RuleTexts? Shared(FindingRecord f) =>
        ForRule(f.RuleId) is { } r && r.Title == f.Title && r.PolicyClause == f.PolicyClause && r.Remediation == f.Remediation
            && r.Controls.SequenceEqual(f.Controls, StringComparer.Ordinal) ? r : null;

    private static string Hash(string title, IReadOnlyList<string> controls, string clause, string remediation)
    {
        var text = new StringBuilder().Append(title).Append('\u001f').Append(clause).Append('\u001f').Append(remediation).Append('\u001f');
        foreach (var c in controls) text.Append(c).Append('\u001e');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())).AsSpan(0, 8));
    }

    public static Dictionary<string, AttributeValue> Key(string ruleId, string fingerprint) => new()
    {
        [LedgerSchema.PartitionKey] = LedgerItems.S(PartitionPrefix + LedgerKeys.Bounded(ruleId)),
        [LedgerSchema.SortKey] = LedgerItems.S(SortPrefix + fingerprint),
    };

    /// <summary>The content-addressed item: never rewritten with other content (its key is the content's hash), never expires.</summary>
    public Dictionary<string, AttributeValue> Item(string ruleId)
    {
        var item = Key(ruleId, Fingerprint);
        item[LedgerSchema.EntityType] = LedgerItems.S(Entity);
        item["ruleId"] = LedgerItems.S(ruleId);
        item["title"] = LedgerItems.S(Title);
        item["controls"] = new AttributeValue { L = Controls.Select(LedgerItems.S).ToList() };
        item["policyClause"] = LedgerItems.S(PolicyClause);
        item["remediation"] = LedgerItems.S(Remediation);
        return item;
    }

    /// <summary>Reads a <c>RULE_TEXTS</c> item; null when it is not one or does not hash to its own key (never trusted then).</summary>
    public static RuleTexts? Read(Dictionary<string, AttributeValue>? item)
    {
        if (item is null || item.GetValueOrDefault("title")?.S is not { } title || item.GetValueOrDefault("policyClause")?.S is not { } clause
            || item.GetValueOrDefault("remediation")?.S is not { } remediation || item.GetValueOrDefault("controls")?.L is not { } list || list.Any(c => c.S is null))
            return null;
        var texts = new RuleTexts(title, list.Select(c => c.S).ToList(), clause, remediation);
        return SortPrefix + texts.Fingerprint == item.GetValueOrDefault(LedgerSchema.SortKey)?.S ? texts : null;
    }

    /// <summary>
    /// Puts the texts back into a finding item that stored only their fingerprint, so <see cref="LedgerItems.TryReadFinding"/>
    /// reads it like an item that stored them. Attributes the item has are kept.
    /// </summary>
    public static void Fill(Dictionary<string, AttributeValue> item, RuleTexts texts)
    {
        item.TryAdd("title", LedgerItems.S(texts.Title));
        item.TryAdd("controls", new AttributeValue { L = texts.Controls.Select(LedgerItems.S).ToList() });
        item.TryAdd("policyClause", LedgerItems.S(texts.PolicyClause));
        item.TryAdd("remediation", LedgerItems.S(texts.Remediation));
    }
}

/// <summary>
/// Per ledger (per table): which <c>RULETEXT</c> items this process has written or read, so each is written at most once
/// per process (a conditional put: a second writer's failed condition means it is there) and read at most once.
/// </summary>
internal sealed class RuleTextsCache
{
    private readonly ConcurrentDictionary<string, RuleTexts> _known = new(StringComparer.Ordinal);

    public static string Id(string ruleId, string fingerprint) => ruleId + "\u001f" + fingerprint;

    public bool TryGet(string ruleId, string fingerprint, out RuleTexts texts) => _known.TryGetValue(Id(ruleId, fingerprint), out texts!);

    public void Add(string ruleId, RuleTexts texts) => _known[Id(ruleId, texts.Fingerprint)] = texts;
}

using System.Text.Json;
using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Model;

namespace IsmsServerless.Inputs;

/// <summary>Where a configuration item came from; decides nothing in the rules, kept as evidence.</summary>
public static class ConfigItemTrigger
{
    public const string ItemChange = "config-item-change";
    public const string RuleInvocation = "config-rule-invocation";
    public const string StoredConfiguration = "stored-configuration";

    /// <summary>An item read from a periodic configuration snapshot in S3 (inventory back-fill).</summary>
    public const string Snapshot = "config-snapshot";
}

/// <summary>
/// One AWS Config configuration item, normalized from whichever shape delivered it: the EventBridge
/// "Config Configuration Item Change" detail, a custom rule's <c>invokingEvent</c>, the API/snapshot form
/// (<c>accountId</c>/<c>arn</c>/<c>version</c>, configuration as a JSON string), or the drift store's copy.
/// <see cref="Configuration"/> and <see cref="SupplementaryConfiguration"/> are detached clones: they outlive the event.
/// </summary>
public sealed record ConfigItemInput : RuleInput
{
    public required string ResourceType { get; init; }
    public required string ResourceId { get; init; }
    public string? Arn { get; init; }
    public string? ResourceName { get; init; }
    public DateTimeOffset? CaptureTime { get; init; }

    /// <summary><c>OK</c>, <c>ResourceDiscovered</c>, ... (deleted resources never become a ConfigItemInput: they are a <see cref="ResourceGoneInput"/>).</summary>
    public string Status { get; init; } = "";

    /// <summary>CREATE / UPDATE / DELETE from <c>configurationItemDiff</c>, when the source carried it.</summary>
    public string? ChangeType { get; init; }

    /// <summary>The resource's configuration object (undefined when <see cref="Oversized"/>).</summary>
    public JsonElement Configuration { get; init; }

    /// <summary>Supplementary configuration, values already parsed when Config delivered them as JSON strings.</summary>
    public JsonElement SupplementaryConfiguration { get; init; }

    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Config sent only a summary (<c>OversizedConfigurationItemChangeNotification</c>): the full item must be fetched from
    /// <see cref="FullItemLocation"/> or by <c>GetResourceConfigHistory</c>. No baseline is judged on a summary.
    /// </summary>
    public bool Oversized { get; init; }

    /// <summary>Where Config delivered the full oversized item (<c>s3DeliverySummary.s3BucketLocation</c>), when it said.</summary>
    public string? FullItemLocation { get; init; }

    /// <summary>One of <see cref="ConfigItemTrigger"/>.</summary>
    public string Trigger { get; init; } = ConfigItemTrigger.ItemChange;

    /// <summary>The approved snapshot, attached by <see cref="ApprovedBaselineEnricher"/> in store-backed pipelines; null otherwise.</summary>
    public ApprovedBaseline? ApprovedBaseline { get; init; }

    /// <summary>The key findings, baselines and the drift store use for this resource: the ARN, else type/id.</summary>
    public string ResourceKey => ResourceKeys.For(Arn, ResourceType, ResourceId);

    public bool HasConfiguration => !Oversized && Configuration.ValueKind == JsonValueKind.Object;

    /// <summary>Configuration items are keyed on their Config resource type (baseline rules declare theirs).</summary>
    public override string? DispatchKey => ResourceType;

    public override IEnumerable<Evaluation> Dispatch(RuleRegistry registry, EvaluationContext context) =>
        registry.Evaluate(this, context);

    /// <summary>
    /// The evaluation a rule reports when this item's configuration lacks the shape it reads: a clear, logged rejection
    /// (outcome <see cref="Outcome.Rejected"/>, <see cref="RuleRegistry.InputRejectedEvidence"/> in its evidence), never a
    /// verdict. <paramref name="reason"/> says what was missing and what was expected.
    /// </summary>
    public Evaluation Rejected(RuleMetadata rule, string resourceType, string reason)
    {
        var evidence = Evidence();
        evidence[RuleRegistry.InputRejectedEvidence] = "true";
        return new Evaluation
        {
            Rule = rule,
            Outcome = Outcome.Rejected,
            ResourceId = Present.OrNull(ResourceKey) ?? RuleRegistry.UnknownResource,
            ResourceType = resourceType,
            AccountId = AccountId,
            Region = Region,
            Message = $"{resourceType} item {BaselineVerdict.Clip(ResourceId, 128)} rejected: {reason}",
            ObservedAt = CaptureTime,
            Evidence = evidence,
        };
    }

    /// <summary>Evidence every drift evaluation from this item carries.</summary>
    internal const int EvidenceCapacity = 12;

    public Dictionary<string, string> Evidence()
    {
        // Sized for these lines and the few a verdict adds, so the dictionary is never regrown (insertion order is kept).
        var evidence = new Dictionary<string, string>(EvidenceCapacity, StringComparer.Ordinal)
        {
            ["trigger"] = Trigger,
            ["resourceType"] = ResourceType,
            ["resourceId"] = ResourceId,
            ["configurationItemStatus"] = Status,
        };
        if (CaptureTime is { } captured) evidence["configurationItemCaptureTime"] = Timestamps.ToWire(captured);
        if (ChangeType is { } change) evidence["changeType"] = change;
        if (SourceEventId is { } id) evidence["eventId"] = id;
        if (ApprovedBaseline is { } baseline) evidence["approvedBaselineVersion"] = baseline.Version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return evidence;
    }
}

using System.Text.Json;
using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Backup;

/// <summary>
/// A critical S3 bucket (an <c>AWS::S3::Bucket</c> entry in <c>backup.scope</c>, usually with a tag) keeps a copy in
/// another region through replication: Config's <c>supplementaryConfiguration.BucketReplicationConfiguration</c> must
/// hold an <c>Enabled</c> rule whose destination is another bucket. Config writes the rules as a map keyed by rule id
/// (<c>rules.{id}.destinationConfig.bucketARN</c>, the S3 SDK's model); a list and the API's
/// <c>Destination.Bucket</c> spelling are read too. An S3 ARN carries no region, so the destination's region is not
/// in the item: the finding's evidence says so, and a destination in the same region is not detected here.
/// Off when <c>backup.copyRegionRequired</c> is false; buckets out of scope are not judged.
/// </summary>
public sealed class S3ReplicationRule : IRule<ConfigItemInput>
{
    public const string ResourceTypeName = "AWS::S3::Bucket";

    public static Baseline Baseline { get; } = new(ResourceTypeName + "#replication", "2026.11.2",
    [
        new("s3.replication-enabled", "supplementaryConfiguration.BucketReplicationConfiguration.rules", "an Enabled rule replicating to another bucket (in another region)",
            BackupPolicy.OtherRegion, BackupPolicy.Controls, Severity.High),
    ]);

    public RuleMetadata Metadata { get; } = new(
        Id: "backup.s3-replication",
        Title: "Critical S3 bucket not replicated to another region",
        Category: Category.Backup,
        Severity: Severity.High,
        ResourceType: ResourceTypeName,
        PolicyClause: BackupPolicy.OtherRegion,
        Controls: BackupPolicy.Controls,
        Risk: "A critical bucket with no replica loses its data with its region, or with one bad delete that versioning alone would not survive an account compromise.",
        Remediation: "Enable versioning on both buckets and add a replication rule to a bucket in another region: `aws s3api put-bucket-replication --bucket <b> --replication-configuration file://replication.json` (Status Enabled, Destination.Bucket arn:aws:s3:::<replica>), or the bucket's CDK `replicationRules`.")
    {
        Sla = TimeSpan.FromDays(7),
    };

    public IEnumerable<Evaluation> Evaluate(ConfigItemInput input, EvaluationContext context)
    {
        var settings = context.Settings.Backup;
        if (input.ResourceType != ResourceTypeName || !input.HasConfiguration || !settings.CopyRegionRequired || !settings.InScope(input.ResourceType, input.Tags)) yield break;
        var replication = Json.Unwrap(Json.Get(input.SupplementaryConfiguration, "BucketReplicationConfiguration"));
        var rules = Json.Get(replication, "rules", "Rules");
        var entries = rules.ValueKind switch
        {
            JsonValueKind.Object => rules.EnumerateObject().Select(p => (Id: p.Name, Rule: p.Value)).ToList(),
            JsonValueKind.Array => rules.EnumerateArray().Select((r, i) => (Id: Json.Text(r, "id", "ID") ?? $"rule {i}", Rule: r)).ToList(),
            _ => [],
        };
        var self = input.Arn ?? ResourceKeys.Bucket(input.ResourceName ?? input.ResourceId);
        var destinations = new List<string>();
        var disabled = new List<string>();
        foreach (var (id, rule) in entries)
        {
            var destination = Json.Text(Json.Get(rule, "destinationConfig", "Destination"), "bucketARN", "Bucket");
            var enabled = string.Equals(Json.Text(rule, "status", "Status"), "Enabled", StringComparison.OrdinalIgnoreCase);
            if (enabled && destination is not null && !string.Equals(destination, self, StringComparison.Ordinal)) destinations.Add(destination);
            else disabled.Add(BaselineVerdict.Clip(id, 64)!);
        }
        var evidence = input.Evidence();
        if (Json.Text(replication, "roleARN", "Role") is { } role) evidence["replicationRole"] = BaselineVerdict.Clip(role, 256)!;
        if (destinations.Count > 0)
        {
            evidence["replicaBuckets"] = BaselineVerdict.Clip(string.Join(",", destinations.Distinct(StringComparer.Ordinal)), 512)!;
            evidence["destinationRegion"] = "not stated by the Config item (S3 bucket ARNs carry no region); check the replica bucket's own item";
        }
        var actual = replication.ValueKind == JsonValueKind.Undefined || replication.ValueKind == JsonValueKind.Null ? "not configured"
            : entries.Count == 0 ? "no rules"
            : $"no enabled rule to another bucket ({string.Join(", ", disabled.Take(5))})";
        var violations = destinations.Count > 0 ? [] : new List<BaselineViolation> { new(Baseline["s3.replication-enabled"], actual) };
        yield return BaselineVerdict.Judge(Metadata, Baseline, input.ResourceKey, ResourceTypeName, input.AccountId, input.Region,
            BaselineVerdict.Subject(input), violations, input.CaptureTime, evidence);
    }
}

using IsmsServerless.Engine;
using IsmsServerless.Events;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Ingestion;

/// <summary>
/// EventBridge "GuardDuty Finding" events (source <c>aws.guardduty</c>) → one <see cref="SecurityFindingInput"/>. The
/// affected resource is read per GuardDuty resource type (instance, access key, S3 bucket, EKS cluster, ECS, Lambda, RDS);
/// the actor from <c>accessKeyDetails</c>; archived findings are out of scope.
/// </summary>
public sealed class GuardDutyAdapter : IEventAdapter
{
    public const string Source = "aws.guardduty";
    public const string DetailType = "GuardDuty Finding";

    private static readonly string[] ActionKinds = ["networkConnectionAction", "awsApiCallAction", "portProbeAction", "kubernetesApiCallAction", "rdsLoginAttemptAction"];

    public string Name => "guardduty";

    public bool CanAdapt(InboundEvent inbound) =>
        inbound.Kind == InboundKind.EventBridge && inbound.Source == Source && inbound.DetailType == DetailType;

    public IReadOnlyList<RuleInput> Adapt(InboundEvent inbound, EvaluationContext context)
    {
        var detail = inbound.Detail;
        if (detail.ValueKind != System.Text.Json.JsonValueKind.Object) throw new EventRejectedException("'GuardDuty Finding' event has no detail object");
        var id = JsonRead.Text(detail, "id") ?? JsonRead.Text(detail, "arn");
        if (id is null || !DetailReader.IsUsableResourceId(id)) throw new EventRejectedException("GuardDuty finding has no usable id");
        var score = JsonRead.Number(detail, "severity");
        if (score is null || score < 0 || score > 10) throw new EventRejectedException("GuardDuty finding has no severity between 0 and 10");
        var type = JsonRead.Text(detail, "type") ?? "";

        var resource = JsonRead.Child(detail, "resource");
        var resourceType = JsonRead.Text(resource, "resourceType") ?? "";
        var accessKey = JsonRead.Child(resource, "accessKeyDetails");
        var actor = JsonRead.Text(accessKey, "userName") ?? JsonRead.Text(accessKey, "principalId");
        var resourceId = resourceType switch
        {
            "Instance" => JsonRead.Text(JsonRead.Child(resource, "instanceDetails"), "instanceId"),
            "AccessKey" => JsonRead.Text(accessKey, "accessKeyId"),
            "S3Bucket" => JsonRead.Array(resource, "s3BucketDetails").Select(b => JsonRead.Text(b, "arn") ?? JsonRead.Text(b, "name")).FirstOrDefault(b => b is not null),
            "EKSCluster" => JsonRead.Text(JsonRead.Child(resource, "eksClusterDetails"), "arn") ?? JsonRead.Text(JsonRead.Child(resource, "eksClusterDetails"), "name"),
            "ECSCluster" => JsonRead.Text(JsonRead.Child(resource, "ecsClusterDetails"), "arn"),
            "Lambda" => JsonRead.Text(JsonRead.Child(resource, "lambdaDetails"), "functionArn"),
            "RDSDBInstance" => JsonRead.Text(JsonRead.Child(resource, "rdsDbInstanceDetails"), "dbInstanceArn"),
            _ => null,
        } ?? "";
        if (resourceId.Length > 0 && !DetailReader.IsUsableResourceId(resourceId))
            throw new EventRejectedException($"GuardDuty resource id is not usable ('{DetailReader.Shorten(resourceId)}')");
        if (actor is not null && !DetailReader.IsUsableResourceId(actor)) actor = null;

        var service = JsonRead.Child(detail, "service");
        var action = JsonRead.Child(service, "action");
        var remoteIp = ActionKinds.Select(a => JsonRead.Text(JsonRead.Path(action, a, "remoteIpDetails"), "ipAddressV4"))
            .FirstOrDefault(ip => ip is not null);
        var archived = JsonRead.Bool(service, "archived") == true;

        return
        [
            new SecurityFindingInput
            {
                Form = "guardduty",
                Product = "GuardDuty",
                AccountId = DetailReader.FirstNonEmpty(JsonRead.Text(detail, "accountId"), inbound.Account) ?? "unknown",
                Region = DetailReader.FirstNonEmpty(JsonRead.Text(detail, "region"), inbound.Region) ?? "unknown",
                ObservedAt = inbound.Time ?? JsonRead.Time(detail, "updatedAt"),
                SourceEventId = inbound.Id,
                FindingId = id,
                Type = DetailReader.Shorten(type, 200),
                Title = DetailReader.Shorten(JsonRead.Text(detail, "title") ?? type, 300),
                GuardDutySeverity = score,
                Severity = SecurityFindingInput.FromGuardDuty(score.Value),
                SeverityText = score.Value.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture),
                ResourceId = resourceId,
                ResourceType = resourceType,
                Actor = actor,
                RemoteIp = remoteIp,
                OutOfScopeReason = archived ? "the GuardDuty finding is archived" : null,
                FirstSeenAt = JsonRead.Time(service, "eventFirstSeen") ?? JsonRead.Time(detail, "createdAt"),
                EventTime = inbound.Time ?? JsonRead.Time(detail, "updatedAt"),
            },
        ];
    }
}

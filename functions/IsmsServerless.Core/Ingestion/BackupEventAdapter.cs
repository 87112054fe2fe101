using IsmsServerless.Engine;
using IsmsServerless.Events;
using IsmsServerless.Inputs;

namespace IsmsServerless.Ingestion;

/// <summary>
/// AWS Backup's EventBridge events (source <c>aws.backup</c>) → one <see cref="BackupJobInput"/>. Backup, copy and restore
/// job state changes (restore testing jobs are restore jobs with a <c>restoreTestingPlanArn</c>) and recovery point state
/// changes are read; the other aws.backup events (vault, plan, region settings, index, scan) hold nothing to evaluate.
/// AWS delivers these best effort, so the backup silence rule in the sweep is the backstop.
/// </summary>
public sealed class BackupEventAdapter : IEventAdapter
{
    public const string Source = "aws.backup";

    public string Name => "backup";

    public bool CanAdapt(InboundEvent inbound) => inbound.Kind == InboundKind.EventBridge && inbound.Source == Source
        && inbound.DetailType != "AWS API Call via CloudTrail";

    public IReadOnlyList<RuleInput> Adapt(InboundEvent inbound, EvaluationContext context)
    {
        BackupJobKind? kind = inbound.DetailType switch
        {
            "Backup Job State Change" => BackupJobKind.Backup,
            "Copy Job State Change" => BackupJobKind.Copy,
            "Restore Job State Change" => BackupJobKind.Restore,
            "Recovery Point State Change" => BackupJobKind.RecoveryPoint,
            _ => null,
        };
        if (kind is null) return [];
        var detail = inbound.Detail;
        if (detail.ValueKind != System.Text.Json.JsonValueKind.Object)
            throw new EventRejectedException($"'{inbound.DetailType}' event has no detail object");

        // Backup and copy jobs say "state"; restore jobs and recovery points say "status" (AWS documents both spellings).
        var state = (JsonRead.Text(detail, "state") ?? JsonRead.Text(detail, "status"))?.ToUpperInvariant();
        if (string.IsNullOrEmpty(state)) throw new EventRejectedException($"'{inbound.DetailType}' names neither a state nor a status");
        var envelopeResources = JsonRead.EnvelopeResources(inbound.Root);
        var jobId = kind switch
        {
            BackupJobKind.Backup => JsonRead.Text(detail, "backupJobId"),
            BackupJobKind.Copy => JsonRead.Text(detail, "copyJobId"),
            BackupJobKind.Restore => JsonRead.Text(detail, "restoreJobId"),
            _ => envelopeResources.Count > 0 ? envelopeResources[0] : null,
        } ?? inbound.Id;
        var resource = kind == BackupJobKind.Restore
            ? JsonRead.Text(detail, "sourceResourceArn") ?? JsonRead.Text(detail, "resourceArn") ?? (envelopeResources.Count > 0 ? envelopeResources[0] : null)
            : JsonRead.Text(detail, "resourceArn");

        // A job in CREATED state carries nothing but its id (AWS's own sample): nothing to judge, nothing to key on.
        if (string.IsNullOrEmpty(resource))
        {
            if (state is "CREATED" or "PENDING" or "RUNNING") return [];
            throw new EventRejectedException($"'{inbound.DetailType}' in state {state} names no resource");
        }
        if (!DetailReader.IsUsableResourceId(resource))
            throw new EventRejectedException($"AWS Backup resource id is not usable ('{DetailReader.Shorten(resource)}')");
        if (string.IsNullOrEmpty(jobId) || !DetailReader.IsUsableResourceId(jobId))
            throw new EventRejectedException($"'{inbound.DetailType}' names no usable job id");

        return
        [
            new BackupJobInput
            {
                Kind = kind.Value,
                AccountId = DetailReader.FirstNonEmpty(inbound.Account, JsonRead.Text(detail, "accountId")) ?? "unknown",
                Region = inbound.Region ?? BackupJobInput.RegionOf(resource) ?? "unknown",
                ObservedAt = inbound.Time,
                SourceEventId = inbound.Id,
                JobId = jobId,
                State = state,
                StatusMessage = DetailReader.Shorten(JsonRead.Text(detail, "statusMessage")?.Trim('"'), 500) is { Length: > 0 } m ? m : null,
                ResourceArn = resource,
                BackupResourceType = JsonRead.Text(detail, "resourceType") ?? "",
                CreatedAt = JsonRead.Time(detail, "creationDate"),
                CompletedAt = JsonRead.Time(detail, "completionDate"),
                RestoreTestingPlanArn = JsonRead.Text(detail, "restoreTestingPlanArn"),
                IsEncrypted = JsonRead.Bool(detail, "isEncrypted"),
                SourceVaultArn = JsonRead.Text(detail, "sourceBackupVaultArn") ?? JsonRead.Text(detail, "backupVaultArn"),
                DestinationVaultArn = JsonRead.Text(detail, "destinationBackupVaultArn"),
                BackupPlanArn = JsonRead.Text(JsonRead.Child(detail, "createdBy"), "backupPlanArn"),
            },
        ];
    }
}

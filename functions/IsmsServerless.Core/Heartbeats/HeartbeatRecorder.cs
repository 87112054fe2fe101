using System.Collections.Concurrent;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Engine;
using IsmsServerless.Events;
using IsmsServerless.Ingestion;
using IsmsServerless.Ledger;
using IsmsServerless.Observability;

namespace IsmsServerless.Heartbeats;

/// <summary>
/// Records that a watched source spoke: the ingest path calls <see cref="RecordAsync(ReadOnlyMemory{byte}, CancellationToken)"/>
/// for every payload, before or after evaluation. One small conditional UpdateItem per source, account and region at
/// most every <see cref="MinimumWriteInterval"/> per process, so a busy CloudTrail stream costs a handful of writes an
/// hour, not one per event. Never throws: a heartbeat that cannot be written is logged, and the event is still evaluated.
/// </summary>
public sealed class HeartbeatRecorder(IAmazonDynamoDB dynamo, string tableName, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastWritten = new(StringComparer.Ordinal);

    /// <summary>Silence thresholds are hours or days; a heartbeat a few minutes stale changes nothing.</summary>
    public TimeSpan MinimumWriteInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Classifies a raw payload and records its source's heartbeat. Bad or unwatched payloads record nothing.</summary>
    public async Task<bool> RecordAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        InboundEvent inbound;
        System.Text.Json.JsonDocument document;
        try
        {
            inbound = EventRouter.Classify(payload, out document);
        }
        catch (EventRejectedException)
        {
            return false;
        }
        using (document)
        {
            var account = inbound.Account ?? AccountOf(inbound);
            var region = inbound.Region ?? RegionOf(inbound);
            return await RecordAsync(inbound.Kind, inbound.Source, inbound.DetailType, account, region, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Records the heartbeat of an event the pipeline already parsed, without parsing it again: account and region
    /// come from its first normalized input. Only payloads that yielded no input (heartbeat-only events such as
    /// Config delivery status) are parsed here, and only when their source is watched.
    /// </summary>
    public async Task<bool> RecordAsync(EngineResult result, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        if (result.Kind is not { } kind || HeartbeatSources.Classify(kind, result.Source, result.DetailType) is null) return false;
        return result.Inputs.Count > 0 && result.Inputs[0] is { } input
            ? await RecordAsync(kind, result.Source, result.DetailType, input.AccountId, input.Region, cancellationToken).ConfigureAwait(false)
            : await RecordAsync(payload, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records a heartbeat for an already-classified event (for pipelines that hold the <see cref="InboundEvent"/>).</summary>
    public async Task<bool> RecordAsync(InboundKind kind, string? source, string? detailType, string? accountId, string? region,
        CancellationToken cancellationToken = default)
    {
        var watched = HeartbeatSources.Classify(kind, source, detailType);
        if (watched is null) return false;
        return await WriteAsync(watched, Clean(accountId), Clean(region), detailType, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes a heartbeat for <paramref name="source"/> now (the sweep records its own runs with this).</summary>
    public async Task<bool> WriteAsync(string source, string accountId, string region, string? detailType, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        var sortKey = HeartbeatItem.SortKeyFor(source, accountId, region);
        if (_lastWritten.TryGetValue(sortKey, out var last) && now - last < MinimumWriteInterval) return false;
        var seen = HeartbeatItem.FormatTime(now);
        try
        {
            await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = tableName,
                Key = HeartbeatItem.Key(sortKey),
                UpdateExpression = "SET #type = :type, #source = :source, accountId = :account, #region = :region, lastSeenAt = :seen, lastDetailType = :detailType",
                // Monotonic: a slow writer holding an older time must not move the heartbeat backwards.
                ConditionExpression = "attribute_not_exists(lastSeenAt) OR lastSeenAt < :seen",
                ExpressionAttributeNames = new Dictionary<string, string>
                {
                    ["#type"] = LedgerSchema.EntityType,
                    ["#source"] = "source",
                    ["#region"] = "region",
                },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                {
                    [":type"] = new() { S = HeartbeatItem.EntityTypeValue },
                    [":source"] = new() { S = source },
                    [":account"] = new() { S = accountId },
                    [":region"] = new() { S = region },
                    [":seen"] = new() { S = seen },
                    [":detailType"] = new() { S = Truncate(detailType ?? "", 256) },
                },
            }, cancellationToken).ConfigureAwait(false);
            _lastWritten[sortKey] = now;
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            // A concurrent invocation already recorded a later heartbeat: the source is alive, nothing to do.
            _lastWritten[sortKey] = now;
            return false;
        }
        catch (Exception ex) when (ex is Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException or HttpRequestException)
        {
            Log.Warn("heartbeat.write-failed", ("source", source), ("account", accountId), ("region", region), ("error", ex.Message));
            return false;
        }
    }

    /// <summary>Account and region are attacker-influenced text in forwarded events; keep keys short and printable.</summary>
    private static string Clean(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return "unknown";
        var clean = new string(value.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_').Take(64).ToArray());
        return clean.Length == 0 ? "unknown" : clean;
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max];

    /// <summary>As the CloudTrail adapter does: the delivered-to account, else the caller's.</summary>
    private static string? AccountOf(InboundEvent inbound) =>
        FirstRecordString(inbound, "recipientAccountId") ?? FirstRecordString(inbound, "userIdentity", "accountId");

    private static string? RegionOf(InboundEvent inbound) => FirstRecordString(inbound, "awsRegion");

    /// <summary>Raw CloudTrail records and log files carry account and region in the record, not an envelope.</summary>
    private static string? FirstRecordString(InboundEvent inbound, string property, string? nested = null)
    {
        var record = inbound.Kind switch
        {
            InboundKind.CloudTrailRecord => inbound.Root,
            InboundKind.CloudTrailLogFile when inbound.Root.TryGetProperty("Records", out var records)
                && records.ValueKind == System.Text.Json.JsonValueKind.Array && records.GetArrayLength() > 0 => records[0],
            _ => default,
        };
        if (record.ValueKind != System.Text.Json.JsonValueKind.Object || !record.TryGetProperty(property, out var value)) return null;
        if (nested is not null && (value.ValueKind != System.Text.Json.JsonValueKind.Object || !value.TryGetProperty(nested, out value))) return null;
        return value.ValueKind == System.Text.Json.JsonValueKind.String ? value.GetString() : null;
    }
}

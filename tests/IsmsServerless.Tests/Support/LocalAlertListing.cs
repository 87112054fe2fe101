using System.Globalization;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Alerts;
using IsmsServerless.Ledger;

namespace IsmsServerless.Tests.Support;

/// <summary>
/// Test-only: the alert outbox items a test table holds for one (UTC) day. Alert items are in no index (issue 20, wave 7:
/// no production path lists alerts by day; delivery reads the stream, the CLI reads by id), so this Scans the test's own
/// small table with a filter. Items of every layout match: the raised-at time is <c>GSI4SK</c>'s prefix in all of them
/// (<c>&lt;createdAt&gt;</c>, or <c>&lt;createdAt&gt;#&lt;id&gt;</c> before issue 20's item sizes).
/// </summary>
internal static class LocalAlertListing
{
    public static async Task<IReadOnlyList<AlertRecord>> QueryAlertsAsync(this DynamoDbFindingLedger ledger, DateOnly day, CancellationToken cancellationToken = default)
    {
        var alerts = new List<AlertRecord>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var response = await ledger.Client.ScanAsync(new ScanRequest
            {
                TableName = ledger.TableName,
                FilterExpression = "#type = :alert AND begins_with(#at, :day)",
                ExpressionAttributeNames = new() { ["#type"] = LedgerSchema.EntityType, ["#at"] = LedgerSchema.Gsi4SortKey },
                ExpressionAttributeValues = new()
                {
                    [":alert"] = new() { S = LedgerItems.AlertEntity },
                    [":day"] = new() { S = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "T" },
                },
                ConsistentRead = true,
                ExclusiveStartKey = start,
            }, cancellationToken);
            foreach (var item in response.Items)
                alerts.Add(LedgerItems.TryReadAlert(item, out var alert, out var problem) ? alert : throw new InvalidDataException(problem));
            start = response.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (start is not null);
        alerts.Sort((a, b) => string.CompareOrdinal(a.CreatedAt, b.CreatedAt) is var byTime and not 0 ? byTime : string.CompareOrdinal(a.AlertId, b.AlertId));
        return alerts;
    }
}

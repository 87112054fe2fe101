using System.Globalization;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Ledger;
using IsmsServerless.Model;

namespace IsmsServerless.Monitoring;

/// <summary>
/// Counts failed console sign-ins per user and per source IP in a sliding window, for the burst rule. Each failure is
/// one item per key (<c>PK=SIGNINFAIL#USER#acct#name</c> or <c>SIGNINFAIL#IP#ip</c>, <c>SK=eventTime#eventID</c>, TTL after
/// the window), so redelivery writes the same item again and out-of-order arrival still counts by event time. The
/// count is the densest window-long stretch holding this failure, read with one Query over [eventTime - window,
/// eventTime + window]: exact, no read-modify-write race, and the same whatever order the failures arrive in.
/// </summary>
public sealed class SignInFailureCounter(IAmazonDynamoDB dynamo, string tableName) : IInputEnricher
{
    public const string EntityType = "SIGNIN_FAILURE";

    public static bool IsFailedConsoleLogin(CloudTrailInput input)
    {
        if (input.EventName != "ConsoleLogin") return false;
        var response = input.Record.ResponseElements;
        // The outcome compared where it is (ValueEquals unescapes as GetString does), without decoding it into a string.
        if (response.ValueKind == JsonValueKind.Object && response.TryGetProperty("ConsoleLogin"u8, out var login)
            && login.ValueKind == JsonValueKind.String)
            return login.ValueEquals("Failure"u8);
        return input.Failed;
    }

    /// <summary>The user a failed sign-in names (CloudTrail writes HIDDEN_DUE_TO_SECURITY_REASONS for unknown names).</summary>
    public static string UserOf(CloudTrailInput input) =>
        input.IdentityType == "Root" ? "root" : input.Record.UserIdentity?.UserName is { Length: > 0 } name ? name : "unknown";

    public async ValueTask<RuleInput> EnrichAsync(RuleInput input, EvaluationContext context, CancellationToken cancellationToken)
    {
        if (input is not CloudTrailInput trail || !IsFailedConsoleLogin(trail) || trail.ObservedAt is not { } at) return input;
        var window = TimeSpan.FromMinutes(context.Settings.FailedLoginWindowMinutes);
        var eventId = trail.CallId;
        var userKey = $"SIGNINFAIL#USER#{trail.AccountId}#{UserOf(trail)}";
        var ipKey = trail.Record.SourceIpAddress is { Length: > 0 } ip ? $"SIGNINFAIL#IP#{ip}" : null;
        var threshold = context.Settings.FailedLoginThreshold;
        var byUser = await CountAsync(userKey, at, eventId, window, threshold, cancellationToken).ConfigureAwait(false);
        var byIp = ipKey is null ? 0 : await CountAsync(ipKey, at, eventId, window, threshold, cancellationToken).ConfigureAwait(false);
        return trail with { RecentSignInFailures = new SignInFailureCounts(byUser, byIp, context.Settings.FailedLoginWindowMinutes) };
    }

    private async Task<int> CountAsync(string partition, DateTimeOffset at, string eventId, TimeSpan window, int threshold, CancellationToken cancellationToken)
    {
        var sortKey = Timestamps.ToWire(at) + "#" + eventId;
        var put = await dynamo.PutItemAsync(new PutItemRequest
        {
            // The item as it was: present means this failure was stored before (a redelivery, or the SDK's retry of this
            // very put after a lost answer). Costs nothing more than the put.
            ReturnValues = ReturnValue.ALL_OLD,
            TableName = tableName,
            Item = new Dictionary<string, AttributeValue>
            {
                [LedgerSchema.PartitionKey] = new() { S = partition },
                [LedgerSchema.SortKey] = new() { S = sortKey },
                [LedgerSchema.EntityType] = new() { S = EntityType },
                // Kept a day past the window so a late (out-of-order) failure still finds its neighbours.
                [LedgerSchema.TimeToLive] = new() { N = (at + window + TimeSpan.FromDays(1)).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) },
            },
        }, cancellationToken).ConfigureAwait(false);
        // The failures around this one, [at - window, at + window], by event time: a burst is any window-long stretch
        // holding this failure. Looking both ways makes the count a function of the set of failures, not of arrival
        // order: delivered newest-first, the last one to arrive still sees the whole burst (it saw only itself before).
        // The read is strongly consistent when this put stored the failure, so that of two failures stored at once each
        // sees the other. A failure stored before (a redelivery; issue 20: 1.13 read units per event of a duplicate burst)
        // reads eventually consistently first (half a unit): a stale read only misses failures, so a count that already
        // reaches the threshold decides the same finding as the consistent read would (the burst), and only the number
        // reported can be lower. A count below it is read again strongly consistently, so a burst is never missed, even
        // when "stored before" was this request's own put (the SDK's retry after a lost answer) racing another failure.
        if (put.Attributes is { Count: > 0 } && await ReadWindowAsync(partition, at, window, consistent: false, cancellationToken).ConfigureAwait(false) is var seen && seen >= threshold)
            return seen;
        return await ReadWindowAsync(partition, at, window, consistent: true, cancellationToken).ConfigureAwait(false);
    }

    private async Task<int> ReadWindowAsync(string partition, DateTimeOffset at, TimeSpan window, bool consistent, CancellationToken cancellationToken)
    {
        var times = new List<DateTimeOffset>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var response = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = tableName,
                KeyConditionExpression = "PK = :pk AND SK BETWEEN :from AND :to",
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                {
                    [":pk"] = new() { S = partition },
                    [":from"] = new() { S = Timestamps.ToWire(at - window) },
                    [":to"] = new() { S = Timestamps.ToWire(at + window) + "#~" },
                },
                ProjectionExpression = "SK",
                ConsistentRead = consistent,
                ExclusiveStartKey = start,
            }, cancellationToken).ConfigureAwait(false);
            foreach (var item in response.Items)
            {
                var sk = item.TryGetValue(LedgerSchema.SortKey, out var value) ? value.S : null;
                var hash = sk?.IndexOf('#', StringComparison.Ordinal) ?? -1;
                if (hash > 0 && Timestamps.ParseOrNull(sk![..hash]) is { } time) times.Add(time);
            }
            start = response.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        } while (start is not null);
        return DensestWindowContaining(times, at, window);
    }

    /// <summary>
    /// The most failures in any window of length <paramref name="window"/> that contains <paramref name="at"/>
    /// (<paramref name="times"/> holds this failure too). Pure, so it is tested on its own.
    /// </summary>
    public static int DensestWindowContaining(IReadOnlyList<DateTimeOffset> times, DateTimeOffset at, TimeSpan window)
    {
        var sorted = times.Order().ToArray();
        var best = 0;
        var hi = 0;
        for (var lo = 0; lo < sorted.Length; lo++)
        {
            var from = sorted[lo];
            if (from > at) break;
            if (from < at - window) continue;
            if (hi < lo) hi = lo;
            while (hi < sorted.Length && sorted[hi] <= from + window) hi++;
            best = Math.Max(best, hi - lo);
        }
        return best;
    }
}

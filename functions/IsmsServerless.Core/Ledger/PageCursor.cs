using System.Text;
using System.Text.Json;
using Amazon.DynamoDBv2.Model;

namespace IsmsServerless.Ledger;

/// <summary>
/// Opaque page cursors: DynamoDB's LastEvaluatedKey (string attributes only in this table) as base64url JSON.
/// A cursor is user input (query string on the status page): a malformed one is rejected with
/// <see cref="ArgumentException"/>, never passed through half-parsed.
/// </summary>
public static class PageCursor
{
    private const int MaxLength = 4096;

    public static string? Encode(Dictionary<string, AttributeValue>? lastEvaluatedKey)
    {
        if (lastEvaluatedKey is not { Count: > 0 }) return null;
        var plain = lastEvaluatedKey.Where(kv => kv.Value.S is not null).ToDictionary(kv => kv.Key, kv => kv.Value.S, StringComparer.Ordinal);
        var json = JsonSerializer.SerializeToUtf8Bytes(plain, LedgerJsonContext.Default.DictionaryStringString);
        return Convert.ToBase64String(json).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static Dictionary<string, AttributeValue>? Decode(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor)) return null;
        if (cursor.Length > MaxLength) throw new ArgumentException("page cursor is too long", nameof(cursor));
        try
        {
            var base64 = cursor.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=');
            var plain = JsonSerializer.Deserialize(Encoding.UTF8.GetString(Convert.FromBase64String(base64)), LedgerJsonContext.Default.DictionaryStringString);
            if (plain is not { Count: > 0 } || plain.Count > 6 || plain.Keys.Any(k => k is not (LedgerSchema.PartitionKey or LedgerSchema.SortKey)
                    && !LedgerSchema.GlobalSecondaryIndexes.Any(g => g.PartitionKey == k || g.SortKey == k)))
                throw new ArgumentException("page cursor does not name ledger keys", nameof(cursor));
            return plain.ToDictionary(kv => kv.Key, kv => new AttributeValue { S = kv.Value ?? "" }, StringComparer.Ordinal);
        }
        catch (Exception ex) when (ex is FormatException or JsonException or DecoderFallbackException)
        {
            throw new ArgumentException("page cursor is not valid", nameof(cursor), ex);
        }
    }
}

using Amazon.DynamoDBv2.Model;

namespace IsmsServerless.Tests.Support;

/// <summary>
/// An item's size as DynamoDB counts it for write units (attribute names + values; numbers about 1 byte per 2 digits + 1;
/// lists and maps 3 bytes + 1 per element), the same rule as the scale replay's <c>BillEstimate</c>. A write costs
/// ceil(size / 1 KB) units.
/// </summary>
public static class ItemSize
{
    public static int Of(Dictionary<string, AttributeValue> item) =>
        item.Sum(a => System.Text.Encoding.UTF8.GetByteCount(a.Key) + Value(a.Value));

    private static int Value(AttributeValue v) =>
        v.S is not null ? System.Text.Encoding.UTF8.GetByteCount(v.S)
        : v.N is not null ? (v.N.TrimStart('-').Replace(".", "", StringComparison.Ordinal).Length + 1) / 2 + 1
        : v.L is { Count: > 0 } || v.IsLSet ? 3 + (v.L ?? []).Sum(e => 1 + Value(e))
        : v.M is { Count: > 0 } || v.IsMSet ? 3 + (v.M ?? []).Sum(e => 1 + System.Text.Encoding.UTF8.GetByteCount(e.Key) + Value(e.Value))
        : v.SS is { Count: > 0 } ? v.SS.Sum(System.Text.Encoding.UTF8.GetByteCount)
        : 1;
}

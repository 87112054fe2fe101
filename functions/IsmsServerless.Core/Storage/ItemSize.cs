using System.Text;
using Amazon.DynamoDBv2.Model;

namespace IsmsServerless.Storage;

/// <summary>
/// An item's size as DynamoDB counts it for capacity units (docs: "DynamoDB item sizes and formats"): every attribute's
/// name and value in UTF-8; a number about one byte per two significant digits plus one; binary its length; lists and
/// maps 3 bytes plus 1 per element (and the element's name in a map); sets the sum of their members; a Boolean or null
/// 1 byte. A write costs ceil(size / 1 KB) units. The one rule the ledger's layouts (finding, alert), the tests and the
/// scale replay's bill estimate all use.
/// </summary>
public static class ItemSize
{
    public static int Of(Dictionary<string, AttributeValue> item)
    {
        ArgumentNullException.ThrowIfNull(item);
        var bytes = 0;
        foreach (var (name, value) in item) bytes += Encoding.UTF8.GetByteCount(name) + Of(value);
        return bytes;
    }

    /// <summary>The size of one value, without its attribute's name.</summary>
    public static int Of(AttributeValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.S is not null ? Encoding.UTF8.GetByteCount(value.S)
            : value.N is not null ? Number(value.N)
            : value.B is not null ? (int)value.B.Length
            : value.L is not null ? 3 + value.L.Sum(e => 1 + Of(e))
            : value.M is not null ? 3 + value.M.Sum(e => 1 + Encoding.UTF8.GetByteCount(e.Key) + Of(e.Value))
            : value.SS is { Count: > 0 } ? value.SS.Sum(Encoding.UTF8.GetByteCount)
            : value.NS is { Count: > 0 } ? value.NS.Sum(Number)
            : value.BS is { Count: > 0 } ? value.BS.Sum(b => (int)b.Length)
            : 1;
    }

    private static int Number(string n) => (n.TrimStart('-').Replace(".", "", StringComparison.Ordinal).Length + 1) / 2 + 1;
}

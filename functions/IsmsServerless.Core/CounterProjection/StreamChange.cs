using System.Numerics;
using Amazon.DynamoDBv2.Model;

namespace IsmsServerless.CounterProjection;

/// <summary>
/// One DynamoDB stream record as Lambda delivers it (<c>Records[]</c> of a DynamoDB event: <c>eventID</c>, <c>eventName</c>,
/// <c>eventSourceARN</c>, <c>dynamodb.Keys</c>/<c>NewImage</c>/<c>OldImage</c>/<c>SequenceNumber</c>) and as the Streams API's
/// GetRecords returns it locally (the same fields). No shard id: a Lambda batch is a contiguous range of one shard.
/// </summary>
public sealed record StreamChange(
    string EventId,
    string EventName,
    string SequenceNumber,
    string? EventSourceArn,
    Dictionary<string, AttributeValue>? Keys,
    Dictionary<string, AttributeValue>? NewImage,
    Dictionary<string, AttributeValue>? OldImage)
{
    /// <summary>Set when an image of the record could not be read (the projector logs it and skips the record).</summary>
    public string? Problem { get; init; }
}

/// <summary>Stream sequence numbers: decimal strings of up to 40 digits, increasing within a shard; compared as numbers.</summary>
public static class SequenceNumbers
{
    /// <summary>Digits of the zero-padded form used in marker keys (AWS documents sequence numbers of 21 to 40 digits).</summary>
    public const int Width = 40;

    public static bool TryParse(string? text, out BigInteger value)
    {
        value = default;
        if (string.IsNullOrEmpty(text) || text.Length > Width) return false;
        foreach (var c in text) if (c is < '0' or > '9') return false;
        return BigInteger.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out value);
    }

    /// <summary>The zero-padded form: its ordinal order is the numeric order.</summary>
    public static string Padded(BigInteger value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(Width, '0');
}

/// <summary>Something that brings derived items (the counters) up to the table's stream before they are read.</summary>
public interface ICounterCatchUp
{
    Task CatchUpAsync(CancellationToken cancellationToken = default);
}

using System.Globalization;
using System.Text.Json;
using Amazon.DynamoDBv2.Model;

namespace IsmsServerless.CounterProjection;

/// <summary>
/// Reads DynamoDB stream records from their JSON: the Lambda event (<c>{"Records":[…]}</c>, DynamoDB JSON images:
/// <c>{"S":…}</c>, <c>{"N":…}</c>, <c>{"B":"&lt;base64&gt;"}</c>, …) and the Streams API's GetRecords answer, which uses the same
/// record shape (without <c>eventSourceARN</c>). One reader for both, so the projector sees the same records in Lambda
/// and locally. A record or image that cannot be read gives a problem, never an exception.
/// </summary>
public static class StreamRecordJson
{
    /// <summary>Largest nesting read in an image (DynamoDB allows 32 levels).</summary>
    private const int MaxDepth = 32;

    /// <summary>The records of a Lambda DynamoDB event, with the problems of those that could not be read.</summary>
    public static (List<StreamChange> Records, List<string> Problems) ReadEvent(JsonElement root, string? streamArn = null)
    {
        var records = new List<StreamChange>();
        var problems = new List<string>();
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("Records", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            problems.Add("not a DynamoDB stream event: no Records array");
            return (records, problems);
        }
        foreach (var element in list.EnumerateArray())
        {
            if (TryReadRecord(element, streamArn, out var change, out var problem)) records.Add(change);
            else problems.Add(problem);
        }
        return (records, problems);
    }

    public static bool TryReadRecord(JsonElement element, string? streamArn, out StreamChange change, out string problem)
    {
        change = null!;
        problem = "";
        if (element.ValueKind != JsonValueKind.Object) { problem = "record is not an object"; return false; }
        var eventId = Text(element, "eventID") ?? "";
        var eventName = Text(element, "eventName") ?? "";
        var arn = Text(element, "eventSourceARN") ?? streamArn;
        if (!element.TryGetProperty("dynamodb", out var data) || data.ValueKind != JsonValueKind.Object)
        {
            problem = $"record {eventId}: no dynamodb object";
            return false;
        }
        var sequence = Text(data, "SequenceNumber");
        if (string.IsNullOrEmpty(sequence)) { problem = $"record {eventId}: no SequenceNumber"; return false; }
        Dictionary<string, AttributeValue>? Image(string name, out string? imageProblem)
        {
            imageProblem = null;
            if (!data.TryGetProperty(name, out var image) || image.ValueKind == JsonValueKind.Null) return null;
            if (TryReadItem(image, out var item, out var p)) return item;
            imageProblem = $"{name}: {p}";
            return null;
        }
        var keys = Image("Keys", out var keysProblem);
        var newImage = Image("NewImage", out var newProblem);
        var oldImage = Image("OldImage", out var oldProblem);
        // An unreadable image is kept as an empty one marked by the problem: the projector logs and skips the record
        // (never blocks the shard), and keeps its place in the range.
        if ((keysProblem ?? newProblem ?? oldProblem) is { } imageProblem)
        {
            change = new StreamChange(eventId, eventName, sequence, arn, keys, newImage, oldImage) { Problem = imageProblem };
            return true;
        }
        change = new StreamChange(eventId, eventName, sequence, arn, keys, newImage, oldImage);
        return true;
    }

    public static bool TryReadItem(JsonElement element, out Dictionary<string, AttributeValue> item, out string problem)
    {
        item = new Dictionary<string, AttributeValue>(StringComparer.Ordinal);
        problem = "";
        if (element.ValueKind != JsonValueKind.Object) { problem = "image is not an object"; return false; }
        foreach (var property in element.EnumerateObject())
        {
            if (!TryReadValue(property.Value, 1, out var value, out problem)) { problem = $"{property.Name}: {problem}"; return false; }
            item[property.Name] = value;
        }
        return true;
    }

    private static bool TryReadValue(JsonElement element, int depth, out AttributeValue value, out string problem)
    {
        value = null!;
        problem = "";
        if (depth > MaxDepth) { problem = "nested too deep"; return false; }
        if (element.ValueKind != JsonValueKind.Object) { problem = "attribute value is not an object"; return false; }
        using var properties = element.EnumerateObject();
        if (!properties.MoveNext()) { problem = "empty attribute value"; return false; }
        var p = properties.Current;
        if (properties.MoveNext()) { problem = "attribute value with more than one type"; return false; }
        switch (p.Name)
        {
            case "S" when p.Value.ValueKind == JsonValueKind.String:
                value = new AttributeValue { S = p.Value.GetString() };
                return true;
            case "N" when p.Value.ValueKind == JsonValueKind.String && decimal.TryParse(p.Value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out _):
                value = new AttributeValue { N = p.Value.GetString() };
                return true;
            case "B" when p.Value.ValueKind == JsonValueKind.String && p.Value.TryGetBytesFromBase64(out var bytes):
                value = new AttributeValue { B = new MemoryStream(bytes) };
                return true;
            case "BOOL" when p.Value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                value = new AttributeValue { BOOL = p.Value.GetBoolean() };
                return true;
            case "NULL" when p.Value.ValueKind == JsonValueKind.True:
                value = new AttributeValue { NULL = true };
                return true;
            case "SS" when p.Value.ValueKind == JsonValueKind.Array && p.Value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String):
                value = new AttributeValue { SS = p.Value.EnumerateArray().Select(e => e.GetString()!).ToList() };
                return true;
            case "NS" when p.Value.ValueKind == JsonValueKind.Array && p.Value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String):
                value = new AttributeValue { NS = p.Value.EnumerateArray().Select(e => e.GetString()!).ToList() };
                return true;
            case "BS" when p.Value.ValueKind == JsonValueKind.Array:
            {
                var list = new List<MemoryStream>();
                foreach (var e in p.Value.EnumerateArray())
                {
                    if (e.ValueKind != JsonValueKind.String || !e.TryGetBytesFromBase64(out var b)) { problem = "BS member is not base64"; return false; }
                    list.Add(new MemoryStream(b));
                }
                value = new AttributeValue { BS = list };
                return true;
            }
            case "L" when p.Value.ValueKind == JsonValueKind.Array:
            {
                var list = new List<AttributeValue>();
                foreach (var e in p.Value.EnumerateArray())
                {
                    if (!TryReadValue(e, depth + 1, out var member, out problem)) return false;
                    list.Add(member);
                }
                value = new AttributeValue { L = list };
                return true;
            }
            case "M" when p.Value.ValueKind == JsonValueKind.Object:
            {
                var map = new Dictionary<string, AttributeValue>(StringComparer.Ordinal);
                foreach (var e in p.Value.EnumerateObject())
                {
                    if (!TryReadValue(e.Value, depth + 1, out var member, out problem)) return false;
                    map[e.Name] = member;
                }
                value = new AttributeValue { M = map };
                return true;
            }
            default:
                problem = $"unknown or malformed attribute type '{p.Name}'";
                return false;
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

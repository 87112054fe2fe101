using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace IsmsServerless.Tests.Support;

/// <summary>
/// Wraps a raw CloudTrail record in the envelope EventBridge puts around it when CloudTrail delivers it to the default
/// bus (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html and the published
/// samples in ../shared/fixtures/events/cloudtrail/eb-*.json):
/// <list type="bullet">
/// <item><c>version</c> "0"; <c>id</c> a UUID (here derived from the record's eventID, so tests are repeatable);</item>
/// <item><c>detail-type</c> from <c>eventType</c>: AwsApiCall → "AWS API Call via CloudTrail", AwsConsoleSignIn →
/// "AWS Console Sign In via CloudTrail" (the spelling real events and the samples use; the EventBridge guide writes
/// "Signin"), AwsConsoleAction / AwsServiceEvent likewise; old records without eventType are API calls, or sign-ins
/// for <c>ConsoleLogin</c>;</item>
/// <item><c>source</c> "aws." + the service part of <c>eventSource</c> (iam.amazonaws.com → aws.iam);</item>
/// <item><c>account</c> = <c>recipientAccountId</c>, <c>time</c> = <c>eventTime</c>, <c>region</c> = <c>awsRegion</c>,
/// <c>resources</c> empty;</item>
/// <item><c>detail</c> = the record's bytes unchanged, quirks included (string "null" request parameters, placeholder
/// account ids).</item>
/// </list>
/// </summary>
public static class EventBridgeEnvelope
{
    public static byte[] Wrap(string rawRecord)
    {
        using var doc = JsonDocument.Parse(rawRecord);
        var r = doc.RootElement;
        var eventName = Str(r, "eventName");
        var detailType = Str(r, "eventType") switch
        {
            "AwsConsoleSignIn" => "AWS Console Sign In via CloudTrail",
            "AwsConsoleAction" => "AWS Console Action via CloudTrail",
            "AwsServiceEvent" => "AWS Service Event via CloudTrail",
            "AwsApiCall" => "AWS API Call via CloudTrail",
            _ => eventName == "ConsoleLogin" ? "AWS Console Sign In via CloudTrail" : "AWS API Call via CloudTrail",
        };
        var eventSource = Str(r, "eventSource") ?? "";
        var dot = eventSource.IndexOf('.', StringComparison.Ordinal);
        var source = "aws." + (dot > 0 ? eventSource[..dot] : eventSource);
        var id = Str(r, "eventID") ?? rawRecord;
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(id));
        var uuid = new Guid(hash.AsSpan(0, 16)).ToString();
        var envelope = new StringBuilder();
        envelope.Append("{\"version\":\"0\",\"id\":").Append(JsonSerializer.Serialize(uuid))
            .Append(",\"detail-type\":").Append(JsonSerializer.Serialize(detailType))
            .Append(",\"source\":").Append(JsonSerializer.Serialize(source))
            .Append(",\"account\":").Append(JsonSerializer.Serialize(Str(r, "recipientAccountId") ?? Str(r.TryGetProperty("userIdentity", out var ui) ? ui : default, "accountId") ?? ""))
            .Append(",\"time\":").Append(JsonSerializer.Serialize(Str(r, "eventTime") ?? ""))
            .Append(",\"region\":").Append(JsonSerializer.Serialize(Str(r, "awsRegion") ?? ""))
            .Append(",\"resources\":[],\"detail\":").Append(rawRecord.Trim()).Append('}');
        return Encoding.UTF8.GetBytes(envelope.ToString());
    }

    public static byte[] Wrap(byte[] rawRecord) => Wrap(Encoding.UTF8.GetString(rawRecord).TrimStart('\uFEFF'));

    /// <summary>The raw records of a log file (<c>{"Records":[...]}</c>), each with its original text.</summary>
    public static IReadOnlyList<string> RecordsOfLogFile(byte[] logFile)
    {
        using var doc = JsonDocument.Parse(logFile);
        return doc.RootElement.GetProperty("Records").EnumerateArray().Select(e => e.GetRawText()).ToList();
    }

    /// <summary>The fivexl bundle (<c>{"test_events":[{test_event_name, event}]}</c>) as name → raw record text.</summary>
    public static IReadOnlyDictionary<string, string> FivexlBundle()
    {
        using var doc = JsonDocument.Parse(Fixtures.Shared("cloudtrail/bundle-fivexl-anonymised-events.json"));
        return doc.RootElement.GetProperty("test_events").EnumerateArray()
            .ToDictionary(e => e.GetProperty("test_event_name").GetString()!, e => e.GetProperty("event").GetRawText(), StringComparer.Ordinal);
    }

    private static string? Str(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

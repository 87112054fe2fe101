using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace IsmsServerless.Benchmarks.Scale;

/// <summary>
/// Turns a real payload into the N-th of many distinct but equally real ones, deterministically: event ids become unique,
/// resource identifiers cycle through <c>resources</c> values (so some events create findings and later ones re-detect
/// them, as in production), and ISO timestamps move forward one second per event. Shared by the scale benchmark and the
/// kill-mid-batch robustness test (linked into the test project).
/// </summary>
public static class EventVariants
{
    private static readonly HashSet<string> IdKeys = new(StringComparer.Ordinal)
    {
        "eventID", "id", "requestID", "requestId", "sharedEventID", "findingArn", "configurationStateId",
    };

    private static readonly HashSet<string> ResourceKeys = new(StringComparer.Ordinal)
    {
        "instanceId", "resourceId", "resourceName", "bucketName", "groupId", "userName", "ARN", "arn", "resourceArn", "principalId", "functionName", "name",
    };

    private static readonly HashSet<string> TimeKeys = new(StringComparer.Ordinal)
    {
        "eventTime", "time", "configurationItemCaptureTime", "notificationCreationTime", "firstObservedAt", "lastObservedAt", "updatedAt", "creationDate",
    };

    private static readonly JsonDocumentOptions Lenient = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    /// <summary>Variant <paramref name="index"/> of <paramref name="seed"/>; the seed itself when it is not JSON.</summary>
    public static byte[] Variant(byte[] seed, int index, int resources)
    {
        ArgumentNullException.ThrowIfNull(seed);
        var span = seed.AsSpan();
        if (span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) span = span[3..];
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(span, documentOptions: Lenient);
        }
        catch (JsonException)
        {
            return seed;
        }
        if (root is null) return seed;
        var idSuffix = "-v" + index.ToString(CultureInfo.InvariantCulture);
        var resourceSuffix = "-r" + (index % Math.Max(1, resources)).ToString(CultureInfo.InvariantCulture);
        Rewrite(root, null, idSuffix, resourceSuffix, index);
        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    private static void Rewrite(JsonNode node, string? key, string idSuffix, string resourceSuffix, int index)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (childKey, child) in obj.ToList())
                {
                    if (child is JsonValue value && value.GetValueKind() == JsonValueKind.String)
                        obj[childKey] = RewriteString(childKey, value.GetValue<string>(), idSuffix, resourceSuffix, index);
                    else if (child is not null)
                        Rewrite(child, childKey, idSuffix, resourceSuffix, index);
                }
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    // EventBridge's "resources" lists ARNs of the resources the event is about.
                    if (array[i] is JsonValue value && value.GetValueKind() == JsonValueKind.String && key == "resources")
                        array[i] = value.GetValue<string>() + resourceSuffix;
                    else if (array[i] is { } child)
                        Rewrite(child, key, idSuffix, resourceSuffix, index);
                }
                break;
        }
    }

    private static string RewriteString(string key, string value, string idSuffix, string resourceSuffix, int index)
    {
        if (value.Length == 0) return value;
        if (IdKeys.Contains(key)) return value + idSuffix;
        if (ResourceKeys.Contains(key)) return value + resourceSuffix;
        if (TimeKeys.Contains(key) && value.Length >= 19 && value[4] == '-' && value[10] == 'T'
            && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
            return time.AddSeconds(index).ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        return value;
    }
}

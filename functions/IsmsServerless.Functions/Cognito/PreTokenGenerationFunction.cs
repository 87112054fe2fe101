using System.Text.Json;
using System.Text.Json.Nodes;
using IsmsServerless.Observability;

namespace IsmsServerless.Functions.Cognito;

/// <summary>
/// Cognito pre-token-generation trigger, event version V2_0 (access-token customisation; the Essentials or Plus feature
/// plan). The user pool signs in by e-mail, so Cognito's access token carries an opaque UUID <c>username</c> and no
/// e-mail, and the status page could never map the reviewer to a person in <c>people</c>. This trigger copies the user's
/// e-mail into the access token as <c>email</c> + <c>email_verified</c> — only when Cognito's own user attributes say the
/// address is verified — so <see cref="StatusPage.Auth.TokenValidator"/> and <c>IdentityResolver.ResolveToken</c> map
/// the token to the person. Handler:
/// <c>IsmsServerless.Functions::IsmsServerless.Functions.Cognito.PreTokenGenerationFunction::HandleAsync</c>.
/// </summary>
/// <remarks>
/// Cognito expects the event back with <c>response</c> filled in. Anything unusable (not JSON, not version 2/3, no
/// verified e-mail) is logged and answered with no customisation: the token is issued without an e-mail, and a page
/// review under <c>people</c> is then refused as unmapped — it fails closed, never with someone else's identity.
/// Pure: no SDK calls, no clock; it reads only what Cognito sends.
/// </remarks>
public sealed class PreTokenGenerationFunction
{
    /// <summary>Longest e-mail accepted (RFC 5321 path limit, as <c>TokenValidator</c> enforces).</summary>
    public const int MaxEmailLength = 254;

    public async Task<Stream> HandleAsync(Stream input)
    {
        var payload = await FunctionHost.ReadAllAsync(input).ConfigureAwait(false);
        return new MemoryStream(Customize(payload));
    }

    /// <summary>The event with its response filled in (UTF-8 JSON), or the event unchanged when nothing may be added.</summary>
    public static byte[] Customize(ReadOnlySpan<byte> payload)
    {
        JsonObject? evt;
        try
        {
            evt = JsonNode.Parse(payload) as JsonObject;
        }
        catch (JsonException ex)
        {
            Log.Error("cognito.pretoken.rejected", ex, ("bytes", payload.Length));
            return "{}"u8.ToArray();
        }
        if (evt is null)
        {
            Log.Warn("cognito.pretoken.rejected", ("reason", "not a JSON object"));
            return "{}"u8.ToArray();
        }
        var version = Text(evt["version"]);
        var source = Text(evt["triggerSource"]);
        var attributes = evt["request"]?["userAttributes"] as JsonObject;
        var email = Text(attributes?["email"])?.Trim();
        var verified = Text(attributes?["email_verified"]);
        if (version is not ("2" or "3"))
        {
            // A V1_0 event cannot customise the access token; the user pool is wired for V2_0 (StatusPageApp).
            Log.Warn("cognito.pretoken.unsupported-version", ("version", version ?? "(none)"), ("source", source ?? "(none)"));
            return Serialize(evt);
        }
        if (string.IsNullOrEmpty(email) || email.Length > MaxEmailLength || !string.Equals(verified, "true", StringComparison.OrdinalIgnoreCase))
        {
            Log.Warn("cognito.pretoken.no-verified-email", ("source", source ?? "(none)"), ("hasEmail", !string.IsNullOrEmpty(email)), ("verified", verified ?? "(none)"));
            return Serialize(evt);
        }
        var response = evt["response"] as JsonObject ?? [];
        evt["response"] = response;
        var details = response["claimsAndScopeOverrideDetails"] as JsonObject ?? [];
        response["claimsAndScopeOverrideDetails"] = details;
        var access = details["accessTokenGeneration"] as JsonObject ?? [];
        details["accessTokenGeneration"] = access;
        var claims = access["claimsToAddOrOverride"] as JsonObject ?? [];
        access["claimsToAddOrOverride"] = claims;
        claims["email"] = email;
        claims["email_verified"] = "true";
        // A suppression of the same claim would contradict the addition; ours wins.
        if (access["claimsToSuppress"] is JsonArray suppressed)
        {
            for (var i = suppressed.Count - 1; i >= 0; i--)
            {
                if (Text(suppressed[i]) is "email" or "email_verified") suppressed.RemoveAt(i);
            }
        }
        Log.Info("cognito.pretoken.email-added", ("source", source ?? "(none)"));
        return Serialize(evt);
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var s) ? s
        : node is JsonValue b && b.TryGetValue<bool>(out var flag) ? (flag ? "true" : "false")
        : null;

    private static byte[] Serialize(JsonObject evt) => JsonSerializer.SerializeToUtf8Bytes(evt, PreTokenJsonContext.Default.JsonObject);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(JsonObject))]
internal sealed partial class PreTokenJsonContext : System.Text.Json.Serialization.JsonSerializerContext;

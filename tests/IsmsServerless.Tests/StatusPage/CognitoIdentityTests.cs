using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IsmsServerless.Functions.Cognito;
using IsmsServerless.Identity;
using IsmsServerless.StatusPage.Auth;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace IsmsServerless.Tests.StatusPage;

/// <summary>
/// Issue 15 item 2 in production: the user pool signs in by e-mail, so Cognito's access token has an opaque UUID
/// username and no e-mail. The V2_0 pre-token-generation trigger adds the verified e-mail; the validator then yields
/// it and the resolver maps the token to the person. Real-shaped event (aws-lambda-go's V2_0 sample), tokens signed by a
/// test RSA key and checked by the production <see cref="TokenValidator"/> against a JWKS over HTTP.
/// </summary>
public sealed class CognitoIdentityTests : IDisposable
{
    private const string Issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_EXAMPLE";
    private const string ClientId = "1example23456789";
    private const string Subject = "a36036a8-9061-424d-a737-56d57dae7bc6";
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-11-23T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly RSA _rsa = RSA.Create(2048);
    private readonly RsaSecurityKey _key;
    private readonly HttpClient _http;
    private readonly JwksKeySource _keys;
    private readonly TokenValidator _validator;

    public CognitoIdentityTests()
    {
        _key = new RsaSecurityKey(_rsa) { KeyId = "test-kid-1" };
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_rsa.ExportParameters(false)) { KeyId = _key.KeyId });
        var jwks = $"{{\"keys\":[{{\"kty\":\"RSA\",\"alg\":\"RS256\",\"use\":\"sig\",\"kid\":\"{jwk.Kid}\",\"n\":\"{jwk.N}\",\"e\":\"{jwk.E}\"}}]}}";
        _http = new HttpClient(new JwksHandler(jwks));
        var auth = new AuthOptions { Issuer = Issuer, ClientId = ClientId, JwksUri = new Uri(Issuer + "/.well-known/jwks.json") };
        _keys = new JwksKeySource(_http, auth.JwksUri, _clock);
        _validator = new TokenValidator(auth, _keys, _clock);
    }

    private static string Fixture() =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "statuspage", "cognito-pretokengen-v2_0-aws-lambda-go.json"));

    private static async Task<JsonObject> InvokeAsync(string payload)
    {
        await using var output = await new PreTokenGenerationFunction().HandleAsync(new MemoryStream(Encoding.UTF8.GetBytes(payload)));
        return (JsonObject)JsonNode.Parse(output)!;
    }

    private static JsonObject AccessClaims(JsonObject evt) =>
        (JsonObject)evt["response"]!["claimsAndScopeOverrideDetails"]!["accessTokenGeneration"]!["claimsToAddOrOverride"]!;

    /// <summary>A Cognito access token as the pool issues it (UUID username, no e-mail), plus the trigger's claims.</summary>
    private string AccessToken(JsonObject? added)
    {
        var now = _clock.GetUtcNow().UtcDateTime;
        var claims = new Dictionary<string, object>
        {
            ["sub"] = Subject,
            ["cognito:groups"] = new[] { "reviewers" },
            ["iss"] = Issuer,
            ["version"] = 2,
            ["client_id"] = ClientId,
            ["origin_jti"] = "3a0a5a4b-1b3c-4c1e-9a57-0e8b7b4a2f10",
            ["event_id"] = "9c4c2f4c-7a1d-4a77-8d1e-2f7c5d6e9b01",
            ["token_use"] = "access",
            ["scope"] = "openid email",
            ["auth_time"] = new DateTimeOffset(now).ToUnixTimeSeconds(),
            ["jti"] = "5f0f1d5e-b8a0-4c88-9d6a-1d0b6f3c2e77",
            ["username"] = Subject,  // sign-in by e-mail: the username is the UUID
        };
        foreach (var (name, value) in added ?? [])
            claims[name] = value!.GetValueKind() == JsonValueKind.Number ? value.GetValue<long>() : value.GetValue<string>();
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            IssuedAt = now,
            Expires = now.AddMinutes(60),
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.RsaSha256),
        });
    }

    private static IdentityResolver People() => new(
        [new Person { Email = "testuser@example.com", Name = "Test User", Roles = ["cto"] }, new Person { Email = "alice@example.com", Name = "Alice", Roles = ["engineer"] }],
        ["breakglass-", "emergency-"]);

    [Fact]
    public async Task The_trigger_adds_the_verified_email_to_the_access_token_and_overrides_a_suppression()
    {
        var evt = await InvokeAsync(Fixture());
        var added = AccessClaims(evt);
        Assert.Equal("testuser@example.com", added["email"]!.GetValue<string>());
        Assert.Equal("true", added["email_verified"]!.GetValue<string>());
        Assert.Equal("xyz", added["family_name"]!.GetValue<string>());  // existing customisation kept
        var suppressed = evt["response"]!["claimsAndScopeOverrideDetails"]!["accessTokenGeneration"]!["claimsToSuppress"]!.AsArray().Select(n => n!.GetValue<string>());
        Assert.Equal(["birthdate"], suppressed);
        // The event goes back whole (Cognito reads the response from the returned event).
        Assert.Equal("TokenGeneration_Authentication", evt["triggerSource"]!.GetValue<string>());
        Assert.Equal(Subject, evt["request"]!["userAttributes"]!["sub"]!.GetValue<string>());
    }

    [Fact]
    public async Task Production_review_identity_maps_through_the_trigger_and_is_unmapped_without_it()
    {
        var resolver = People();

        // Today's Cognito token: UUID username, no e-mail. Valid, but it is no one in `people`.
        var (bare, failure) = await _validator.ValidateAsync("Bearer " + AccessToken(null), CancellationToken.None);
        Assert.Null(failure);
        Assert.Null(bare!.Email);
        Assert.False(resolver.ResolveToken(bare.Subject, bare.Email, bare.Username).Mapped);

        // With the trigger's claims, the same token maps to the person, and the subject stays the token's.
        var evt = await InvokeAsync(Fixture());
        var (enriched, failure2) = await _validator.ValidateAsync("Bearer " + AccessToken(AccessClaims(evt)), CancellationToken.None);
        Assert.Null(failure2);
        Assert.Equal("testuser@example.com", enriched!.Email);
        Assert.Equal(Subject, enriched.Subject);
        var person = resolver.ResolveToken(enriched.Subject, enriched.Email, enriched.Username);
        Assert.True(person.Mapped);
        Assert.Equal("testuser@example.com", person.Display);
        // Four-eyes compares people: the same person's IAM-side identity is refused, someone else's is not.
        Assert.True(resolver.SamePerson(person, resolver.ResolveName("TestUser@Example.com")));
        Assert.False(resolver.SamePerson(person, resolver.ResolveName("alice@example.com")));
    }

    [Theory]
    [InlineData("false")]
    [InlineData(null)]
    public async Task An_unverified_or_missing_email_is_never_added(string? verified)
    {
        var evt = JsonNode.Parse(Fixture())!.AsObject();
        var attributes = evt["request"]!["userAttributes"]!.AsObject();
        if (verified is null) attributes.Remove("email_verified"); else attributes["email_verified"] = verified;
        var result = await InvokeAsync(evt.ToJsonString());
        var added = AccessClaims(result);
        Assert.False(added.ContainsKey("email"));
        Assert.False(added.ContainsKey("email_verified"));

        // Even if a token carried an unverified e-mail, the validator ignores it.
        var forged = new JsonObject { ["email"] = "testuser@example.com", ["email_verified"] = "false" };
        var (principal, _) = await _validator.ValidateAsync("Bearer " + AccessToken(forged), CancellationToken.None);
        Assert.Null(principal!.Email);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("{\"version\":\"1\",\"request\":{\"userAttributes\":{\"email\":\"a@example.com\",\"email_verified\":\"true\"}}}")]
    [InlineData("{\"version\":\"2\",\"request\":{\"userAttributes\":{\"email\":{\"nested\":true},\"email_verified\":\"true\"}}}")]
    public async Task Bad_events_are_answered_without_customisation_never_a_crash(string payload)
    {
        var result = await InvokeAsync(payload);
        Assert.Null(result["response"]?["claimsAndScopeOverrideDetails"]?["accessTokenGeneration"]?["claimsToAddOrOverride"]?["email"]);
    }

    [Fact]
    public async Task An_oversized_email_is_not_added()
    {
        var evt = JsonNode.Parse(Fixture())!.AsObject();
        evt["request"]!["userAttributes"]!["email"] = new string('a', 250) + "@example.com";
        var result = await InvokeAsync(evt.ToJsonString());
        Assert.False(AccessClaims(result).ContainsKey("email"));
    }

    public void Dispose()
    {
        _keys.Dispose();
        _http.Dispose();
        _rsa.Dispose();
    }

    private sealed class JwksHandler(string jwks) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(jwks, Encoding.UTF8, "application/json") });
    }
}

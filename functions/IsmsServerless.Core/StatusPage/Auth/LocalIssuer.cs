using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace IsmsServerless.StatusPage.Auth;

/// <summary>
/// Development-only token issuer for <c>./isms serve</c>: an RSA key made at startup (never stored), its JWKS served at
/// <c>/local/jwks.json</c>, and short-lived access tokens shaped like Cognito's (<c>token_use</c>, <c>client_id</c>,
/// <c>cognito:groups</c>), so the same <see cref="TokenValidator"/> checks them. Only ever bound to 127.0.0.1.
/// </summary>
public sealed class LocalIssuer : IDisposable
{
    public const string ClientId = "isms-local";
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromMinutes(30);

    private readonly RSA _rsa = RSA.Create(2048);
    private readonly RsaSecurityKey _key;
    private readonly TimeProvider _clock;

    public LocalIssuer(string issuer, TimeProvider clock)
    {
        Issuer = issuer;
        _clock = clock;
        _key = new RsaSecurityKey(_rsa) { KeyId = Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant() };
    }

    public string Issuer { get; }

    /// <summary>The public key as a JWKS document (what Cognito serves at <c>/.well-known/jwks.json</c>).</summary>
    public string JwksJson()
    {
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_rsa.ExportParameters(false)) { KeyId = _key.KeyId });
        return StatusJsonText.Jwks(jwk.Kid, jwk.N, jwk.E);
    }

    public string Issue(string username, IReadOnlyList<string> groups, TimeSpan? lifetime = null)
    {
        var now = _clock.GetUtcNow().UtcDateTime;
        var claims = new Dictionary<string, object>
        {
            ["sub"] = "local-" + username,
            ["username"] = username,
            ["client_id"] = ClientId,
            ["token_use"] = "access",
            ["scope"] = "openid",
        };
        if (groups.Count > 0) claims[AuthOptions.GroupsClaim] = groups.ToArray();
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Claims = claims,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + (lifetime ?? TokenLifetime),
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.RsaSha256),
        });
    }

    public void Dispose() => _rsa.Dispose();
}

internal static class StatusJsonText
{
    public static string Jwks(string kid, string n, string e) => System.Text.Encoding.UTF8.GetString(StatusJson.Write(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("keys");
        w.WriteStartObject();
        w.WriteString("kty", "RSA");
        w.WriteString("use", "sig");
        w.WriteString("alg", "RS256");
        w.WriteString("kid", kid);
        w.WriteString("n", n);
        w.WriteString("e", e);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }));
}

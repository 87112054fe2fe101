using System.Security.Claims;
using IsmsServerless.Observability;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace IsmsServerless.StatusPage.Auth;

/// <summary>
/// Validates bearer tokens: RS256 signature against the issuer's JWKS, exact issuer, expiry (with small skew),
/// <c>token_use = access</c> and <c>client_id</c> equal to our app client (Cognito access tokens carry no <c>aud</c>).
/// Production (Cognito) and local (development issuer) use this one code path.
/// </summary>
public sealed class TokenValidator(AuthOptions options, JwksKeySource keys, TimeProvider clock)
{
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    public AuthOptions Options => options;

    /// <summary>The principal, or null with a reason that is logged (never sent: it would help an attacker).</summary>
    public async Task<(StatusPrincipal? Principal, string? Failure)> ValidateAsync(string? authorization, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(authorization)) return (null, "no Authorization header");
        if (!authorization.StartsWith("Bearer ", StringComparison.Ordinal)) return (null, "Authorization is not a Bearer token");
        var token = authorization["Bearer ".Length..].Trim();
        if (token.Length is 0 or > 8192) return (null, "token empty or oversized");
        TokenValidationResult result;
        try
        {
            result = await ValidateWithKeysAsync(token, await keys.GetKeysAsync(false, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
            if (!result.IsValid && result.Exception is SecurityTokenSignatureKeyNotFoundException)
                result = await ValidateWithKeysAsync(token, await keys.GetKeysAsync(true, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            Log.Error("auth.jwks-unavailable", ex);
            return (null, "signing keys unavailable");
        }
        if (!result.IsValid) return (null, result.Exception?.GetType().Name ?? "invalid token");
        var identity = result.ClaimsIdentity;
        if (Claim(identity, "token_use") != "access") return (null, "token_use is not access");
        if (Claim(identity, "client_id") != options.ClientId) return (null, "client_id does not match");
        var subject = Claim(identity, "sub");
        if (string.IsNullOrEmpty(subject)) return (null, "no sub");
        var username = Claim(identity, "username") ?? Claim(identity, "cognito:username") ?? subject;
        var groups = identity.FindAll(AuthOptions.GroupsClaim).Select(c => c.Value).ToArray();
        // An e-mail is trusted only when the issuer says it is verified (Cognito: email_verified).
        var email = Claim(identity, "email") is { Length: > 0 and <= 254 } mail && Claim(identity, "email_verified") is "true" or "True" ? mail : null;
        return (new StatusPrincipal(subject, username, groups, email), null);
    }

    private Task<TokenValidationResult> ValidateWithKeysAsync(string token, IReadOnlyList<SecurityKey> signingKeys) =>
        _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = options.Issuer,
            ValidateIssuer = true,
            // Cognito access tokens have no aud; client_id is checked after validation instead.
            ValidateAudience = false,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            IssuerSigningKeys = signingKeys,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            ClockSkew = options.ClockSkew,
            LifetimeValidator = ValidLifetime,
        });

    // Uses the injected clock rather than DateTime.UtcNow, so expiry is testable with FakeTimeProvider.
    private bool ValidLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        if (expires is null) return false;
        var now = clock.GetUtcNow().UtcDateTime;
        if (notBefore is { } nbf && now + options.ClockSkew < nbf) return false;
        return now - options.ClockSkew < expires.Value;
    }

    private static string? Claim(ClaimsIdentity identity, string type) => identity.FindFirst(type)?.Value;
}

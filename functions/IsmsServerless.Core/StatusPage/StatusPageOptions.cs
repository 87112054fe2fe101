using IsmsServerless.StatusPage.Auth;

namespace IsmsServerless.StatusPage;

/// <summary>How the page is hosted and signed into.</summary>
public sealed record StatusPageOptions
{
    public required AuthOptions Auth { get; init; }

    /// <summary>Scheme browsers reach us with: <c>https</c> behind API Gateway, <c>http</c> on 127.0.0.1. Used for the Origin check.</summary>
    public string PublicScheme { get; init; } = "https";

    /// <summary>Cognito hosted UI base URL (<c>https://PREFIX.auth.REGION.amazoncognito.com</c>); null in local mode.</summary>
    public Uri? HostedUi { get; init; }

    /// <summary>
    /// Host headers accepted (e.g. <c>127.0.0.1:8080</c>, <c>localhost:8080</c>); null accepts any (API Gateway decides
    /// which hosts reach the Lambda). <c>./isms serve</c> sets the loopback names on its port, so a DNS-rebinding page
    /// (Host: attacker.example:8080 resolving to 127.0.0.1) gets nothing, not even <c>/local/token</c>.
    /// </summary>
    public IReadOnlyList<string>? AllowedHosts { get; init; }

    /// <summary>
    /// The origins actions may come from, computed from configuration (scheme, loopback host, port); null derives the
    /// expected origin from <see cref="PublicScheme"/> and the Host header (behind API Gateway, which sets Host).
    /// </summary>
    public IReadOnlyList<string>? AllowedOrigins { get; init; }

    /// <summary>True when the development issuer serves sign-in (local mode only).</summary>
    public bool LocalSignIn { get; init; }
}

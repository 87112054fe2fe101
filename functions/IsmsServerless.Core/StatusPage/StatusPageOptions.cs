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

    /// <summary>True when the development issuer serves sign-in (local mode only).</summary>
    public bool LocalSignIn { get; init; }
}

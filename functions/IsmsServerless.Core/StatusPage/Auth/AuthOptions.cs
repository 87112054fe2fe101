namespace IsmsServerless.StatusPage.Auth;

/// <summary>
/// What a token must say to be accepted. Production: the Cognito user pool's issuer
/// (<c>https://cognito-idp.REGION.amazonaws.com/POOL_ID</c>) and app client id. Local: the development issuer's URL and
/// client id. Both go through the same <see cref="TokenValidator"/>.
/// </summary>
public sealed record AuthOptions
{
    public required string Issuer { get; init; }

    public required string ClientId { get; init; }

    /// <summary>Where the issuer publishes its signing keys.</summary>
    public required Uri JwksUri { get; init; }

    /// <summary>Members of this group may take actions (review, approve, waive, acknowledge).</summary>
    public string ReviewersGroup { get; init; } = "reviewers";

    /// <summary>Cognito puts a token's groups in this claim; the local issuer does the same.</summary>
    public const string GroupsClaim = "cognito:groups";

    /// <summary>Tolerated clock difference between issuer and us.</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromSeconds(60);
}

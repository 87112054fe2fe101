namespace IsmsServerless.StatusPage.Auth;

/// <summary>Who made a request, from a validated token: the actor written to history and the groups that authorize actions.</summary>
/// <param name="Email">The token's verified e-mail, when it carries one (ID token, or a pre-token-generation trigger).</param>
public sealed record StatusPrincipal(string Subject, string Username, IReadOnlyList<string> Groups, string? Email = null)
{
    public bool IsIn(string group) => Groups.Contains(group, StringComparer.Ordinal);
}

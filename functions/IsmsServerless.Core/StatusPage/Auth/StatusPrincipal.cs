namespace IsmsServerless.StatusPage.Auth;

/// <summary>Who made a request, from a validated token: the actor written to history and the groups that authorize actions.</summary>
public sealed record StatusPrincipal(string Subject, string Username, IReadOnlyList<string> Groups)
{
    public bool IsIn(string group) => Groups.Contains(group, StringComparer.Ordinal);
}

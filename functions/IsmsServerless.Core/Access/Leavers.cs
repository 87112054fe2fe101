using System.Runtime.CompilerServices;
using IsmsServerless.Events;
using IsmsServerless.Identity;
using IsmsServerless.Settings;

namespace IsmsServerless.Access;

/// <summary>
/// Who has left, from <see cref="IsmsSettings.People"/> (<c>leftAt</c> in the policy file): the person a principal maps
/// to when that person has a leave date. A leave date is a whole day: the person's access must be gone by the end of it,
/// so <see cref="EffectiveFrom"/> is 00:00 UTC of the next day. Pure: the resolver is built once per settings object
/// (settings are immutable for a process) and only when someone has left, so the common case costs one list scan.
/// </summary>
public static class Leavers
{
    private static readonly ConditionalWeakTable<IsmsSettings, IdentityResolver> Resolvers = new();

    /// <summary>The instant from which a person who left on <paramref name="leftAt"/> must hold no access and must not act.</summary>
    public static DateTimeOffset EffectiveFrom(DateOnly leftAt) => new(leftAt.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    /// <summary>True when anyone in <c>people</c> has a leave date.</summary>
    public static bool Any(IsmsSettings settings) => settings.People.Any(p => p.LeftAt is not null);

    /// <summary>The person who left and is behind <paramref name="principalName"/> (an IAM user name, a role session name, an e-mail, an ARN), else null.</summary>
    public static Person? ForName(IsmsSettings settings, string? principalName)
    {
        if (string.IsNullOrWhiteSpace(principalName) || !Any(settings)) return null;
        var resolved = Resolver(settings).ResolveName(principalName);
        return resolved.Person is { LeftAt: not null } person ? person : null;
    }

    /// <summary>The person who left and is behind a CloudTrail identity, else null.</summary>
    public static Person? ForIdentity(IsmsSettings settings, CloudTrailUserIdentity? identity, string accountId)
    {
        if (identity is null || !Any(settings)) return null;
        var resolved = Resolver(settings).Resolve(identity, accountId);
        return resolved.Person is { LeftAt: not null } person ? person : null;
    }

    private static IdentityResolver Resolver(IsmsSettings settings) => Resolvers.GetValue(settings, IdentityResolver.For);
}

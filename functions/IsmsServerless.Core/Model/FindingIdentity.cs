using System.Security.Cryptography;
using System.Text;

namespace IsmsServerless.Model;

/// <summary>
/// A finding's identity: the same rule, account, region, resource and sub-key always give the same id, so a
/// redelivered or re-detected event updates one finding instead of creating another.
/// </summary>
public static class FindingIdentity
{
    public static string Compute(string ruleId, string accountId, string region, string resourceId, string subKey)
    {
        // A separator that cannot appear in the parts' own text keeps ("a|b","c") and ("a","b|c") apart.
        var canonical = string.Join('\u001f', ruleId, accountId, region, resourceId, subKey);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(canonical), hash);
        return "f-" + Convert.ToHexStringLower(hash[..16]);
    }
}

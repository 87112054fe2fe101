namespace IsmsServerless.Settings;

/// <summary>
/// Qwestly "Access Control" as settings (policy-file key <c>access</c>): which AWS accounts are the organisation's own
/// (a role trusted by any other account, or by a vendor's identity provider, is marked external in the access inventory
/// and the quarterly review), and how long a revoke or reduce decision of the access review has to take effect.
/// </summary>
public sealed record AccessSettings
{
    /// <summary>
    /// The organisation's own AWS account ids (12 digits). A role whose trust policy lets in a principal of any other
    /// account is marked external. Empty: every account but the role's own is external.
    /// </summary>
    public IReadOnlyList<string> InternalAccounts { get; set; } = [];

    /// <summary>
    /// Days a revoke or reduce decision of the access review has before its finding is breached (default 7). The finding
    /// resolves when Config shows the access gone.
    /// </summary>
    public int ReviewRemediationDays { get; set; } = 7;

    /// <summary>Days without activity after which the access review shows a principal as dormant (default 90, as the credential rules).</summary>
    public int DormantAfterDays { get; set; } = 90;

    public IEnumerable<string> Validate()
    {
        foreach (var account in InternalAccounts)
        {
            if (account is not { Length: 12 } || !account.All(char.IsAsciiDigit)) yield return $"access.internalAccounts must be 12-digit account ids, not '{account}'";
        }
        if (ReviewRemediationDays is < 1 or > 90) yield return $"access.reviewRemediationDays must be 1..90, not {ReviewRemediationDays}";
        if (DormantAfterDays is < 1 or > 730) yield return $"access.dormantAfterDays must be 1..730, not {DormantAfterDays}";
    }
}

using IsmsServerless.Model;

namespace IsmsServerless.Access;

/// <summary>The seed clauses and controls the access rules and the access review enforce.</summary>
public static class AccessClauses
{
    public const string QwestlyRevokeOnLeave = "Qwestly Operations Security Policy, Data Protection, Access Control: \"Immediately revoke access when team members leave\"";

    public const string QwestlyAccessReview = "Qwestly Operations Security Policy, Data Protection, Access Control: \"Regular review of who has access to what data\"; Compliance: \"Regular access reviews (quarterly)\"";

    /// <summary>Controls a leaver finding evidences: access control, access rights, removal of access.</summary>
    public static readonly IReadOnlyList<string> LeaverControls =
        [Controls.IsoAccessControl, Controls.IsoPrivilegedAccess, Controls.Soc2LogicalAccess, Controls.Soc2AccessRemoval];

    /// <summary>
    /// Controls an access review decision's finding evidences: access control, privileged access, registration and
    /// removal. Not A.5.18 (review of access rights): the campaign's attestation of the access-review duty evidences it,
    /// and a rule claiming it would make it stale whenever no decision is pending.
    /// </summary>
    public static readonly IReadOnlyList<string> ReviewControls =
        [Controls.IsoAccessControl, Controls.IsoPrivilegedAccess, Controls.Soc2UserRegistration, Controls.Soc2AccessRemoval];
}

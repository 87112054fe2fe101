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

    /// <summary>Controls the access review evidences: review of access rights, access control, registration and removal.</summary>
    public static readonly IReadOnlyList<string> ReviewControls =
        ["ISO27001:2022 A.5.18", Controls.IsoAccessControl, Controls.Soc2UserRegistration, Controls.Soc2AccessRemoval];
}

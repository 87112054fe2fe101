using System.Text.RegularExpressions;

namespace IsmsServerless.Settings;

/// <summary>
/// Change management as PROC-002 ("Approval of changes by type") and the Qwestly policy ("Risk categories", "Emergency
/// Changes") define it: the approval matrix, the risk classification, who may use emergency roles, and the ticket systems.
/// Policy-file key <c>changeManagement</c>.
/// </summary>
public sealed record ChangeManagementSettings
{
    /// <summary>
    /// Roles whose holders may assume or switch into an emergency role (<see cref="IsmsSettings.EmergencyRoleNames"/>).
    /// Anyone else gets <c>change.unauthorized-emergency-access</c> (CRITICAL). Qwestly: "CTO can authorize emergency deployments".
    /// </summary>
    public IReadOnlyList<string> EmergencyAuthorizedRoles { get; set; } = ["cto"];

    /// <summary>
    /// Roles whose holders may implement changes on production (PROC-002: "Changes are implemented by IT Team members").
    /// A manual or out-of-pipeline change whose author (resolved through <c>people</c>) holds none of them raises
    /// <c>change.implementer-not-authorised</c>; an emergency change is also authorised for <see cref="EmergencyAuthorizedRoles"/>.
    /// The deployment pipeline's roles are the pipeline, not a person, and are exempt. Not checked while <c>people</c> is empty.
    /// </summary>
    public IReadOnlyList<string> ImplementerRoles { get; set; } = ["it-team"];

    /// <summary>People (e-mails from <c>people</c>) authorised for emergency roles in addition to the roles above.</summary>
    public IReadOnlyList<string> EmergencyAuthorizedPeople { get; set; } = [];

    /// <summary>
    /// IAM Identity Center permission set names that are break-glass: an SSO session into one (a role
    /// <c>AWSReservedSSO_&lt;name&gt;_&lt;hash&gt;</c>) counts as emergency access.
    /// </summary>
    public IReadOnlyList<string> EmergencyPermissionSets { get; set; } = ["BreakGlass", "EmergencyAccess"];

    /// <summary>
    /// Change types, first match wins for the type name; the required approvals are those of the matched type (for a
    /// high-risk change, of every matching type). Defaults: PROC-002's table.
    /// </summary>
    public IReadOnlyList<ChangeTypeRule> ChangeTypes { get; set; } = DefaultChangeTypes();

    /// <summary>Approvers for a change no type matches.</summary>
    public IReadOnlyList<string> DefaultApprovers { get; set; } = ["it-director"];

    /// <summary>
    /// Event sources (short service names, e.g. <c>iam</c>) and <c>service:EventPrefix</c> entries whose calls are high
    /// risk (security-relevant). Qwestly: "High risk (architecture/security changes)".
    /// </summary>
    public IReadOnlyList<string> HighRiskCalls { get; set; } =
    [
        "iam", "kms", "cloudtrail", "config", "waf", "wafv2", "waf-regional", "cognito-idp", "cognito-identity", "organizations",
        "sso", "sts", "guardduty", "securityhub", "access-analyzer",
        "ec2:AuthorizeSecurityGroup", "ec2:RevokeSecurityGroup", "ec2:CreateSecurityGroup", "ec2:DeleteSecurityGroup",
        "ec2:ModifySecurityGroupRules", "ec2:UpdateSecurityGroupRuleDescriptions", "ec2:CreateNetworkAcl", "ec2:DeleteNetworkAcl",
        "ec2:ReplaceNetworkAcl", "ec2:ModifyNetworkInterfaceAttribute",
    ];

    /// <summary>Event-name prefixes of configuration calls (medium risk when not high). The rest are low.</summary>
    public IReadOnlyList<string> MediumRiskEventPrefixes { get; set; } =
        ["Put", "Update", "Modify", "Set", "Attach", "Detach", "Enable", "Disable", "Associate", "Disassociate", "Replace", "Change", "Configure"];

    /// <summary>Distinct team members (any role) who must approve, by risk class. Qwestly: medium one, high all three.</summary>
    public IReadOnlyDictionary<string, int> MinApproversByRisk { get; set; } = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["low"] = 1,
        ["medium"] = 1,
        ["high"] = 3,
    };

    /// <summary>
    /// The ticket systems a review's ticket link must point at (regular expressions over the whole URL). Empty: any https
    /// link. The shipped policy file (<c>policy/isms.yaml</c>) sets <see cref="JiraAndFreshdesk"/> (PROC-002: "Change
    /// records are kept in ticket systems (Freshdesk or JIRA)").
    /// </summary>
    public IReadOnlyList<string> TicketUrlPatterns { get; set; } = [];

    /// <summary>
    /// An approval needs a ticket link too (rejections and follow-ups always do). The shipped policy file sets true; the
    /// code default (false) is the waiver, so a settings file without the key keeps the one-link-optional behaviour.
    /// </summary>
    public bool TicketRequiredForApproval { get; set; }

    /// <summary>
    /// Kinds of change (<c>emergency</c>, <c>manual-console</c>, <c>out-of-pipeline</c>) that must be folded back into code
    /// (Qwestly: "Document any manual changes and update the code accordingly"). Such a change is closed only when the
    /// reviewer links the commit or pull request (<see cref="CodeLinkUrlPatterns"/>), marks it reverted, or names its
    /// CloudFormation stack and the stack drift rule (<see cref="StackDriftConfigRuleName"/>) then reports the stack in sync.
    /// Until then a <c>change.code-update</c> obligation is open, due <see cref="CodeUpdateDays"/> after the review.
    /// </summary>
    public IReadOnlyList<string> CodeUpdateKinds { get; set; } = ["manual-console", "out-of-pipeline"];

    /// <summary>
    /// The code hosts a commit or pull-request link must point at (regular expressions over the whole URL). Empty: any
    /// https link. Default: GitHub commits and pull requests, GitLab commits and merge requests.
    /// </summary>
    public IReadOnlyList<string> CodeLinkUrlPatterns { get; set; } = DefaultCodeLinkPatterns;

    /// <summary>Days after the review within which a manual change must be reflected in code (or reverted).</summary>
    public int CodeUpdateDays { get; set; } = 14;

    /// <summary>
    /// Days after an approved review within which the IT Director checks the implementation of a change whose type did
    /// not require an <c>it-director</c> approval (PROC-002: "The IT Director checks the implementation"; obligation
    /// <c>change.implementation-check</c>). Where the matrix requires it-director, that approval is the check.
    /// </summary>
    public int ImplementationCheckDays { get; set; } = 7;

    /// <summary>
    /// The deployed name of the managed Config rule <c>CLOUDFORMATION_STACK_DRIFT_DETECTION_CHECK</c>: its COMPLIANT
    /// verdict on a stack after a manual change's last call closes the changes whose reviewer named that stack.
    /// </summary>
    public string StackDriftConfigRuleName { get; set; } = "isms-cloudformation-stack-drift-detection-check";

    /// <summary>Optional Jira Cloud integration: one Jira issue per emergency or manual change (off by default).</summary>
    public JiraSettings Jira { get; set; } = new();

    /// <summary>GitHub commit / pull request and GitLab commit / merge request links.</summary>
    public static IReadOnlyList<string> DefaultCodeLinkPatterns { get; } =
    [
        @"^https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/(commit/[0-9a-f]{7,40}|pull/[0-9]+)$",
        @"^https://gitlab\.com/[A-Za-z0-9_./-]+/-/(commit/[0-9a-f]{7,40}|merge_requests/[0-9]+)$",
    ];

    /// <summary>Jira Cloud and Freshdesk ticket URL patterns, as the shipped policy file configures them.</summary>
    public static IReadOnlyList<string> JiraAndFreshdesk { get; } =
    [
        @"^https://[a-z0-9][a-z0-9-]*\.atlassian\.net/browse/[A-Z][A-Z0-9_]+-[0-9]+$",
        @"^https://[a-z0-9][a-z0-9-]*\.freshdesk\.com/(a/)?(helpdesk/)?tickets/[0-9]+$",
    ];

    /// <summary>
    /// PROC-002's approval table. The approval matrix applies only when <c>people</c> is configured (roles come from
    /// there); without people a change closes on one four-eyes review, as before.
    /// </summary>
    public static IReadOnlyList<ChangeTypeRule> DefaultChangeTypes() =>
    [
        new()
        {
            Name = "backend-security",
            Description = "PROC-002: the back-end environment, including the AWS services and security controls in use",
            Services = ["iam", "kms", "cloudtrail", "config", "waf", "wafv2", "cognito-idp", "organizations", "sso", "guardduty", "securityhub"],
            EventNamePrefixes = ["ec2:AuthorizeSecurityGroup", "ec2:RevokeSecurityGroup", "ec2:CreateNetworkAcl", "ec2:DeleteNetworkAcl", "ec2:ReplaceNetworkAcl"],
            Approvers = ["it-director", "cto"],
        },
        new()
        {
            Name = "software",
            Description = "PROC-002: software and application development",
            Services = ["lambda", "ecs", "apigateway", "amplify", "codedeploy", "codebuild", "codepipeline", "states", "appsync"],
            Approvers = ["cto"],
        },
        new()
        {
            Name = "infrastructure",
            Description = "PROC-002: infrastructure, network, software and third-party services",
            Services = ["ec2", "s3", "rds", "dynamodb", "elasticloadbalancing", "route53", "cloudfront", "autoscaling", "sns", "sqs", "events", "backup"],
            Approvers = ["it-director"],
        },
    ];

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        foreach (var role in EmergencyAuthorizedRoles.Concat(DefaultApprovers).Concat(ImplementerRoles))
        {
            if (!Identity.Person.KnownRoles.Contains(role, StringComparer.Ordinal))
                errors.Add($"changeManagement: unknown role '{role}' (known: {string.Join(", ", Identity.Person.KnownRoles)})");
        }
        for (var i = 0; i < ChangeTypes.Count; i++)
        {
            var type = ChangeTypes[i];
            if (string.IsNullOrWhiteSpace(type.Name)) errors.Add($"changeManagement.changeTypes[{i}].name is required");
            if (type.Approvers.Count == 0) errors.Add($"changeManagement.changeTypes[{i}].approvers must list at least one role");
            foreach (var role in type.Approvers)
            {
                if (!Identity.Person.KnownRoles.Contains(role, StringComparer.Ordinal))
                    errors.Add($"changeManagement.changeTypes[{i}].approvers has unknown role '{role}'");
            }
            if (type.Services.Count + type.EventNamePrefixes.Count + type.Accounts.Count + type.Environments.Count + type.ResourceTags.Count == 0)
                errors.Add($"changeManagement.changeTypes[{i}] ({type.Name}) matches nothing: give services, eventNamePrefixes, accounts, environments or resourceTags");
        }
        if (ImplementerRoles.Count == 0) errors.Add("changeManagement.implementerRoles must list at least one role (PROC-002: IT Team members implement changes)");
        foreach (var (risk, count) in MinApproversByRisk)
        {
            if (risk is not ("low" or "medium" or "high")) errors.Add($"changeManagement.minApproversByRisk has unknown risk '{risk}' (low, medium, high)");
            if (count is < 1 or > 10) errors.Add($"changeManagement.minApproversByRisk.{risk} must be between 1 and 10, not {count}");
        }
        foreach (var kind in CodeUpdateKinds)
        {
            if (!Changes.ChangeKindNames.TryParse(kind, out _))
                errors.Add($"changeManagement.codeUpdateKinds has unknown kind '{kind}' (emergency, manual-console, out-of-pipeline)");
        }
        if (ImplementationCheckDays is < 1 or > 90) errors.Add($"changeManagement.implementationCheckDays must be between 1 and 90, not {ImplementationCheckDays}");
        if (CodeUpdateDays is < 1 or > 365) errors.Add($"changeManagement.codeUpdateDays must be between 1 and 365, not {CodeUpdateDays}");
        if (string.IsNullOrWhiteSpace(StackDriftConfigRuleName) || StackDriftConfigRuleName.Length > 128)
            errors.Add("changeManagement.stackDriftConfigRuleName must be a Config rule name of 1 to 128 characters");
        foreach (var pattern in CodeLinkUrlPatterns)
        {
            try { _ = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100)); }
            catch (ArgumentException ex) { errors.Add($"changeManagement.codeLinkUrlPatterns: '{pattern}' is not a regular expression ({ex.Message})"); }
        }
        errors.AddRange(Jira.Validate());
        foreach (var pattern in TicketUrlPatterns)
        {
            try { _ = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100)); }
            catch (ArgumentException ex) { errors.Add($"changeManagement.ticketUrlPatterns: '{pattern}' is not a regular expression ({ex.Message})"); }
        }
        return errors;
    }
}

/// <summary>One change type of the approval matrix, matched by signal. Every non-empty list must match (AND); within a list, any (OR).</summary>
public sealed record ChangeTypeRule
{
    public string Name { get; set; } = "";

    public string Description { get; set; } = "";

    /// <summary>Short service names (event source without <c>.amazonaws.com</c>), e.g. <c>iam</c>, <c>ec2</c>.</summary>
    public IReadOnlyList<string> Services { get; set; } = [];

    /// <summary><c>service:EventNamePrefix</c> entries (API groups), e.g. <c>ec2:AuthorizeSecurityGroup</c>.</summary>
    public IReadOnlyList<string> EventNamePrefixes { get; set; } = [];

    /// <summary>Account ids the type applies to (empty: any).</summary>
    public IReadOnlyList<string> Accounts { get; set; } = [];

    /// <summary>Environments (<c>prod</c>, <c>staging</c>) the type applies to (empty: any).</summary>
    public IReadOnlyList<string> Environments { get; set; } = [];

    /// <summary><c>key=value</c> resource tags seen on the change's calls (request tags) that select this type (empty: any).</summary>
    public IReadOnlyList<string> ResourceTags { get; set; } = [];

    /// <summary>Roles that must each approve: <c>it-director</c>, <c>cto</c>, <c>it-team</c>...</summary>
    public IReadOnlyList<string> Approvers { get; set; } = [];
}

using System.Text.RegularExpressions;

namespace IsmsServerless.Settings;

/// <summary>
/// Optional Jira Cloud integration (issue 19, PROC-002 "Change records are kept in ticket systems (Freshdesk or JIRA)"):
/// when a change of one of <see cref="Kinds"/> is registered, a Jira issue is created through the REST API v3 and linked
/// to the change record; a completed review adds a comment to it. Delivery goes through a queue in the ledger table that
/// the sweep drains, so a Jira outage never blocks or loses a change. Policy-file key <c>changeManagement.jira</c>.
/// </summary>
public sealed record JiraSettings
{
    /// <summary>Off by default: nothing is sent to Jira until the policy turns it on.</summary>
    public bool Enabled { get; set; }

    /// <summary>The Jira Cloud site, e.g. <c>https://your-team.atlassian.net</c> (https, no path).</summary>
    public string SiteUrl { get; set; } = "";

    /// <summary>The project the issues are created in (its key, e.g. <c>OPS</c>).</summary>
    public string ProjectKey { get; set; } = "";

    /// <summary>The issue type name in that project (<c>Task</c>, <c>Change</c>...).</summary>
    public string IssueType { get; set; } = "Task";

    /// <summary>The Atlassian account e-mail the API token belongs to (basic authentication is e-mail + API token).</summary>
    public string UserEmail { get; set; } = "";

    /// <summary>
    /// The SSM Parameter Store SecureString holding the API token, read with decryption at send time and never logged.
    /// The stack grants <c>ssm:GetParameter</c> on this one parameter only.
    /// </summary>
    public string TokenParameterName { get; set; } = "/isms/jira/api-token";

    /// <summary>Change kinds that get a Jira issue (<c>emergency</c>, <c>manual-console</c>, <c>out-of-pipeline</c>).</summary>
    public IReadOnlyList<string> Kinds { get; set; } = ["emergency", "manual-console"];

    /// <summary>Seconds to wait for one Jira request before counting it as failed (and retrying on the next sweep).</summary>
    public int TimeoutSeconds { get; set; } = 10;

    private static readonly Regex ProjectKeyPattern = new("^[A-Z][A-Z0-9_]{1,9}$", RegexOptions.CultureInvariant);

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        foreach (var kind in Kinds)
        {
            if (!Changes.ChangeKindNames.TryParse(kind, out _))
                errors.Add($"changeManagement.jira.kinds has unknown kind '{kind}' (emergency, manual-console, out-of-pipeline)");
        }
        if (TimeoutSeconds is < 1 or > 60) errors.Add($"changeManagement.jira.timeoutSeconds must be between 1 and 60, not {TimeoutSeconds}");
        if (!string.IsNullOrEmpty(TokenParameterName) && !TokenParameterName.StartsWith('/'))
            errors.Add("changeManagement.jira.tokenParameterName must be an SSM parameter path starting with '/'");
        if (!Enabled) return errors;
        if (!Uri.TryCreate(SiteUrl, UriKind.Absolute, out var site) || site.Scheme != Uri.UriSchemeHttps || site.AbsolutePath != "/"
            || !string.IsNullOrEmpty(site.UserInfo) || !string.IsNullOrEmpty(site.Query))
            errors.Add($"changeManagement.jira.siteUrl must be an https site root like https://your-team.atlassian.net, not '{SiteUrl}'");
        if (!ProjectKeyPattern.IsMatch(ProjectKey)) errors.Add($"changeManagement.jira.projectKey must be a Jira project key (e.g. OPS), not '{ProjectKey}'");
        if (string.IsNullOrWhiteSpace(IssueType) || IssueType.Length > 60) errors.Add("changeManagement.jira.issueType is required (at most 60 characters)");
        if (!UserEmail.Contains('@', StringComparison.Ordinal)) errors.Add("changeManagement.jira.userEmail must be the e-mail the API token belongs to");
        if (string.IsNullOrEmpty(TokenParameterName)) errors.Add("changeManagement.jira.tokenParameterName is required when jira is enabled");
        return errors;
    }
}

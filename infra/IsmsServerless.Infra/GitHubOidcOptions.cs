using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using IsmsServerless.Settings;

namespace IsmsServerless.Infra;

/// <summary>
/// Context <c>githubOidc</c>: which GitHub repository, branch and environment may assume the deploy role.
/// Settable properties for the same reason as <see cref="IsmsSettings"/> (the STJ source generator assigns init-only ones).
/// </summary>
public sealed partial record GitHubOidcOptions
{
    /// <summary><c>owner/repo</c>.</summary>
    public string Repository { get; set; } = "";

    public string Branch { get; set; } = "main";

    /// <summary>GitHub environment of the deploy job; its protection rules (reviewers) gate every deploy.</summary>
    public string Environment { get; set; } = "production";

    /// <summary>False when the account already has the token.actions.githubusercontent.com provider (one per account).</summary>
    public bool CreateProvider { get; set; } = true;

    public string RoleName { get; set; } = "GitHubActionsDeployRole";

    /// <summary>CDK bootstrap qualifier of the roles the deploy role may assume.</summary>
    public string BootstrapQualifier { get; set; } = "hnb659fds";

    public static GitHubOidcOptions Parse(string json)
    {
        var options = JsonSerializer.Deserialize(json, OidcJsonContext.Default.GitHubOidcOptions) ?? new GitHubOidcOptions();
        var errors = new List<string>();
        if (!RepositoryPattern().IsMatch(options.Repository)) errors.Add($"repository must be owner/name, not '{options.Repository}'");
        if (!NamePattern().IsMatch(options.Branch)) errors.Add($"branch '{options.Branch}' has characters a GitHub ref condition cannot hold");
        if (!NamePattern().IsMatch(options.Environment)) errors.Add($"environment '{options.Environment}' is not a valid GitHub environment name");
        if (!RoleNamePattern().IsMatch(options.RoleName)) errors.Add($"roleName '{options.RoleName}' is not a valid IAM role name");
        if (!QualifierPattern().IsMatch(options.BootstrapQualifier)) errors.Add($"bootstrapQualifier '{options.BootstrapQualifier}' is not a CDK bootstrap qualifier");
        if (errors.Count > 0) throw new InvalidSettingsException(errors);
        return options;
    }

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$")]
    private static partial Regex RepositoryPattern();

    // No wildcards: '*' in a trust condition would widen who may deploy.
    [GeneratedRegex("^[A-Za-z0-9_./-]{1,200}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z0-9+=,.@_-]{1,64}$")]
    private static partial Regex RoleNamePattern();

    [GeneratedRegex("^[a-z0-9]{1,10}$")]
    private static partial Regex QualifierPattern();
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(GitHubOidcOptions))]
internal sealed partial class OidcJsonContext : JsonSerializerContext;

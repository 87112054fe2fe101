using System.Text.Json;
using Constructs;
using IsmsServerless.Settings;

namespace IsmsServerless.Infra;

/// <summary>
/// Deployment configuration from <c>cdk.json</c> context (or <c>-c key=value</c>), validated at synth time so a bad
/// value fails <c>cdk synth</c> with every problem listed instead of failing in the account.
/// </summary>
public sealed record StackConfiguration
{
    public string StackName { get; init; } = "IsmsServerless";

    /// <summary>Folder holding the published function package (what <c>scripts/publish-functions.sh</c> writes).</summary>
    public string FunctionsAssetPath { get; init; } = "artifacts/functions";

    /// <summary>The evaluation settings every function receives as <c>ISMS_SETTINGS</c>.</summary>
    public IsmsSettings Settings { get; init; } = IsmsSettings.Default;

    /// <summary>Rate of the scheduled sweep (SLA escalation, waiver expiry, review deadlines, heartbeats).</summary>
    public int SweepIntervalMinutes { get; init; } = 15;

    /// <summary>Email addresses subscribed to the alert topic (each confirms by mail). Context <c>alertEmails</c>.</summary>
    public IReadOnlyList<string> AlertEmails { get; init; } = [];

    /// <summary>Phone numbers (E.164, e.g. +447700900123) subscribed to the alert topic by SMS. Context <c>alertSms</c>.</summary>
    public IReadOnlyList<string> AlertSms { get; init; } = [];

    /// <summary>Name of the SSM SecureString holding the Slack incoming-webhook URL (never the URL itself). Context <c>slackWebhookParameter</c>.</summary>
    public string SlackWebhookParameter { get; init; } = "/isms/slack/webhook-url";

    /// <summary>Create an AWS Config recorder, delivery channel and bucket (only when the account has none: one recorder per region).</summary>
    public bool CreateConfigRecorder { get; init; }

    /// <summary>
    /// The AWS Config delivery channel's bucket, whose configuration snapshots the inventory back-fill reads (context
    /// <c>configSnapshotBucket</c>). Defaults to the bucket the stack creates with <see cref="CreateConfigRecorder"/>;
    /// when neither is set, no back-fill function is deployed.
    /// </summary>
    public string? ConfigSnapshotBucket { get; init; }

    /// <summary>The delivery channel's S3 key prefix, if it has one (context <c>configSnapshotPrefix</c>).</summary>
    public string ConfigSnapshotPrefix { get; init; } = "";

    /// <summary>Create a multi-region CloudTrail trail with log file validation into an encrypted bucket (when the account has none).</summary>
    public bool CreateCloudTrail { get; init; }

    /// <summary>AWS Organization whose accounts may put events on the central bus (o-...).</summary>
    public string? OrganizationId { get; init; }

    /// <summary>Member accounts allowed to put events on the central bus and that deploy the forwarder stack.</summary>
    public IReadOnlyList<string> MemberAccountIds { get; init; } = [];

    /// <summary>The account holding the central bus and the ledger; required for the forwarder stack.</summary>
    public string? CentralAccountId { get; init; }

    /// <summary>Region of the central bus; defaults to the region the forwarder is deployed in.</summary>
    public string? CentralRegion { get; init; }

    /// <summary>True when the organization or member accounts are configured: the central bus accepts their events and the forwarder stack is synthesized.</summary>
    public bool MultiAccount => OrganizationId is not null || MemberAccountIds.Count > 0;

    /// <summary>Optional GitHub Actions OIDC deploy role (context <c>githubOidc</c>); null when not requested.</summary>
    public GitHubOidcOptions? GitHubOidc { get; init; }
    /// <summary>The policy file (context <c>policyFile</c>, default <c>policy/isms.yaml</c>), validated at synth.</summary>
    public string PolicyFile { get; init; } = "policy/isms.yaml";

    /// <summary>The version of the policy file in force; every function gets it as <c>ISMS_POLICY_VERSION</c>.</summary>
    public string PolicyVersion { get; init; } = "";

    /// <summary>Cognito hosted UI prefix for the status page sign-in (globally unique in the region; lower-case, digits, hyphens).</summary>
    public string StatusPageDomainPrefix { get; init; } = "isms-status";

    /// <summary>
    /// Cognito feature plan of the status page user pool (context <c>statusPageFeaturePlan</c>): <c>plus</c> (default)
    /// or <c>essentials</c>. Threat protection (compromised-credential and adaptive-authentication checks,
    /// <c>AdvancedSecurityMode: ENFORCED</c>) exists only on Plus; Cognito refuses it on Essentials with
    /// FeatureUnavailableInTierException. Plus is the default because this page approves emergency changes and
    /// waivers: its sign-in is worth protecting, and with a handful of users (CTO, IT Director, auditors) the Plus
    /// price (US$0.02 per monthly active user in us-east-1, no free tier; aws.amazon.com/cognito/pricing) is cents.
    /// <c>essentials</c> turns threat protection off (MFA stays required).
    /// </summary>
    public string StatusPageFeaturePlan { get; init; } = "plus";

    public static StackConfiguration FromContext(Node node)
    {
        var errors = new List<string>();
        var config = new StackConfiguration();
        if (node.TryGetContext("stackName") is string name && name.Length > 0) config = config with { StackName = name };
        if (node.TryGetContext("functionsAssetPath") is string asset && asset.Length > 0) config = config with { FunctionsAssetPath = asset };
        if (node.TryGetContext("sweepIntervalMinutes") is { } sweep)
        {
            if (int.TryParse(sweep.ToString(), out var minutes) && minutes is >= 1 and <= 1440) config = config with { SweepIntervalMinutes = minutes };
            else errors.Add($"sweepIntervalMinutes must be a whole number of minutes from 1 to 1440, not '{sweep}'");
        }
        config = AlertContext.Apply(node, config, errors);
        config = config with
        {
            CreateConfigRecorder = ContextFlag(node, "createConfigRecorder", errors),
            CreateCloudTrail = ContextFlag(node, "createCloudTrail", errors),
        };
        if (node.TryGetContext("configSnapshotBucket") is { } snapshotBucket && snapshotBucket.ToString() is { Length: > 0 } bucketName)
        {
            if (System.Text.RegularExpressions.Regex.IsMatch(bucketName, "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")) config = config with { ConfigSnapshotBucket = bucketName };
            else errors.Add($"configSnapshotBucket must be an S3 bucket name, not '{bucketName}'");
        }
        if (node.TryGetContext("configSnapshotPrefix") is { } snapshotPrefix && snapshotPrefix.ToString() is { Length: > 0 } prefixText)
        {
            var normalized = prefixText.Trim('/') + "/";
            if (System.Text.RegularExpressions.Regex.IsMatch(normalized, "^[A-Za-z0-9!_.'()/-]{1,256}$") && !normalized.Contains("..", StringComparison.Ordinal))
                config = config with { ConfigSnapshotPrefix = normalized };
            else errors.Add($"configSnapshotPrefix must be an S3 key prefix without wildcards, not '{prefixText}'");
        }
        if (node.TryGetContext("organizationId") is { } org && org.ToString() is { Length: > 0 } orgId)
        {
            if (System.Text.RegularExpressions.Regex.IsMatch(orgId, "^o-[a-z0-9]{10,32}$")) config = config with { OrganizationId = orgId };
            else errors.Add($"organizationId must look like o-abcd123456, not '{orgId}'");
        }
        var members = ContextList(node, "memberAccountIds");
        foreach (var account in members.Where(a => !IsAccountId(a))) errors.Add($"memberAccountIds has '{account}', which is not a 12-digit account id");
        config = config with { MemberAccountIds = members.Distinct(StringComparer.Ordinal).ToList() };
        if (node.TryGetContext("centralAccountId") is { } central && central.ToString() is { Length: > 0 } centralId)
        {
            if (IsAccountId(centralId)) config = config with { CentralAccountId = centralId };
            else errors.Add($"centralAccountId must be a 12-digit account id, not '{centralId}'");
        }
        if (node.TryGetContext("centralRegion") is { } centralRegion && centralRegion.ToString() is { Length: > 0 } regionName)
        {
            if (System.Text.RegularExpressions.Regex.IsMatch(regionName, "^[a-z]{2}(-[a-z]+)+-\\d$")) config = config with { CentralRegion = regionName };
            else errors.Add($"centralRegion must be a region name such as eu-west-1, not '{regionName}'");
        }
        if (config.MultiAccount && config.CentralAccountId is null)
            errors.Add("centralAccountId is required when organizationId or memberAccountIds is set (the forwarder stack sends events to it)");
        if (config.CentralAccountId is { } home && config.MemberAccountIds.Contains(home))
            errors.Add($"memberAccountIds must not contain the central account {home}: it would forward events to itself in a loop");
        if (node.TryGetContext("githubOidc") is { } oidc)
        {
            try
            {
                config = config with { GitHubOidc = GitHubOidcOptions.Parse(ToJson(oidc)) };
            }
            catch (Exception ex) when (ex is JsonException or InvalidSettingsException)
            {
                errors.Add("githubOidc: " + ex.Message);
            }
        }
        if (node.TryGetContext("statusPageDomainPrefix") is string prefix && prefix.Length > 0)
        {
            if (System.Text.RegularExpressions.Regex.IsMatch(prefix, "^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$") && !prefix.Contains("aws", StringComparison.Ordinal)
                && !prefix.Contains("amazon", StringComparison.Ordinal) && !prefix.Contains("cognito", StringComparison.Ordinal))
                config = config with { StatusPageDomainPrefix = prefix };
            else errors.Add($"statusPageDomainPrefix must be lower-case letters, digits and hyphens without aws/amazon/cognito, not '{prefix}'");
        }
        if (node.TryGetContext("statusPageFeaturePlan") is { } plan && plan.ToString() is { Length: > 0 } planName)
        {
            if (planName is "plus" or "essentials") config = config with { StatusPageFeaturePlan = planName };
            else errors.Add($"statusPageFeaturePlan must be 'plus' (threat protection on) or 'essentials' (threat protection off), not '{planName}'");
        }
        config = ApplyPolicy(node, config, errors);
        if (errors.Count > 0)
            throw new ArgumentException("Invalid cdk.json context:\n  - " + string.Join("\n  - ", errors));
        return config with { Settings = Derive(config) };
    }

    /// <summary>
    /// Settings the functions need that the stack already knows: the sweep interval (for the sweep-gap rule) and
    /// the stack's rule name prefix (CloudFormation names rules <c>&lt;stack&gt;-&lt;id&gt;-&lt;hash&gt;</c>), unless set explicitly.
    /// </summary>
    private static IsmsSettings Derive(StackConfiguration config)
    {
        var settings = config.Settings with { SweepIntervalMinutes = config.SweepIntervalMinutes };
        if (settings.OwnRuleNamePrefixes.SequenceEqual(IsmsSettings.Default.OwnRuleNamePrefixes, StringComparer.Ordinal))
            settings = settings with { OwnRuleNamePrefixes = [config.StackName + "-"] };
        return settings;
    }

    /// <summary>
    /// Reads and validates the policy file (schema, settings, catalog: every error with its line), takes its settings
    /// and version. The deprecated cdk.json <c>isms</c> block is still read: its keys override the file's, with a
    /// deprecation message on standard error.
    /// </summary>
    private static StackConfiguration ApplyPolicy(Node node, StackConfiguration config, List<string> errors)
    {
        var file = node.TryGetContext("policyFile") is string f && f.Length > 0 ? f : config.PolicyFile;
        config = config with { PolicyFile = file };
        var settingsJson = new System.Text.Json.Nodes.JsonObject();
        if (File.Exists(file))
        {
            var validation = Policy.PolicyValidator.ValidateFile(file);
            foreach (var e in validation.Errors) errors.Add($"{file}:{e.Line}: {(e.Path.Length == 0 ? "/" : e.Path)}: {e.Message}");
            if (validation.Policy is { } policy)
            {
                config = config with { PolicyVersion = policy.Version };
                settingsJson = (System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse(policy.SettingsJson)!;
            }
        }
        else if (node.TryGetContext("policyFile") is not null)
        {
            errors.Add($"policyFile: {file} does not exist");
        }
        var isms = node.TryGetContext("isms");
        if (isms is not null)
        {
            Console.Error.WriteLine($"warning: cdk.json context 'isms' is deprecated: move its keys to {file} (they override the file's settings until then)");
            try
            {
                if (System.Text.Json.Nodes.JsonNode.Parse(ToJson(isms)) is System.Text.Json.Nodes.JsonObject block)
                    foreach (var (key, value) in block) settingsJson[key] = value?.DeepClone();
                else errors.Add("isms: must be an object");
            }
            catch (JsonException ex)
            {
                errors.Add("isms: " + ex.Message);
            }
        }
        if (settingsJson.Count == 0) return config;
        try
        {
            config = config with { Settings = IsmsSettings.Parse(settingsJson.ToJsonString()) };
        }
        catch (InvalidSettingsException ex)
        {
            errors.AddRange(ex.Errors.Select(e => "isms." + e));
        }
        catch (JsonException ex)
        {
            errors.Add("isms: " + ex.Message);
        }
        // Lambda caps a function's environment at 4 KB in total; the control catalog ships in the package, the
        // settings travel as ISMS_SETTINGS. Fail synth, not the deploy, when they outgrow it.
        var size = System.Text.Encoding.UTF8.GetByteCount(config.Settings.ToJson());
        if (size > 3072) errors.Add($"the policy's settings are {size} bytes as JSON, over the 3 KB budget of ISMS_SETTINGS (Lambda's environment limit is 4 KB): read them from the bundled policy file instead");
        return config;
    }

    private static bool IsAccountId(string value) => value.Length == 12 && value.All(char.IsAsciiDigit);

    /// <summary>A boolean from cdk.json (true/false) or the command line (-c flag=true).</summary>
    private static bool ContextFlag(Node node, string key, List<string> errors)
    {
        var value = node.TryGetContext(key);
        if (value is null) return false;
        if (value is bool flag) return flag;
        if (bool.TryParse(value.ToString(), out var parsed)) return parsed;
        errors.Add($"{key} must be true or false, not '{value}'");
        return false;
    }

    /// <summary>A list from cdk.json (array) or the command line (-c key=a,b or a JSON array).</summary>
    private static List<string> ContextList(Node node, string key)
    {
        var value = node.TryGetContext(key);
        return value switch
        {
            null => [],
            string s when s.TrimStart().StartsWith('[') => JsonSerializer.Deserialize(s, InfraJsonContext.Default.ListString) ?? [],
            string s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList(),
            System.Collections.IEnumerable list => list.Cast<object?>().Select(o => o?.ToString() ?? "").Where(o => o.Length > 0).ToList(),
            _ => [value.ToString() ?? ""],
        };
    }

    /// <summary>jsii hands context back as strings, numbers, arrays and dictionaries; re-serialize to parse it with the one settings parser.</summary>
    private static string ToJson(object value) => value switch
    {
        string s when s.TrimStart().StartsWith('{') => s,
        _ => JsonSerializer.Serialize(Normalize(value), InfraJsonContext.Default.Object),
    };

    private static object? Normalize(object? value) => value switch
    {
        null => null,
        string or bool or int or long or double or decimal => value,
        System.Collections.IDictionary map => map.Keys.Cast<object>().ToDictionary(k => k.ToString()!, k => Normalize(map[k])),
        System.Collections.IEnumerable list => list.Cast<object?>().Select(Normalize).ToList(),
        _ => value.ToString(),
    };
}

[System.Text.Json.Serialization.JsonSerializable(typeof(object))]
[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, object?>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(List<object?>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(List<string>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
[System.Text.Json.Serialization.JsonSerializable(typeof(bool))]
[System.Text.Json.Serialization.JsonSerializable(typeof(int))]
[System.Text.Json.Serialization.JsonSerializable(typeof(long))]
[System.Text.Json.Serialization.JsonSerializable(typeof(double))]
[System.Text.Json.Serialization.JsonSerializable(typeof(decimal))]
internal sealed partial class InfraJsonContext : System.Text.Json.Serialization.JsonSerializerContext;

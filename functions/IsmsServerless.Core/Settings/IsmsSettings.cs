using System.Text.Json;
using System.Text.Json.Serialization;
using IsmsServerless.Model;

namespace IsmsServerless.Settings;

/// <summary>
/// The settings the stack takes from <c>cdk.json</c> context (key <c>isms</c>), passes to every function as the
/// <c>ISMS_SETTINGS</c> environment variable, and the CLI reads with <c>--config</c>. One shape, one parser.
/// </summary>
/// <remarks>
/// Properties are settable, not init-only: System.Text.Json's source generator assigns every init-only property,
/// which would replace a default with null whenever the JSON leaves a key out.
/// </remarks>
public sealed record IsmsSettings
{
    /// <summary><c>prod</c> or <c>staging</c>: decides whether changes count as production changes.</summary>
    public string Environment { get; set; } = "prod";

    /// <summary>Remediation windows in days, by severity (upper-case keys).</summary>
    public IReadOnlyDictionary<string, int> SlaDays { get; set; } = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase)
    {
        ["CRITICAL"] = 7,
        ["HIGH"] = 30,
        ["MEDIUM"] = 90,
        ["LOW"] = 180,
    };

    /// <summary>Share of the SLA window after which an open finding becomes at-risk (0 &lt; x &lt; 1).</summary>
    public double AtRiskShare { get; set; } = 0.5;

    /// <summary>IAM role names (not ARNs) whose sessions are break-glass / emergency changes.</summary>
    public IReadOnlyList<string> EmergencyRoleNames { get; set; } = ["BreakGlass", "EmergencyAccess"];

    /// <summary>IAM role names of the deployment pipeline; changes made by other principals are manual changes.</summary>
    public IReadOnlyList<string> PipelineRoleNames { get; set; } = ["cdk-hnb659fds-cfn-exec-role", "GitHubActionsDeployRole"];

    /// <summary>Hours within which an emergency or manual change must be reviewed.</summary>
    public int ChangeReviewHours { get; set; } = 24;

    /// <summary>
    /// Role-session-name (or source-identity) prefixes that mark a session as an emergency change even when the role is
    /// not in <see cref="EmergencyRoleNames"/> (e.g. an admin who assumes a normal role as <c>breakglass-alice</c>).
    /// Session tags are not usable here: CloudTrail records them only on the AssumeRole call, not on the session's calls.
    /// </summary>
    public IReadOnlyList<string> EmergencySessionNamePrefixes { get; set; } = ["breakglass", "break-glass", "emergency"];

    /// <summary>Shares of the review window at which a pending change gets a reminder (ascending, each 0 &lt; x &lt; 1).</summary>
    public IReadOnlyList<double> ChangeReviewReminderShares { get; set; } = [0.5, 0.9];

    /// <summary>Failed console sign-ins from one user or IP within the window that make a burst.</summary>
    public int FailedLoginThreshold { get; set; } = 5;

    public int FailedLoginWindowMinutes { get; set; } = 15;

    /// <summary>Days a managed instance may go without a patch scan before silence is itself a finding.</summary>
    public int PatchScanMaxAgeDays { get; set; } = 7;

    /// <summary>
    /// When a patch SLA clock starts: <c>firstObserved</c> (default, as Vanta and Drata count remediate-by: when the
    /// vulnerability or missing patch is first observed in this environment, Inspector <c>firstObservedAt</c> or the
    /// SSM scan that found it, and never before a fix exists) or <c>vendorPublished</c> (the strict reading: from the
    /// vendor's publication date, Inspector <c>vendorCreatedAt</c> or the patch's release date, when that is earlier).
    /// Vendor dates are kept in the evidence either way and shown as the CVE's age.
    /// </summary>
    public string PatchClockStart { get; set; } = PatchClockStarts.FirstObserved;

    /// <summary>Explicitly approved world-open ingress: security group id and port. Never 22 or 3389.</summary>
    public IReadOnlyList<ApprovedIngress> ApprovedIngress { get; set; } = [];

    /// <summary>
    /// Days a resolved finding (its item and index memberships) is kept before DynamoDB TTL may delete it. Open,
    /// acknowledged and suppressed findings never carry a TTL; history items are never deleted by TTL.
    /// </summary>
    public int ResolvedRetentionDays { get; set; } = 1095;

    /// <summary>Days an alert outbox record is kept (delivery happens within minutes; this is the delivery audit trail).</summary>
    public int AlertRetentionDays { get; set; } = 400;

    /// <summary>Public URL of the status page, used in alert links.</summary>
    public string StatusPageUrl { get; set; } = "http://127.0.0.1:8080";

    /// <summary>Hours without any AWS Config event before the recorder counts as off (0 turns the check off).</summary>
    public int ConfigSilenceHours { get; set; } = 24;

    /// <summary>Hours without any CloudTrail event before CloudTrail counts as not logging (0 turns the check off).</summary>
    public int CloudTrailSilenceHours { get; set; } = 24;

    /// <summary>Days without any Inspector event before Inspector counts as disabled (0 turns the check off).</summary>
    public int InspectorSilenceDays { get; set; } = 7;

    /// <summary>Minutes between scheduled sweeps; the stack copies its <c>sweepIntervalMinutes</c> here.</summary>
    public int SweepIntervalMinutes { get; set; } = 15;

    /// <summary>Missed sweep intervals after which the sweep counts as not running (alarm and finding).</summary>
    public int SweepMissedIntervals { get; set; } = 3;

    /// <summary>Name prefixes of this deployment's own EventBridge rules; disabling or deleting one is a finding.</summary>
    public IReadOnlyList<string> OwnRuleNamePrefixes { get; set; } = ["IsmsServerless-"];

    /// <summary>
    /// The people the ISMS knows, each with one identity (e-mail) and the AWS principals that are them. Four-eyes,
    /// reviews and history use these to compare and record people, not principal strings (see README, Security).
    /// </summary>
    public IReadOnlyList<Identity.Person> People { get; set; } = [];

    /// <summary>
    /// A change whose author maps to no person in <see cref="People"/>: <c>allow-flagged</c> (default) records the review
    /// marked "author unmapped, four-eyes not checked against a person"; <c>refuse</c> refuses the review.
    /// </summary>
    public string UnmappedAuthorReview { get; set; } = Identity.UnmappedAuthorReview.AllowFlagged;

    /// <summary>
    /// Change management (PROC-002 approval by type, Qwestly risk categories and emergency authority): the approval
    /// matrix, risk classification, who may use emergency roles, and the ticket systems a review must link.
    /// </summary>
    public ChangeManagementSettings ChangeManagement { get; set; } = new();

    /// <summary>Backup and Recovery: the critical data in scope and the policy's backup clocks.</summary>
    public BackupSettings Backup { get; set; } = new();

    /// <summary>Incident Response: what opens an incident, how findings correlate, and the three clocks.</summary>
    public IncidentSettings Incidents { get; set; } = new();

    /// <summary>PROC-002 Antivirus protection: GuardDuty required, and the anti-malware application SSM Inventory must list.</summary>
    public AntiMalwareSettings AntiMalware { get; set; } = new();

    /// <summary>Access Control: the organisation's own accounts (external trust), the access review's remediation window, dormancy.</summary>
    public AccessSettings Access { get; set; } = new();

    /// <summary>
    /// Recurring duties (access review, restore test, policy reviews, training, advisories, fault-log review...): the
    /// sweep opens each period's obligation, reminds its owner, and raises an overdue finding when it is not attested.
    /// Defaults: <see cref="DutyDefaults.All"/>, from the two seed policies.
    /// </summary>
    public IReadOnlyList<DutyDefinition> Duties { get; set; } = DutyDefaults.All();

    /// <summary>The remediation window for a severity, or null when the severity carries no deadline.</summary>
    public TimeSpan? SlaFor(Severity severity) =>
        SlaDays.TryGetValue(severity.ToWire(), out var days) && days > 0 ? TimeSpan.FromDays(days) : null;

    /// <summary>Checks the settings and lists every problem, so synth and the CLI can fail with all of them at once.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Environment is not ("prod" or "staging"))
            errors.Add($"environment must be 'prod' or 'staging', not '{Environment}'");
        foreach (var (key, days) in SlaDays)
        {
            if (!SeverityNames.TryParse(key, out _)) errors.Add($"slaDays has an unknown severity '{key}'");
            if (days is < 1 or > 3650) errors.Add($"slaDays.{key} must be between 1 and 3650 days, not {days}");
        }
        if (AtRiskShare is <= 0 or >= 1) errors.Add($"atRiskShare must be between 0 and 1 (exclusive), not {AtRiskShare}");
        if (ChangeReviewHours is < 1 or > 720) errors.Add($"changeReviewHours must be between 1 and 720, not {ChangeReviewHours}");
        for (var i = 0; i < ChangeReviewReminderShares.Count; i++)
        {
            var share = ChangeReviewReminderShares[i];
            if (share is <= 0 or >= 1) errors.Add($"changeReviewReminderShares must be between 0 and 1 (exclusive), not {share}");
            if (i > 0 && share <= ChangeReviewReminderShares[i - 1]) errors.Add("changeReviewReminderShares must be ascending");
        }
        foreach (var prefix in EmergencySessionNamePrefixes)
        {
            if (string.IsNullOrWhiteSpace(prefix)) errors.Add("emergencySessionNamePrefixes may not contain an empty prefix");
        }
        if (FailedLoginThreshold < 1) errors.Add("failedLoginThreshold must be at least 1");
        if (FailedLoginWindowMinutes is < 1 or > 1440) errors.Add("failedLoginWindowMinutes must be between 1 and 1440");
        if (PatchScanMaxAgeDays is < 1 or > 365) errors.Add("patchScanMaxAgeDays must be between 1 and 365");
        if (PatchClockStart is not (PatchClockStarts.FirstObserved or PatchClockStarts.VendorPublished))
            errors.Add($"patchClockStart must be '{PatchClockStarts.FirstObserved}' or '{PatchClockStarts.VendorPublished}', not '{PatchClockStart}'");
        if (ResolvedRetentionDays is < 365 or > 3650) errors.Add($"resolvedRetentionDays must be between 365 and 3650 (audit evidence), not {ResolvedRetentionDays}");
        if (AlertRetentionDays is < 30 or > 3650) errors.Add($"alertRetentionDays must be between 30 and 3650, not {AlertRetentionDays}");
        foreach (var ingress in ApprovedIngress)
        {
            if (ingress.Port is 22 or 3389) errors.Add($"approvedIngress may never open port {ingress.Port} to the world ({ingress.GroupId})");
            if (string.IsNullOrWhiteSpace(ingress.GroupId) || !ingress.GroupId.StartsWith("sg-", StringComparison.Ordinal))
                errors.Add($"approvedIngress groupId must be a security group id (sg-...), not '{ingress.GroupId}'");
        }
        if (ConfigSilenceHours is < 0 or > 720) errors.Add($"configSilenceHours must be between 0 (off) and 720, not {ConfigSilenceHours}");
        if (CloudTrailSilenceHours is < 0 or > 720) errors.Add($"cloudTrailSilenceHours must be between 0 (off) and 720, not {CloudTrailSilenceHours}");
        if (InspectorSilenceDays is < 0 or > 90) errors.Add($"inspectorSilenceDays must be between 0 (off) and 90, not {InspectorSilenceDays}");
        if (SweepIntervalMinutes is < 1 or > 1440) errors.Add($"sweepIntervalMinutes must be between 1 and 1440, not {SweepIntervalMinutes}");
        if (SweepMissedIntervals is < 2 or > 100) errors.Add($"sweepMissedIntervals must be between 2 and 100, not {SweepMissedIntervals}");
        if (OwnRuleNamePrefixes.Count == 0 || OwnRuleNamePrefixes.Any(p => string.IsNullOrWhiteSpace(p) || p.Length < 3))
            errors.Add("ownRuleNamePrefixes must list at least one rule name prefix of 3 or more characters");
        errors.AddRange(ChangeManagement?.Validate() ?? ["changeManagement may not be null"]);
        errors.AddRange(Backup?.Validate() ?? ["backup may not be null"]);
        errors.AddRange(Incidents?.Validate() ?? ["incidents may not be null"]);
        errors.AddRange(AntiMalware?.Validate() ?? ["antiMalware may not be null"]);
        errors.AddRange(Access?.Validate() ?? ["access may not be null"]);
        foreach (var name in EmergencyRoleNames.Concat(PipelineRoleNames))
        {
            if (string.IsNullOrWhiteSpace(name) || name.Contains(':', StringComparison.Ordinal))
                errors.Add($"role names are names, not ARNs: '{name}'");
        }
        errors.AddRange(Identity.IdentityResolver.Validate(People, EmergencySessionNamePrefixes));
        if (UnmappedAuthorReview is not (Identity.UnmappedAuthorReview.AllowFlagged or Identity.UnmappedAuthorReview.Refuse))
            errors.Add($"unmappedAuthorReview must be 'allow-flagged' or 'refuse', not '{UnmappedAuthorReview}'");
        errors.AddRange(Obligations.DutyRules.Validate(Duties));
        return errors;
    }

    public static IsmsSettings Default { get; } = new();

    /// <summary>Parses settings JSON (camelCase keys); missing keys keep their defaults.</summary>
    public static IsmsSettings Parse(string json)
    {
        var settings = JsonSerializer.Deserialize(json, SettingsJsonContext.Default.IsmsSettings)
            ?? throw new InvalidSettingsException(["settings JSON is null"]);
        var errors = settings.Validate();
        if (errors.Count > 0) throw new InvalidSettingsException(errors);
        return settings;
    }

    public static IsmsSettings Load(string path) => Parse(File.ReadAllText(path));

    /// <summary>Reads <c>ISMS_SETTINGS</c> (inline JSON) from the environment, as the stack sets it on every function.</summary>
    public static IsmsSettings FromEnvironment()
    {
        var json = System.Environment.GetEnvironmentVariable("ISMS_SETTINGS");
        return string.IsNullOrWhiteSpace(json) ? Default : Parse(json);
    }

    /// <summary>
    /// The settings as JSON (what the stack passes to every function as <c>ISMS_SETTINGS</c>). The default duties are
    /// left out (a missing key keeps its default when parsed): Lambda caps a function's environment at 4 KB, and the
    /// duties' titles and clauses alone would take more.
    /// </summary>
    public string ToJson()
    {
        var node = JsonSerializer.SerializeToNode(this, SettingsJsonContext.Default.IsmsSettings)!.AsObject();
        if (node["duties"]?.ToJsonString() == DefaultDutiesJson.Value) node.Remove("duties");
        // Likewise the change-management keys left at their defaults (the PROC-002 matrix and risk lists are long).
        if (node["changeManagement"] is System.Text.Json.Nodes.JsonObject cm)
        {
            foreach (var (key, value) in DefaultChangeManagementJson.Value)
            {
                if (cm[key]?.ToJsonString() == value) cm.Remove(key);
            }
            if (cm.Count == 0) node.Remove("changeManagement");
        }
        return node.ToJsonString();
    }

    private static readonly Lazy<Dictionary<string, string>> DefaultChangeManagementJson = new(() =>
        JsonSerializer.SerializeToNode(new IsmsSettings(), SettingsJsonContext.Default.IsmsSettings)!["changeManagement"]!.AsObject()
            .ToDictionary(p => p.Key, p => p.Value?.ToJsonString() ?? "null", StringComparer.Ordinal));

    private static readonly Lazy<string> DefaultDutiesJson = new(() =>
        JsonSerializer.SerializeToNode(new IsmsSettings(), SettingsJsonContext.Default.IsmsSettings)!["duties"]!.ToJsonString());
}

public sealed record ApprovedIngress(string GroupId, int Port, string Reason = "");

public sealed class InvalidSettingsException(IReadOnlyList<string> errors)
    : Exception("Invalid IsmsServerless settings: " + string.Join("; ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, WriteIndented = false)]
[JsonSerializable(typeof(IsmsSettings))]
internal sealed partial class SettingsJsonContext : JsonSerializerContext;

/// <summary>The values of <see cref="IsmsSettings.PatchClockStart"/>.</summary>
public static class PatchClockStarts
{
    public const string FirstObserved = "firstObserved";
    public const string VendorPublished = "vendorPublished";
}

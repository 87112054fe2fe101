using System.Collections.Frozen;
using IsmsServerless.Inputs;
using IsmsServerless.Settings;

namespace IsmsServerless.Changes;

/// <summary>
/// Decides whether a CloudTrail call is a change a human must review, and of which kind. Pure: settings in, kind out.
/// The three change rules and the register all ask this one class, so a call is never counted twice.
/// </summary>
public static class ChangeClassifier
{
    /// <summary>
    /// Calls CloudTrail may mark as writes (or old records leave unmarked) that change no resource: credentials,
    /// cryptographic operations, sign-in plumbing. Not reviewed as changes.
    /// </summary>
    private static readonly FrozenSet<string> NonChangingEvents = FrozenSet.ToFrozenSet(
    [
        "AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity", "GetSessionToken", "GetFederationToken",
        "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncrypt", "Sign", "Verify",
        "ConsoleLogin", "CheckMfa", "SwitchRole", "ExitRole", "RenewRole", "Federate", "CredentialVerification",
        "CredentialChallenge", "UserAuthentication", "Authenticate", "StartQuery", "StopQuery", "CreateToken",
        "SetDefaultMfaDevice",
    ], StringComparer.Ordinal);

    private static readonly string[] ConsoleUserAgentMarkers =
    [
        "console.amazonaws.com", "console.aws.amazon.com", "signin.amazonaws.com", "S3Console", "AWSConsole",
    ];

    /// <summary>Why a call is not a change, or null when it is one (then <see cref="Classify"/> returns its kind).</summary>
    public static string? WhyNotAChange(CloudTrailInput input)
    {
        if (input.Failed) return "the call failed: nothing changed";
        if (!input.Mutating) return "read-only call";
        if (NonChangingEvents.Contains(input.EventName)) return "credential or sign-in call, changes no resource";
        if (input.IsAwsService) return "made by an AWS service (service-linked role or invokedBy), not a person";
        if (input.Record.EventType is "AwsServiceEvent" or "AwsCloudTrailInsight") return "an AWS service event, not a call";
        if (IsDataPlane(input)) return "a data event (object or data-plane access), not a configuration change";
        return null;
    }

    /// <summary>
    /// A data or network-activity event (<c>eventCategory</c> Data/NetworkActivity, or <c>managementEvent</c> false):
    /// object reads and writes, function invocations, data-plane APIs. They change no configuration; with data events
    /// on, each PutObject would otherwise open its own change to review.
    /// </summary>
    private static bool IsDataPlane(CloudTrailInput input)
    {
        var category = input.Record.EventCategory;
        if (string.Equals(category, "Data", StringComparison.OrdinalIgnoreCase) || string.Equals(category, "NetworkActivity", StringComparison.OrdinalIgnoreCase))
            return true;
        return string.Equals(input.Record.ManagementEvent?.Trim(), "false", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The kind of change, or null when the call needs no review under these settings.</summary>
    /// <remarks>
    /// Computed once per input and settings object: the three change rules, the implementer rule and the change register
    /// all ask for every CloudTrail record, and the call (its SHA-256 change id included) is built once for all of them.
    /// </remarks>
    public static ChangeKind? Classify(CloudTrailInput input, IsmsSettings settings) => Memo(input, settings).Kind;

    /// <summary>The classified call, or null when the call needs no review under these settings (built once per input).</summary>
    public static ChangeCall? ToCall(CloudTrailInput input, IsmsSettings settings) => Memo(input, settings).Call;

    private static Classified Memo(CloudTrailInput input, IsmsSettings settings)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(settings);
        ref var slot = ref input.ChangeMemo;
        // Inputs and their records are immutable; the memo is valid for the input instance and settings object it was
        // computed for (a `with` copy of the input carries the slot but is another instance, so it computes its own).
        if (slot.Value is Classified memo && ReferenceEquals(memo.Input, input) && ReferenceEquals(memo.Settings, settings)) return memo;
        var fresh = new Classified(input, settings, ClassifyUncached(input, settings));
        slot.Value = fresh;
        return fresh;
    }

    /// <summary>One input's classification under one settings object, and its call, built on first use.</summary>
    private sealed class Classified(CloudTrailInput input, IsmsSettings settings, ChangeKind? kind)
    {
        private ChangeCall? _call;

        public CloudTrailInput Input { get; } = input;
        public IsmsSettings Settings { get; } = settings;
        public ChangeKind? Kind { get; } = kind;

        // Deterministic: two threads racing on one input build equal calls, either is kept.
        public ChangeCall? Call => Kind is { } kind ? _call ??= ChangeCall.From(Input, kind) : null;
    }

    internal static ChangeKind? ClassifyUncached(CloudTrailInput input, IsmsSettings settings)
    {
        if (WhyNotAChange(input) is not null) return null;
        if (IsEmergency(input, settings)) return ChangeKind.Emergency;
        // Manual and out-of-pipeline changes matter on production only; staging is for trying things by hand.
        if (settings.Environment != "prod") return null;
        if (IsConsole(input)) return ChangeKind.ManualConsole;
        if (input.RoleName is { } role && Contains(settings.PipelineRoleNames, role, StringComparison.Ordinal)) return null;
        return ChangeKind.OutOfPipeline;
    }

    /// <summary>An emergency role by name, or a session named by the break-glass convention.</summary>
    public static bool IsEmergency(CloudTrailInput input, IsmsSettings settings)
    {
        if (input.RoleName is { } role && Contains(settings.EmergencyRoleNames, role, StringComparison.OrdinalIgnoreCase)) return true;
        var identity = input.Record.UserIdentity;
        // arn:aws:sts::<account>:assumed-role/<role>/<session>: the session name is after the second '/' (read in place).
        var arn = identity?.Type == "AssumedRole" ? identity.Arn : null;
        var firstSlash = arn?.IndexOf('/') ?? -1;
        var lastSlash = arn?.LastIndexOf('/') ?? -1;
        var sessionName = firstSlash >= 0 && lastSlash > firstSlash ? arn.AsSpan(lastSlash + 1) : default;
        var hasSession = firstSlash >= 0 && lastSlash > firstSlash;
        var sourceIdentity = identity?.SessionContext?.SourceIdentity;
        var prefixes = settings.EmergencySessionNamePrefixes;
        for (var i = 0; i < prefixes.Count; i++)
        {
            var prefix = prefixes[i];
            if (hasSession && sessionName.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return true;
            if (sourceIdentity?.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) == true) return true;
        }
        return false;
    }

    /// <summary><c>names.Contains(value, comparer)</c> as a loop over the list (LINQ's allocates an enumerator per call).</summary>
    private static bool Contains(IReadOnlyList<string> names, string value, StringComparison comparison)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], value, comparison)) return true;
        }
        return false;
    }

    /// <summary>
    /// A console session: CloudTrail's <c>sessionCredentialFromConsole</c>, or a console user agent. (The bare
    /// "AWS Internal" agent is not enough: AWS services use it for their own calls too.)
    /// </summary>
    public static bool IsConsole(CloudTrailInput input)
    {
        if (string.Equals(input.Record.SessionCredentialFromConsole, "true", StringComparison.OrdinalIgnoreCase)) return true;
        if (input.InvokedByConsole) return true;
        var agent = input.Record.UserAgent;
        if (string.IsNullOrEmpty(agent)) return false;
        if (CloudTrailInput.IsConsoleHost(agent)) return true;
        foreach (var marker in ConsoleUserAgentMarkers)
        {
            if (agent.Contains(marker, StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }
}

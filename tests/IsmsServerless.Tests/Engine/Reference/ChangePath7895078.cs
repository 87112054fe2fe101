using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using IsmsServerless.Changes;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Settings;

namespace IsmsServerless.Tests.Engine.Reference;

/// <summary>
/// Main 7895078's change evaluation (<c>ChangeRuleSupport.Evaluate</c>), the classifier's decision
/// (<c>ChangeClassifier.ClassifyUncached</c> and <c>IsEmergency</c>) and the call's API name and resources
/// (<c>ChangeCall.ApiName</c>, <c>ResourcesOf</c>), verbatim but for their names: the reference for <see cref="CpuWave9RewriteTests"/>.
/// </summary>
internal static class ChangePath7895078
{
    private const int MaxResourcesPerCall = 10;
    private const int MaxValueLength = 256;

    public static IEnumerable<Evaluation> Evaluate(RuleMetadata metadata, ChangeKind kind, CloudTrailInput input, EvaluationContext context)
    {
        if (ClassifyUncached(input, context.Settings) != kind || ChangeClassifier.ToCall(input, context.Settings) is not { } call) return [];
        var evidence = input.Evidence(extra: 8);
        evidence["changeId"] = call.ChangeId;
        evidence["principal"] = call.Principal;
        evidence["changeKind"] = kind.ToWire();
        if (call.AccessKeyId is { } key) evidence["accessKeyId"] = key;
        if (call.SessionCreatedAt is { } created) evidence["sessionCreatedAt"] = Timestamps.ToWire(created);
        if (call.CallerAccountId is { } caller) evidence["callerAccountId"] = caller;
        var resources = ResourcesOf(input);
        var apiName = ApiName(call);
        if (resources.Count > 0) evidence["resources"] = string.Join(", ", resources);
        evidence["call"] = resources.Count switch
        {
            0 => $"{call.Principal} called {apiName}",
            1 => $"{call.Principal} called {apiName} on {resources[0]}",
            var n => $"{call.Principal} called {apiName} on {resources[0]} (+{n - 1})",
        };
        return
        [
            new Evaluation
            {
                Rule = metadata,
                Outcome = Outcome.Change,
                ResourceId = call.ChangeId,
                ResourceType = metadata.ResourceType,
                AccountId = input.AccountId,
                Region = input.Region,
                Message = call.RoleName is { } role
                    ? $"{KindText(kind)} by {call.Principal} as role {role} (change {call.ChangeId}); review due within {context.Settings.ChangeReviewHours}h of the session's first call"
                    : $"{KindText(kind)} by {call.Principal} (change {call.ChangeId}); review due within {context.Settings.ChangeReviewHours}h of the session's first call",
                ClockStart = call.EventTime,
                ObservedAt = call.EventTime,
                Evidence = evidence,
            },
        ];
    }

    public static string KindText(ChangeKind kind) => kind switch
    {
        ChangeKind.Emergency => "Emergency (break-glass) change",
        ChangeKind.ManualConsole => "Manual console change on production",
        _ => "Change outside the deployment pipeline",
    };

    public static string ApiName(ChangeCall call) => $"{call.EventSource.Replace(".amazonaws.com", "", StringComparison.Ordinal)}:{call.EventName}";

    internal static ChangeKind? ClassifyUncached(CloudTrailInput input, IsmsSettings settings)
    {
        if (ChangeClassifier.WhyNotAChange(input) is not null) return null;
        if (IsEmergency(input, settings)) return ChangeKind.Emergency;
        if (settings.Environment != "prod") return null;
        if (ChangeClassifier.IsConsole(input)) return ChangeKind.ManualConsole;
        if (input.RoleName is { } role && settings.PipelineRoleNames.Contains(role, StringComparer.Ordinal)) return null;
        return ChangeKind.OutOfPipeline;
    }

    public static bool IsEmergency(CloudTrailInput input, IsmsSettings settings)
    {
        if (input.RoleName is { } role && settings.EmergencyRoleNames.Contains(role, StringComparer.OrdinalIgnoreCase)) return true;
        var identity = input.Record.UserIdentity;
        var arn = identity?.Type == "AssumedRole" ? identity.Arn : null;
        var firstSlash = arn?.IndexOf('/') ?? -1;
        var lastSlash = arn?.LastIndexOf('/') ?? -1;
        var sessionName = firstSlash >= 0 && lastSlash > firstSlash ? arn.AsSpan(lastSlash + 1) : default;
        var hasSession = firstSlash >= 0 && lastSlash > firstSlash;
        var sourceIdentity = identity?.SessionContext?.SourceIdentity;
        foreach (var prefix in settings.EmergencySessionNamePrefixes)
        {
            if (hasSession && sessionName.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return true;
            if (sourceIdentity?.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) == true) return true;
        }
        return false;
    }

    public static IReadOnlyList<string> ResourcesOf(CloudTrailInput input)
    {
        // Distinct, in ordinal order, at most MaxResourcesPerCall: a sorted list (a call names a handful at most).
        List<string>? found = null;
        foreach (var resource in input.Record.Resources ?? [])
        {
            if (!string.IsNullOrWhiteSpace(resource.Arn)) AddSorted(ref found, Cap(resource.Arn));
            if (found?.Count >= MaxResourcesPerCall) return found;
        }
        var parameters = input.Record.RequestParameters;
        if (found is null && parameters.ValueKind == JsonValueKind.Object)
        {
            string? service = null;
            foreach (var property in parameters.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.String || !Identifies(property)) continue;
                var name = property.Name;
                var value = property.Value.GetString();
                if (string.IsNullOrWhiteSpace(value)) continue;
                service ??= input.EventSource.Replace(".amazonaws.com", "", StringComparison.Ordinal);
                AddSorted(ref found, value.StartsWith("arn:", StringComparison.Ordinal) ? Cap(value) : Cap($"{service}:{name}/{value}"));
                if (found!.Count >= MaxResourcesPerCall) break;
            }
        }
        return found is null ? Array.Empty<string>() : found;
    }

    private static void AddSorted(ref List<string>? list, string value)
    {
        list ??= new List<string>(4);
        var at = list.BinarySearch(value, StringComparer.Ordinal);
        if (at < 0) list.Insert(~at, value);
    }

    /// <summary>
    /// <see cref="Identifies(string)"/> on the raw UTF-8 name, so names that identify nothing are never decoded. Exact for
    /// ASCII names (no other character folds to the ASCII letters compared); an escaped or non-ASCII name is decoded.
    /// </summary>
    private static bool Identifies(JsonProperty property)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(property);
        if (raw.IndexOf((byte)'\\') >= 0 || !Ascii.IsValid(raw)) return Identifies(property.Name);
        return (raw.Length >= 4 && Ascii.EqualsIgnoreCase(raw[^4..], "Name"u8)) || raw.EndsWith("Id"u8)
            || (raw.Length >= 3 && Ascii.EqualsIgnoreCase(raw[^3..], "Arn"u8)) || raw.SequenceEqual("name"u8) || raw.SequenceEqual("bucketName"u8)
            || raw.SequenceEqual("key"u8);
    }

    private static bool Identifies(string key) =>
        key.EndsWith("Name", StringComparison.OrdinalIgnoreCase) || key.EndsWith("Id", StringComparison.Ordinal)
        || key.EndsWith("Arn", StringComparison.OrdinalIgnoreCase) || key is "name" or "bucketName" or "key";

    private static string Cap(string value) => value.Length <= MaxValueLength ? value : value[..MaxValueLength] + "…";
}

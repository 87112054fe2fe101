using System.Text.Json;
using IsmsServerless.Access;
using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Access;

/// <summary>
/// A person who left (<c>people[].leftAt</c>) still has an IAM user that can sign in or call AWS. From the Config item of
/// the user: a login profile, or an access key whose status is <c>Active</c>, held after the end of the leave day, is a
/// CRITICAL finding with a 24-hour window ("revoke access immediately"). AWS Config's <c>AWS::IAM::User</c> item as AWS
/// delivers it lists policies and groups but not passwords or keys; when the item does not say (no <c>loginProfile</c> /
/// <c>accessKeys</c> field), the user's existence is the access held, and deleting the user (Config
/// <c>ResourceDeleted</c>, which closes every finding on the user) resolves it. An item that does carry the fields and
/// shows neither resolves it. CloudTrail <c>CreateLoginProfile</c> / <c>CreateAccessKey</c> for the leaver's user after
/// the leave reopen it at once. The ledger orders by capture/event time, so a late CloudTrail call older than the
/// deletion cannot reopen it.
/// </summary>
public sealed class LeaverCredentialsRule : IRule<ConfigItemInput>, IRule<CloudTrailInput>, IKeyedRule<CloudTrailInput>
{
    public const string ResourceTypeName = "AWS::IAM::User";
    private const string GlobalRegion = "global";

    public RuleMetadata Metadata { get; } = new(
        Id: "access.leaver-credentials",
        Title: "A person who left still holds a password or an active access key",
        Category: Category.Access,
        Severity: Severity.Critical,
        ResourceType: ResourceTypeName,
        PolicyClause: AccessClauses.QwestlyRevokeOnLeave,
        Controls: AccessClauses.LeaverControls,
        Risk: "A leaver's password or access key is an unmonitored way in: nobody expects their activity, and nobody will notice its misuse.",
        Remediation: "Delete the user's login profile and access keys (aws iam delete-login-profile / delete-access-key), then delete the user or remove it from every group; confirm in Config that it is gone.")
    {
        Sla = TimeSpan.FromDays(1),
    };

    public IEnumerable<Evaluation> Evaluate(ConfigItemInput input, EvaluationContext context)
    {
        if (input.ResourceType != ResourceTypeName || !input.HasConfiguration) yield break;
        var c = input.Configuration;
        var userName = Json.Text(c, "userName") ?? input.ResourceName;
        if (!ResourceKeys.Plausible(userName)) yield break;
        if (Leavers.ForName(context.Settings, userName) is not { LeftAt: { } leftAt } person) yield break;
        var from = Leavers.EffectiveFrom(leftAt);
        var at = input.CaptureTime ?? input.ObservedAt ?? context.Now;
        var key = ResourceKeys.IamUser(input.AccountId, userName);
        var evidence = input.Evidence();
        evidence["person"] = person.Email;
        evidence["leftAt"] = leftAt.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var held = Held(c);
        if (held.Count == 0 || at < from)
        {
            yield return Result(Outcome.Compliant, held.Count == 0
                ? $"{userName} ({person.Email}, left {evidence["leftAt"]}) holds no password and no active access key"
                : $"{userName} ({person.Email}) leaves on {evidence["leftAt"]}; access is due to be gone by {Timestamps.ToWire(from)}");
            yield break;
        }
        evidence["held"] = string.Join(", ", held);
        yield return Result(Outcome.Finding, $"{userName} belongs to {person.Email}, who left on {evidence["leftAt"]}, and still holds {string.Join(" and ", held)}");

        Evaluation Result(Outcome outcome, string message) => new()
        {
            Rule = Metadata,
            Outcome = outcome,
            ResourceId = key,
            ResourceType = ResourceTypeName,
            AccountId = input.AccountId,
            Region = GlobalRegion,
            Message = message,
            ClockStart = outcome == Outcome.Finding ? ClockStart(c, from, at) : null,
            ObservedAt = at,
            Evidence = evidence,
        };
    }

    /// <summary>Only calls to iam.amazonaws.com (the first check of the CloudTrail evaluation below).</summary>
    IReadOnlyList<string> IKeyedRule<CloudTrailInput>.DispatchKeys { get; } = ["iam.amazonaws.com"];

    public IEnumerable<Evaluation> Evaluate(CloudTrailInput input, EvaluationContext context)
    {
        if (input.Failed || input.EventSource != "iam.amazonaws.com" || input.EventName is not ("CreateLoginProfile" or "CreateAccessKey")) yield break;
        var userName = Json.Text(input.Record.RequestParameters, "userName");
        if (!ResourceKeys.Plausible(userName)) yield break;
        if (Leavers.ForName(context.Settings, userName) is not { LeftAt: { } leftAt } person) yield break;
        var from = Leavers.EffectiveFrom(leftAt);
        var at = input.ObservedAt ?? context.Now;
        if (at < from) yield break;
        var evidence = input.Evidence();
        evidence["person"] = person.Email;
        evidence["leftAt"] = leftAt.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var what = input.EventName == "CreateLoginProfile" ? "a console password" : "an access key";
        yield return new Evaluation
        {
            Rule = Metadata,
            Outcome = Outcome.Finding,
            ResourceId = ResourceKeys.IamUser(input.AccountId, userName),
            ResourceType = ResourceTypeName,
            AccountId = input.AccountId,
            Region = GlobalRegion,
            Message = $"{input.Actor} gave {userName} ({person.Email}, left {evidence["leftAt"]}) {what} after the leave date",
            ClockStart = at,
            ObservedAt = at,
            Evidence = evidence,
        };
    }

    /// <summary>
    /// What the user item says the user holds: <c>login profile</c>, <c>active access key AKIA…</c>; or, when the item
    /// carries neither field (Config's own shape), <c>an IAM user that still exists</c>.
    /// </summary>
    internal static IReadOnlyList<string> Held(JsonElement configuration)
    {
        var loginProfile = Json.Get(configuration, "loginProfile");
        var accessKeys = Json.Get(configuration, "accessKeys", "accessKeyMetadata");
        if (loginProfile.ValueKind == JsonValueKind.Undefined && accessKeys.ValueKind == JsonValueKind.Undefined)
            return ["an IAM user that still exists (Config's user item does not list passwords or keys)"];
        var held = new List<string>();
        if (loginProfile.ValueKind is JsonValueKind.Object || (loginProfile.ValueKind is JsonValueKind.String && Json.Text(loginProfile) is not null)) held.Add("a console password (login profile)");
        foreach (var key in Json.Items(accessKeys))
        {
            if (string.Equals(Json.Text(key, "status"), "Active", StringComparison.OrdinalIgnoreCase))
                held.Add($"active access key {BaselineVerdict.Clip(Json.Text(key, "accessKeyId") ?? "?", 32)}");
        }
        return held;
    }

    /// <summary>
    /// When the 24-hour window started: the end of the leave day when the user already existed then (its
    /// <c>createDate</c> is earlier: the access was held from that moment), else the capture that first shows it.
    /// </summary>
    internal static DateTimeOffset ClockStart(JsonElement configuration, DateTimeOffset from, DateTimeOffset capturedAt) =>
        DateTimeOffset.TryParse(Json.Text(configuration, "createDate"), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var created) && created <= from
            ? from
            : capturedAt;
}

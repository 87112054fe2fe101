using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Observability;

namespace IsmsServerless.Access;

/// <summary>
/// The access area's step in the store-backed pipeline: every ingested CloudTrail call is activity of the principal that
/// made it (<see cref="AccessInventory.ActingPrincipal"/>), recorded at most once a day per principal; successful IAM
/// credential calls (<c>Create/Delete/UpdateLoginProfile</c>, <c>Create/Update/DeleteAccessKey</c>,
/// <c>Enable/DeactivateMFADevice</c>) record the user's credential facts, which Config's user item does not carry.
/// Returns the input unchanged: rules never see this state.
/// </summary>
public sealed class AccessActivityRecorder(AccessActivityStore store) : IInputEnricher
{
    public async ValueTask<RuleInput> EnrichAsync(RuleInput input, EvaluationContext context, CancellationToken cancellationToken)
    {
        if (input is not CloudTrailInput call || call.ObservedAt is not { } at) return input;
        if (AccessInventory.ActingPrincipal(call) is { } principal)
            await store.RecordSeenAsync(principal, at, $"{call.EventSource}:{call.EventName}", cancellationToken).ConfigureAwait(false);
        if (CredentialFact(call) is { } fact)
        {
            await store.RecordCredentialAsync(fact.UserKey, fact.Fact, fact.Value, at, cancellationToken).ConfigureAwait(false);
            Log.Info("access.credential-recorded", ("user", fact.UserKey), ("fact", fact.Fact), ("value", fact.Value));
        }
        return input;
    }

    /// <summary>The user credential fact a successful IAM call states, or null. Pure.</summary>
    public static (string UserKey, string Fact, string Value)? CredentialFact(CloudTrailInput call)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (call.Failed || call.EventSource != "iam.amazonaws.com") return null;
        var request = call.Record.RequestParameters;
        var response = call.Record.ResponseElements;
        // Without userName the call acts on the caller's own user (an IAM user managing its own key or MFA).
        var userName = Json.Text(request, "userName") ?? Json.Text(Json.Get(response, "accessKey"), "userName")
            ?? (call.IdentityType == "IAMUser" ? call.Record.UserIdentity?.UserName : null);
        // IAM's own name rule: a slash, a space or a control character names no user (and a slash would let a hostile
        // request parameter alias another user once the key drops the path).
        if (!ResourceKeys.IamName(userName)) return null;
        var key = ResourceKeys.IamUser(call.AccountId, userName);
        string? keyId = Json.Text(request, "accessKeyId") ?? Json.Text(Json.Get(response, "accessKey"), "accessKeyId");
        string? serial = Json.Text(request, "serialNumber");
        (string, string)? fact = call.EventName switch
        {
            "CreateLoginProfile" or "UpdateLoginProfile" => ("loginProfile", "true"),
            "DeleteLoginProfile" => ("loginProfile", "false"),
            "CreateAccessKey" when Plausible(keyId) => ("key:" + keyId, Json.Text(Json.Get(response, "accessKey"), "status") ?? "Active"),
            "UpdateAccessKey" when Plausible(keyId) => ("key:" + keyId, Json.Text(request, "status") ?? "Active"),
            "DeleteAccessKey" when Plausible(keyId) => ("key:" + keyId, "Deleted"),
            "EnableMFADevice" when Plausible(serial) => ("mfa:" + serial, "Enabled"),
            "DeactivateMFADevice" when Plausible(serial) => ("mfa:" + serial, "Deactivated"),
            _ => null,
        };
        return fact is { } f ? (key, f.Item1, f.Item2) : null;
    }

    private static bool Plausible(string? id) => id is { Length: > 0 and <= 256 } && !id.Any(c => char.IsControl(c) || char.IsWhiteSpace(c));
}

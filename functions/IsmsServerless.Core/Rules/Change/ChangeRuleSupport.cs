using IsmsServerless.Changes;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Change;

/// <summary>What the three change-detection rules share: one classification, one evaluation shape.</summary>
internal static class ChangeRuleSupport
{
    /// <summary>
    /// A <c>change</c> evaluation for one call. Resource = the change record's id, so all calls of one session are
    /// one item to review; the clock starts at the call (the register keeps the earliest).
    /// </summary>
    public static IEnumerable<Evaluation> Evaluate(RuleMetadata metadata, ChangeKind kind, CloudTrailInput input, EvaluationContext context)
    {
        // Asked by three rules for every CloudTrail record: the common answer (not this kind) allocates nothing, and the
        // classification and call are built once per input (ChangeClassifier's memo).
        if (ChangeClassifier.Classify(input, context.Settings) != kind || ChangeClassifier.ToCall(input, context.Settings) is not { } call) return [];
        var evidence = input.Evidence(extra: 8);
        evidence["changeId"] = call.ChangeId;
        evidence["principal"] = call.Principal;
        evidence["changeKind"] = kind.ToWire();
        if (call.AccessKeyId is { } key) evidence["accessKeyId"] = key;
        if (call.SessionCreatedAt is { } created) evidence["sessionCreatedAt"] = Timestamps.ToWire(created);
        if (call.CallerAccountId is { } caller) evidence["callerAccountId"] = caller;
        if (call.Resources.Count > 0) evidence["resources"] = string.Join(", ", call.Resources);
        evidence["call"] = call.Resources.Count switch
        {
            0 => $"{call.Principal} called {call.ApiName}",
            1 => $"{call.Principal} called {call.ApiName} on {call.Resources[0]}",
            var n => $"{call.Principal} called {call.ApiName} on {call.Resources[0]} (+{n - 1})",
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
                // One finding per change session, so the message names the session, not this call: every call of the
                // session says the same, and the finding (its "new" alert and history included) does not depend on which
                // call arrived first. The call itself is in the evidence and in the change record's call list.
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
}

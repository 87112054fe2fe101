using System.Globalization;
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
        var resources = call.Resources;
        // Sized for exactly the lines added here (changeId, principal, changeKind and call, and the optional four).
        var evidence = input.Evidence(extra: 4 + (call.AccessKeyId is null ? 0 : 1) + (call.SessionCreatedAt is null ? 0 : 1)
            + (call.CallerAccountId is null ? 0 : 1) + (resources.Count > 0 ? 1 : 0));
        evidence["changeId"] = call.ChangeId;
        evidence["principal"] = call.Principal;
        evidence["changeKind"] = kind.ToWire();
        if (call.AccessKeyId is { } key) evidence["accessKeyId"] = key;
        if (call.SessionCreatedText is { } created) evidence["sessionCreatedAt"] = created;
        if (call.CallerAccountId is { } caller) evidence["callerAccountId"] = caller;
        // Concatenations, not interpolations (no pooled buffer per line); one resource is its own text (what Join returns).
        if (resources.Count > 0) evidence["resources"] = resources.Count == 1 ? resources[0] : string.Join(", ", resources);
        evidence["call"] = resources.Count switch
        {
            0 => string.Concat(call.Principal, " called ", call.ApiName),
            1 => string.Concat([call.Principal, " called ", call.ApiName, " on ", resources[0]]),
            var n => $"{call.Principal} called {call.ApiName} on {resources[0]} (+{n - 1})",
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
                    ? string.Concat([KindText(kind), " by ", call.Principal, " as role ", role, " (change ", call.ChangeId, DueText(context.Settings.ChangeReviewHours)])
                    : string.Concat([KindText(kind), " by ", call.Principal, " (change ", call.ChangeId, DueText(context.Settings.ChangeReviewHours)]),
                ClockStart = call.EventTime,
                ObservedAt = call.EventTime,
                Evidence = evidence,
            },
        ];
    }

    // The message's tail for the last review window asked (one setting per deployment): formatted once, not per call.
    private static DueTail? s_due;

    private sealed record DueTail(int Hours, string Text);

    /// <summary><c>$"); review due within {hours}h of the session's first call"</c>.</summary>
    internal static string DueText(int hours)
    {
        if (s_due is { } due && due.Hours == hours) return due.Text;
        var text = string.Create(CultureInfo.InvariantCulture, $"); review due within {hours}h of the session's first call");
        s_due = new DueTail(hours, text);
        return text;
    }

    public static string KindText(ChangeKind kind) => kind switch
    {
        ChangeKind.Emergency => "Emergency (break-glass) change",
        ChangeKind.ManualConsole => "Manual console change on production",
        _ => "Change outside the deployment pipeline",
    };
}

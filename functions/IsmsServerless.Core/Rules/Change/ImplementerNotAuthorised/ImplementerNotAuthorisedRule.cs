using System.Runtime.CompilerServices;
using IsmsServerless.Changes;
using IsmsServerless.Engine;
using IsmsServerless.Identity;
using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Settings;

namespace IsmsServerless.Rules.Change;

/// <summary>
/// PROC-002 "Changes are implemented by IT Team members": a registered change (manual console, out-of-pipeline or
/// emergency) whose author resolves to a person holding none of <see cref="ChangeManagementSettings.ImplementerRoles"/>
/// (default <c>it-team</c>; for an emergency change also the emergency-authorised roles and people). The deployment
/// pipeline's roles are the pipeline: their calls are no change record and are not judged. Resource = the change id, so
/// the finding sits beside the change record, and every call of the session gives the same verdict (order-free).
/// <list type="bullet">
/// <item><c>people</c> empty: nothing is judged (roles unknown; the README says so).</item>
/// <item>Author maps to no person: under <c>unmappedAuthorReview: refuse</c> a finding (the implementer cannot be shown
/// to be IT Team until the principal is mapped); under <c>allow-flagged</c> a compliant evaluation flagged
/// <c>author-unmapped</c>, as reviews of such changes are recorded flagged.</item>
/// </list>
/// </summary>
public sealed class ImplementerNotAuthorisedRule : IRule<CloudTrailInput>
{
    // Building a resolver normalises every configured principal (ICU4N); once per settings object, not per event.
    private static readonly ConditionalWeakTable<IsmsSettings, IdentityResolver> Resolvers = [];

    public RuleMetadata Metadata { get; } = new(
        Id: "change.implementer-not-authorised",
        Title: "Change implemented by someone outside the IT Team",
        Category: Category.Change,
        Severity: Severity.Medium,
        ResourceType: "AWS::::Account",
        PolicyClause: "PROC-002 Change management: \"Changes are implemented by IT Team members\"",
        Controls: [Controls.IsoChangeManagement, Controls.Soc2ChangeManagement],
        Risk: "A change made by someone outside the team that owns production escapes the people trained and accountable for it; it also hints at access wider than the policy grants.",
        Remediation: "Confirm the change with its author and the IT Director; if the person should implement changes, give them the it-team role in the policy file's people; otherwise remove their write access to production and have an IT Team member redo or revert the change.")
    {
        Sla = TimeSpan.FromDays(7),
    };

    public IEnumerable<Evaluation> Evaluate(CloudTrailInput input, EvaluationContext context) =>
        // Asked for every CloudTrail record: the common answer (nothing) is returned without allocating an iterator.
        context.Settings.People.Count == 0 ? [] : Judge(input, context);

    private IEnumerable<Evaluation> Judge(CloudTrailInput input, EvaluationContext context)
    {
        var settings = context.Settings;
        if (settings.People.Count == 0) yield break;
        // The same call (and change id) the change rules and the register use for this input: built once (ChangeClassifier).
        if (ChangeClassifier.ToCall(input, settings) is not { } call) yield break;
        var kind = call.Kind;
        var resolver = Resolvers.GetValue(settings, IdentityResolver.For);
        var verdict = ImplementerCheck.Judge(kind, resolver.ResolveName(call.Principal), resolver, settings);
        var refuse = settings.UnmappedAuthorReview == UnmappedAuthorReview.Refuse;
        var finding = verdict.State == ImplementerCheck.NotAuthorised || (verdict.State == ImplementerCheck.AuthorUnmapped && refuse);
        var evidence = input.Evidence(extra: 7);
        evidence["changeId"] = call.ChangeId;
        evidence["changeKind"] = kind.ToWire();
        evidence["principal"] = call.Principal;
        evidence["implementer"] = verdict.State;
        evidence["author"] = verdict.Author;
        evidence["authorRoles"] = string.Join(", ", verdict.AuthorRoles);
        evidence["implementerRoles"] = string.Join(", ", verdict.AllowedRoles);
        var allowed = string.Join(" or ", verdict.AllowedRoles);
        yield return new Evaluation
        {
            Rule = Metadata,
            Outcome = finding ? Outcome.Finding : Outcome.Compliant,
            ResourceId = call.ChangeId,
            ResourceType = Metadata.ResourceType,
            AccountId = input.AccountId,
            Region = input.Region,
            Message = verdict.State switch
            {
                ImplementerCheck.Authorised => $"Change {call.ChangeId} implemented by {verdict.Author} ({string.Join(", ", verdict.AuthorRoles)}): authorised",
                ImplementerCheck.NotAuthorised => $"Change {call.ChangeId} implemented by {verdict.Author}, who holds {(verdict.AuthorRoles.Count == 0 ? "no role" : string.Join(", ", verdict.AuthorRoles))}, not {allowed}",
                _ when refuse => $"Change {call.ChangeId} implemented by {verdict.Author}, who maps to no person: cannot be shown to be {allowed} (unmappedAuthorReview: refuse)",
                _ => $"Change {call.ChangeId} implemented by {verdict.Author}, who maps to no person: implementer not verified (flagged author-unmapped)",
            },
            ClockStart = call.EventTime,
            ObservedAt = call.EventTime,
            Evidence = evidence,
        };
    }
}

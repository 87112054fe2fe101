using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Observability;

namespace IsmsServerless.Engine;

/// <summary>
/// Every rule the system enforces, in one list. A test checks ids are unique and match class names.
/// To add a rule: write one class under <c>Rules/&lt;Area&gt;/</c> and add it to <see cref="CreateDefault"/>.
/// </summary>
public sealed class RuleRegistry
{
    private readonly Dictionary<string, IRule> _byId;
    // Copy-on-write: read without a lock on every input (a new input type is added under _gate, a handful of times ever).
    private Dictionary<Type, object> _byInput = [];
    private readonly Lock _gate = new();

    public RuleRegistry(IEnumerable<IRule> rules)
    {
        Rules = rules.ToArray();
        // A plain Dictionary, not a FrozenDictionary: freezing analyses the keys to pick a hashing strategy, which cost
        // ~30 ms of every cold start (measured with the cold-start harness) to speed up a lookup that is not hot.
        _byId = Rules.ToDictionary(r => r.Metadata.Id, StringComparer.Ordinal);
    }

    public IReadOnlyList<IRule> Rules { get; }

    /// <summary>
    /// Evidence key a rule sets on a deliberate <see cref="Outcome.Rejected"/> evaluation: the input has a shape the rule
    /// cannot judge (its reason is the message). Rejections without it are rule bugs (a throw, a blank identity).
    /// </summary>
    public const string InputRejectedEvidence = "inputRejected";

    /// <summary>The resource id of a rejection whose rule failed before naming one (never an empty id).</summary>
    public const string UnknownResource = "(unknown)";

    public IRule? Find(string ruleId) => _byId.GetValueOrDefault(ruleId);

    public static RuleRegistry CreateDefault() => new(DefaultRules());

    /// <summary>The registry's rule list. Grouped by area; keep each group sorted by id.</summary>
    public static IEnumerable<IRule> DefaultRules()
    {
        // drift
        yield return new Rules.Drift.ApiGatewayStageWafRule();
        yield return new Rules.Drift.ApprovedSnapshotDriftRule();
        yield return new Rules.Drift.BackupRecoveryPointEncryptionRule();
        yield return new Rules.Drift.CloudfrontDistributionWafRule();
        yield return new Rules.Drift.DefaultSecurityGroupClosedRule();
        yield return new Rules.Drift.DynamodbTableBaselineRule();
        yield return new Rules.Drift.EbsVolumeBaselineRule();
        yield return new Rules.Drift.EfsFileSystemEncryptionRule();
        yield return new Rules.Drift.ElasticacheEncryptionRule();
        yield return new Rules.Drift.IamUserBaselineRule();
        yield return new Rules.Drift.LogGroupBaselineRule();
        yield return new Rules.Drift.ManagedConfigRuleComplianceRule();
        yield return new Rules.Drift.OpensearchDomainEncryptionRule();
        yield return new Rules.Drift.RdsInstanceBaselineRule();
        yield return new Rules.Drift.RedshiftClusterEncryptionRule();
        yield return new Rules.Drift.S3BucketBaselineRule();
        yield return new Rules.Drift.S3BucketTlsRequiredRule();
        yield return new Rules.Drift.SecurityGroupBaselineRule();
        yield return new Rules.Drift.SnsTopicEncryptionRule();
        yield return new Rules.Drift.SqsQueueEncryptionRule();
        yield return new Rules.Drift.TrailBaselineRule();

        // access
        yield return new Rules.Access.ManagedAccessRuleComplianceRule();
        yield return new Rules.Access.RootAccessKeyCreatedRule();

        // patch
        yield return new Rules.Patch.InspectorVulnerabilityRule();
        yield return new Rules.Patch.InstancePatchComplianceRule();
        yield return new Rules.Patch.MissingPatchRule();
        yield return new Rules.Patch.SsmPatchComplianceItemRule();
        yield return new Rules.Patch.StalePatchScanRule();

        // change
        yield return new Rules.Change.EmergencyRoleChangeRule();
        yield return new Rules.Change.ManualConsoleChangeRule();
        yield return new Rules.Change.OutOfPipelineChangeRule();
        yield return new Rules.Change.ReviewOverdueRule();
        yield return new Rules.Change.UnauthorizedEmergencyAccessRule();
        yield return new Rules.Change.ImplementerNotAuthorisedRule();

        // duty (obligations)
        yield return new Rules.Duty.ObligationOverdueRule();

        // access (leavers)
        yield return new Rules.Access.LeaverActivityRule();
        yield return new Rules.Access.LeaverCredentialsRule();

        // access (quarterly review)
        yield return new Rules.Access.ReviewDecisionRule();

        // monitoring
        yield return new Rules.Monitoring.CloudTrailSilentRule();
        yield return new Rules.Monitoring.ConfigRecorderSilentRule();
        yield return new Rules.Monitoring.ConfigRecorderStoppedRule();
        yield return new Rules.Monitoring.ConsoleLoginWithoutMfaRule();
        yield return new Rules.Monitoring.ConsoleSignInFailureBurstRule();
        yield return new Rules.Monitoring.EventBridgeRuleDisabledRule();
        yield return new Rules.Monitoring.IamAdminActionRule();
        yield return new Rules.Monitoring.InspectorSilentRule();
        yield return new Rules.Monitoring.RootUserActivityRule();
        yield return new Rules.Monitoring.SweepNotRunRule();
        yield return new Rules.Monitoring.TrailTamperingRule();

        // backup
        yield return new Rules.Backup.ClockMissedRule();
        yield return new Rules.Backup.ContinuousBackupRule();
        yield return new Rules.Backup.CrossRegionCopyRule();
        yield return new Rules.Backup.JobFailedRule();
        yield return new Rules.Backup.ManagedRuleComplianceRule();
        yield return new Rules.Backup.NoBackupActivityRule();
        yield return new Rules.Backup.PlanBaselineRule();
        yield return new Rules.Backup.RecoveryPointEncryptedRule();
        yield return new Rules.Backup.RestoreTestRule();
        yield return new Rules.Backup.S3ReplicationRule();
        yield return new Rules.Backup.SelectionScopeRule();

        // incident, and the monitoring rules that feed it (security findings below the threshold, anti-malware)
        yield return new Rules.Incident.SecurityIncidentRule();
        yield return new Rules.Monitoring.AntiMalwareAgentRule();
        yield return new Rules.Monitoring.RuntimeCoverageUnhealthyRule();
        yield return new Rules.Monitoring.MalwareDetectedRule();
        yield return new Rules.Monitoring.MalwareProtectionDegradedRule();
        yield return new Rules.Monitoring.GuardDutyEnabledRule();
        yield return new Rules.Monitoring.SecurityFindingRule();
    }

    /// <summary>
    /// Runs every rule for <typeparamref name="TInput"/>. A rule that throws is a bug, not bad input: it is logged
    /// and reported as a rejected evaluation for that rule, and the other rules still run.
    /// </summary>
    public IEnumerable<Evaluation> Evaluate<TInput>(TInput input, EvaluationContext context) where TInput : RuleInput
    {
        // The first rule's output that is a list already (most rules return an array or a collection expression, and most
        // inputs get output from one rule) is the result as it is: a list of our own is made only for a second rule's
        // output or a lazy one (enumerated into it inside the try, so what a throwing iterator yielded is kept, as before).
        IReadOnlyList<Evaluation>? first = null;
        List<Evaluation>? results = null;
        foreach (var rule in RulesFor(input))
        {
            var before = results?.Count ?? 0;
            try
            {
                var produced = rule.Evaluate(input, context);
                if (results is null && produced is IReadOnlyList<Evaluation> list)
                {
                    if (list.Count == 0) continue;
                    if (first is null)
                    {
                        first = list;
                        LogRejected(rule, list, 0);
                        continue;
                    }
                }
                if (results is null)
                {
                    results = first is null ? [] : new List<Evaluation>(first);
                    before = results.Count;
                }
                results.AddRange(produced);
                // A rule that rejects its input (a shape it cannot judge) says why; the rejection is logged here, once.
                LogRejected(rule, results, before);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Log.Error("rule.failed", ex, ("ruleId", rule.Metadata.Id), ("input", typeof(TInput).Name));
                results ??= first is null ? [] : new List<Evaluation>(first);
                results.Add(new Evaluation
                {
                    Rule = rule.Metadata,
                    Outcome = Outcome.Rejected,
                    ResourceId = UnknownResource,
                    AccountId = input.AccountId,
                    Region = input.Region,
                    Message = $"rule {rule.Metadata.Id} failed: {ex.GetType().Name}",
                });
            }
        }
        return results ?? first ?? [];

        static void LogRejected(IRule<TInput> rule, IReadOnlyList<Evaluation> results, int from)
        {
            for (var i = from; i < results.Count; i++)
            {
                if (results[i].Outcome == Outcome.Rejected)
                    Log.Warn("rule.rejected-input", ("ruleId", rule.Metadata.Id), ("input", typeof(TInput).Name), ("error", results[i].Message));
            }
        }
    }

    /// <summary>
    /// The rules for this input: every rule for its type, less the keyed rules (<see cref="IKeyedRule{TInput}"/>) whose
    /// keys do not include the input's <see cref="RuleInput.DispatchKey"/>. Only keys some rule declares get a list of
    /// their own; any other key (attacker-chosen text) shares the unkeyed rules' list, so the cache stays bounded.
    /// </summary>
    private IRule<TInput>[] RulesFor<TInput>(TInput input) where TInput : RuleInput
    {
        // The dispatch this registry made for the type last is one static read away (a process has one registry; tests that
        // make several find theirs in the table when another was last).
        var dispatch = LastDispatch<TInput>.Value is { } last && ReferenceEquals(last.Owner, this) ? last : DispatchFor<TInput>();
        if (!KeyedDispatch) return dispatch.All;
        return input.DispatchKey is { } key && dispatch.ByKey.TryGetValue(key, out var keyed) ? keyed : dispatch.Unkeyed;
    }

    private Dispatch<TInput> DispatchFor<TInput>() where TInput : RuleInput
    {
        if (!Volatile.Read(ref _byInput).TryGetValue(typeof(TInput), out var cached))
        {
            lock (_gate)
            {
                if (!_byInput.TryGetValue(typeof(TInput), out cached))
                {
                    cached = new Dispatch<TInput>(this, Rules.OfType<IRule<TInput>>().ToArray());
                    Volatile.Write(ref _byInput, new Dictionary<Type, object>(_byInput) { [typeof(TInput)] = cached });
                }
            }
        }
        var dispatch = (Dispatch<TInput>)cached;
        LastDispatch<TInput>.Value = dispatch;
        return dispatch;
    }

    /// <summary>The dispatch of the registry that dispatched a <typeparamref name="TInput"/> last (any registry's: its owner says which).</summary>
    private static class LastDispatch<TInput> where TInput : RuleInput
    {
        public static Dispatch<TInput>? Value;
    }

    /// <summary>
    /// Whether keyed rules are skipped for other keys (default). Off only in tests that compare the two, to show the keys
    /// change no outcome.
    /// </summary>
    public bool KeyedDispatch { get; init; } = true;

    private sealed class Dispatch<TInput> where TInput : RuleInput
    {
        public Dispatch(RuleRegistry owner, IRule<TInput>[] all)
        {
            Owner = owner;
            All = all;
            Unkeyed = [.. all.Where(r => r is not IKeyedRule<TInput>)];
            var keys = all.OfType<IKeyedRule<TInput>>().SelectMany(r => r.DispatchKeys).Distinct(StringComparer.Ordinal);
            // Registration order is kept within every list (rules' outputs come out in the registry's order).
            ByKey = keys.ToDictionary(k => k, k => all.Where(r => r is not IKeyedRule<TInput> keyed || keyed.DispatchKeys.Contains(k, StringComparer.Ordinal)).ToArray(), StringComparer.Ordinal);
        }

        public RuleRegistry Owner { get; }
        public IRule<TInput>[] All { get; }
        public IRule<TInput>[] Unkeyed { get; }
        public Dictionary<string, IRule<TInput>[]> ByKey { get; }
    }
}

using Amazon.SimpleSystemsManagement;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Observability;
using IsmsServerless.Rules.Patch;

namespace IsmsServerless.Sweep.Patch;

/// <summary>
/// The scheduled Systems Manager patch sweep: reads the fleet's patch inventory, runs the same patch rules as the event
/// path (stale scans, instance compliance, per-patch findings), resolves per-patch findings whose patch a fresh, complete
/// scan no longer reports missing, and records everything in the ledger.
/// </summary>
/// <param name="source">Where the inventory comes from (<see cref="SsmPatchInventorySource"/> in production).</param>
/// <param name="accountId">The account swept; SSM responses do not name it, and the finding identity needs it.</param>
/// <param name="region">The region swept.</param>
/// <param name="registry">The rules; the default registry unless a test supplies one.</param>
public sealed class SsmPatchSweepStep(IPatchInventorySource source, string accountId, string region, RuleRegistry? registry = null) : ISweepStep
{
    private readonly RuleRegistry _registry = registry ?? RuleRegistry.CreateDefault();

    public string Name => "ssm-patch";

    /// <summary>
    /// The step as a Lambda runs it: the SDK's default client (region and credentials from the function's environment),
    /// the region from <c>AWS_REGION</c> and the account from <c>ISMS_ACCOUNT_ID</c> (the stack sets it).
    /// </summary>
    /// <summary>Set to <c>1</c> by the stack on the function granted SSM patch-inventory read.</summary>
    public const string EnabledVariable = "ISMS_SSM_PATCH_SWEEP";

    public static IEnumerable<ISweepStep> FromEnvironmentIfConfigured()
    {
        // Only the sweep Lambda runs this step: the stack sets ISMS_SSM_PATCH_SWEEP=1 on it together with the SSM read
        // grant (and ISMS_ACCOUNT_ID, which the heartbeat step also uses, so it cannot be the switch). A local
        // ./isms sweep against DynamoDB Local has no SSM to ask and skips the step rather than fail on it.
        if (System.Environment.GetEnvironmentVariable(EnabledVariable) != "1") yield break;
        yield return FromEnvironment();
    }

    public static SsmPatchSweepStep FromEnvironment(IAmazonSimpleSystemsManagement? client = null)
    {
        var region = System.Environment.GetEnvironmentVariable("AWS_REGION");
        var account = System.Environment.GetEnvironmentVariable("ISMS_ACCOUNT_ID");
        if (string.IsNullOrWhiteSpace(region) || string.IsNullOrWhiteSpace(account))
            throw new InvalidOperationException("AWS_REGION and ISMS_ACCOUNT_ID must be set for the SSM patch sweep (the stack sets both)");
        return new SsmPatchSweepStep(new SsmPatchInventorySource(client ?? new AmazonSimpleSystemsManagementClient()), account, region);
    }

    /// <summary>Reads the inventory and evaluates it, without the ledger (what <c>RunAsync</c> records, minus reconciliation).</summary>
    public async Task<(PatchInventory Inventory, IReadOnlyList<Evaluation> Evaluations)> EvaluateAsync(EvaluationContext context, CancellationToken cancellationToken)
    {
        var inventory = await source.ReadAsync(cancellationToken).ConfigureAwait(false);
        var inputs = PatchSweepInputs.Build(inventory, accountId, region, context.Now, TimeSpan.FromDays(context.Settings.PatchScanMaxAgeDays));
        var evaluations = inputs.SelectMany(i => i.Dispatch(_registry, context)).ToList();
        return (inventory, evaluations);
    }

    public async Task<SweepStepResult> RunAsync(SweepContext context, CancellationToken cancellationToken)
    {
        var (inventory, evaluations) = await EvaluateAsync(context.Evaluation, cancellationToken).ConfigureAwait(false);
        var all = evaluations.ToList();
        all.AddRange(await ResolveNoLongerMissingAsync(inventory, evaluations, context, cancellationToken).ConfigureAwait(false));
        var written = await context.RecordAsync(all, Name, cancellationToken).ConfigureAwait(false);
        var findings = all.Count(e => e.Outcome == Outcome.Finding);
        Log.Info("ssm-sweep.done", ("nodes", inventory.Nodes.Count), ("findings", findings), ("resolved", written.Resolved), ("problems", inventory.Problems.Count));
        // A sweep that could not list the fleet is blind, and a blind sweep that reports success is silence claiming
        // compliance. What it did read is recorded above; the step then fails so the sweep's error metric shows it.
        if (!inventory.NodeListComplete)
            throw new InvalidOperationException("SSM patch sweep could not list the managed nodes: " + string.Join("; ", inventory.Problems));
        return new SweepStepResult(Name, inventory.Nodes.Count, findings, written.Resolved, inventory.Problems);
    }

    /// <summary>
    /// SSM lists only what is missing now, so a patch installed since the last sweep simply disappears. For each node with
    /// a fresh scan whose patch list was read completely, every open <c>patch.missing-patch</c> finding on it that the
    /// scan no longer lists is resolved (a compliant evaluation with the same identity). Stale or incomplete nodes are
    /// left alone: silence resolves nothing.
    /// </summary>
    internal async Task<IReadOnlyList<Evaluation>> ResolveNoLongerMissingAsync(PatchInventory inventory, IReadOnlyList<Evaluation> evaluations, SweepContext context, CancellationToken cancellationToken)
    {
        if (_registry.Find("patch.missing-patch") is not MissingPatchRule rule) return [];
        var freshNodes = evaluations
            .Where(e => e.Rule.Id == "patch.stale-patch-scan" && e.Outcome == Outcome.Compliant && !inventory.IncompleteNodes.Contains(e.ResourceId))
            .Select(e => e.ResourceId).ToHashSet(StringComparer.Ordinal);
        var stillMissing = evaluations.Where(e => e.Rule.Id == rule.Metadata.Id && e.Outcome == Outcome.Finding)
            .Select(e => (e.ResourceId, e.SubKey)).ToHashSet();
        var reported = evaluations.Where(e => e.Rule.Id == rule.Metadata.Id).Select(e => (e.ResourceId, e.SubKey)).ToHashSet();
        var scanTimes = inventory.States.GroupBy(s => s.InstanceId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Max(s => s.OperationEndTime), StringComparer.Ordinal);
        var resolutions = new List<Evaluation>();
        foreach (var node in freshNodes)
        {
            string? cursor = null;
            do
            {
                var page = await context.Ledger.QueryByResourceAsync(node, 100, cursor, cancellationToken).ConfigureAwait(false);
                foreach (var finding in page.Items)
                {
                    if (finding.RuleId != rule.Metadata.Id || finding.Status == FindingStatus.Resolved) continue;
                    if (finding.AccountId != accountId || finding.Region != region) continue;
                    if (stillMissing.Contains((node, finding.SubKey)) || reported.Contains((node, finding.SubKey))) continue;
                    var scanned = scanTimes.GetValueOrDefault(node);
                    resolutions.Add(new Evaluation
                    {
                        Rule = rule.Metadata,
                        Outcome = Outcome.Compliant,
                        ResourceId = node,
                        ResourceType = finding.ResourceType,
                        AccountId = accountId,
                        Region = region,
                        SubKey = finding.SubKey,
                        Message = $"patch {finding.SubKey} is no longer reported missing on {node} by the scan of {(scanned is { } t ? Timestamps.ToWire(t) : "unknown time")}",
                        ObservedAt = scanned,
                        Evidence = new Dictionary<string, string>(StringComparer.Ordinal) { ["origin"] = PatchSweepInputs.Origin, ["reason"] = "absent-from-fresh-scan" },
                    });
                }
                cursor = page.NextCursor;
            }
            while (cursor is not null);
        }
        return resolutions;
    }
}

using System.Globalization;
using IsmsServerless.Inputs;

namespace IsmsServerless.Sweep.Patch;

/// <summary>
/// Turns a swept inventory into the same normalized inputs the event path builds, so the same rules judge them and
/// the findings share identities with the event path (rule id, account, region, instance id, patch id).
/// </summary>
public static class PatchSweepInputs
{
    public const string Origin = "ssm-sweep";

    /// <summary>
    /// Inputs for every node. A node's patch state counts as fresh when its last operation is at most
    /// <paramref name="maxScanAge"/> old; a stale or absent state never yields a compliant verdict (silence proves nothing),
    /// though what it says is missing is still reported.
    /// </summary>
    public static IReadOnlyList<RuleInput> Build(PatchInventory inventory, string accountId, string region, DateTimeOffset now, TimeSpan maxScanAge)
    {
        var inputs = new List<RuleInput>();
        var states = inventory.States.GroupBy(s => s.InstanceId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderByDescending(s => s.OperationEndTime).First(), StringComparer.Ordinal);
        var patches = inventory.Patches.ToLookup(p => p.InstanceId, StringComparer.Ordinal);
        foreach (var node in inventory.Nodes.DistinctBy(n => n.InstanceId, StringComparer.Ordinal))
        {
            states.TryGetValue(node.InstanceId, out var state);
            inputs.Add(new PatchScanStatusInput
            {
                AccountId = accountId,
                Region = region,
                ObservedAt = now,
                InstanceId = node.InstanceId,
                LastOperationEndedAt = state?.OperationEndTime,
                LastOperation = state?.Operation,
                RegisteredAt = node.RegisteredAt,
                PingStatus = node.PingStatus,
                Platform = string.IsNullOrEmpty(node.PlatformName) ? node.PlatformType : node.PlatformName,
            });
            if (state is null || string.Equals(node.PingStatus, "Inactive", StringComparison.OrdinalIgnoreCase)) continue;
            var fresh = state.OperationEndTime is { } end && now - end <= maxScanAge;
            if (state.NonCompliant || fresh)
            {
                inputs.Add(new InstancePatchComplianceInput
                {
                    AccountId = accountId,
                    Region = region,
                    ObservedAt = state.OperationEndTime ?? now,
                    InstanceId = node.InstanceId,
                    Compliant = !state.NonCompliant,
                    SeverityText = state.CriticalNonCompliantCount > 0 ? "CRITICAL" : state.SecurityNonCompliantCount > 0 ? "HIGH" : state.NonCompliant ? "MEDIUM" : null,
                    BaselineId = state.BaselineId,
                    Origin = Origin,
                    NonCompliantSince = state.NonCompliant ? state.OperationEndTime : null,
                    Counts = Counts(state),
                });
            }
            foreach (var patch in patches[node.InstanceId])
            {
                var nonCompliant = SsmPatchInventorySource.NonCompliantStates.Contains(patch.State, StringComparer.OrdinalIgnoreCase);
                // An installed state read from an old scan is not evidence of compliance today.
                if (!nonCompliant && !fresh) continue;
                inputs.Add(new MissingPatchInput
                {
                    AccountId = accountId,
                    Region = region,
                    ObservedAt = state.OperationEndTime ?? now,
                    InstanceId = node.InstanceId,
                    PatchId = patch.PatchId,
                    Title = patch.Title,
                    Classification = patch.Classification,
                    SeverityText = patch.Severity,
                    State = patch.State,
                    CveIds = patch.CveIds,
                    ReleaseDate = patch.ReleaseDate,
                    ObservedMissingAt = state.OperationEndTime,
                    Origin = Origin,
                });
            }
        }
        return inputs;
    }

    private static Dictionary<string, string> Counts(NodePatchState state) => new(StringComparer.Ordinal)
    {
        ["missingCount"] = state.MissingCount.ToString(CultureInfo.InvariantCulture),
        ["failedCount"] = state.FailedCount.ToString(CultureInfo.InvariantCulture),
        ["installedPendingRebootCount"] = state.InstalledPendingRebootCount.ToString(CultureInfo.InvariantCulture),
        ["installedRejectedCount"] = state.InstalledRejectedCount.ToString(CultureInfo.InvariantCulture),
        ["criticalNonCompliantCount"] = state.CriticalNonCompliantCount.ToString(CultureInfo.InvariantCulture),
        ["securityNonCompliantCount"] = state.SecurityNonCompliantCount.ToString(CultureInfo.InvariantCulture),
    };
}

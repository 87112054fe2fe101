using Amazon.Runtime;
using Amazon.SimpleSystemsManagement;
using Amazon.SimpleSystemsManagement.Model;
using IsmsServerless.Model;
using IsmsServerless.Observability;

namespace IsmsServerless.Sweep.Patch;

/// <summary>
/// Pages <c>DescribeInstanceInformation</c>, <c>DescribeInstancePatchStates</c> (50 nodes a call) and
/// <c>DescribeInstancePatches</c> (State = Missing, Failed, InstalledPendingReboot, InstalledRejected) through the SDK,
/// which retries throttling with backoff. Paging is bounded: a NextToken that repeats or never ends stops the read
/// with a problem recorded, never a loop. A node whose patches cannot be read is marked incomplete rather than
/// assumed clean.
/// </summary>
/// <remarks>
/// Release dates: <c>PatchComplianceData</c> carries none, so <see cref="NodePatch.ReleaseDate"/> stays null here and the
/// missing-patch clock starts at the scan that saw the patch missing. Needs ssm:DescribeInstanceInformation,
/// ssm:DescribeInstancePatchStates and ssm:DescribeInstancePatches, nothing else.
/// </remarks>
public sealed class SsmPatchInventorySource(IAmazonSimpleSystemsManagement ssm) : IPatchInventorySource
{
    /// <summary>Pages read per listing before we call the paging broken (50 × 1000 nodes is far beyond any fleet here).</summary>
    public const int MaxPages = 1000;

    /// <summary>Longest patch id kept as a finding's sub-key (Linux ids are name.arch:epoch:version-release, well under this).</summary>
    public const int MaxPatchIdLength = 256;

    /// <summary>The states that make a patch non-compliant, as the DescribeInstancePatches filter values.</summary>
    public static IReadOnlyList<string> NonCompliantStates { get; } = ["Missing", "Failed", "InstalledPendingReboot", "InstalledRejected"];

    public async Task<PatchInventory> ReadAsync(CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var nodes = new List<ManagedNode>();
        var nodesComplete = await PageAsync("DescribeInstanceInformation", async token =>
        {
            var response = await ssm.DescribeInstanceInformationAsync(new DescribeInstanceInformationRequest { MaxResults = 50, NextToken = token }, cancellationToken).ConfigureAwait(false);
            foreach (var info in response.InstanceInformationList ?? [])
            {
                if (string.IsNullOrWhiteSpace(info.InstanceId)) continue;
                nodes.Add(new ManagedNode(info.InstanceId, info.PingStatus?.Value ?? "", info.PlatformType?.Value ?? "", info.PlatformName ?? "", ToUtc(info.RegistrationDate)));
            }
            return response.NextToken;
        }, problems).ConfigureAwait(false);

        var states = new List<NodePatchState>();
        foreach (var batch in nodes.Select(n => n.InstanceId).Distinct(StringComparer.Ordinal).Chunk(50))
        {
            await PageAsync("DescribeInstancePatchStates", async token =>
            {
                var response = await ssm.DescribeInstancePatchStatesAsync(new DescribeInstancePatchStatesRequest { InstanceIds = [.. batch], MaxResults = 50, NextToken = token }, cancellationToken).ConfigureAwait(false);
                foreach (var s in response.InstancePatchStates ?? [])
                {
                    if (string.IsNullOrWhiteSpace(s.InstanceId)) continue;
                    states.Add(new NodePatchState(s.InstanceId, s.BaselineId, s.Operation?.Value, ToUtc(s.OperationEndTime),
                        s.MissingCount ?? 0, s.FailedCount ?? 0, s.InstalledPendingRebootCount ?? 0, s.InstalledRejectedCount ?? 0,
                        s.CriticalNonCompliantCount ?? 0, s.SecurityNonCompliantCount ?? 0, s.OtherNonCompliantCount ?? 0));
                }
                return response.NextToken;
            }, problems).ConfigureAwait(false);
        }

        var patches = new List<NodePatch>();
        var incomplete = new HashSet<string>(StringComparer.Ordinal);
        foreach (var state in states)
        {
            // A node with nothing non-compliant has no patches to list; skipping it saves one call per healthy node.
            if (!state.NonCompliant) continue;
            var complete = await PageAsync($"DescribeInstancePatches {state.InstanceId}", async token =>
            {
                var response = await ssm.DescribeInstancePatchesAsync(new DescribeInstancePatchesRequest
                {
                    InstanceId = state.InstanceId,
                    Filters = [new PatchOrchestratorFilter { Key = "State", Values = [.. NonCompliantStates] }],
                    MaxResults = 100,
                    NextToken = token,
                }, cancellationToken).ConfigureAwait(false);
                foreach (var p in response.Patches ?? [])
                {
                    var id = string.IsNullOrWhiteSpace(p.KBId) ? p.Title : p.KBId;
                    if (string.IsNullOrWhiteSpace(id)) continue;
                    if (id.Length > MaxPatchIdLength || id.Any(char.IsControl))
                    {
                        // Patch metadata comes from the instance's package manager: bounded before it becomes a key.
                        problems.Add($"DescribeInstancePatches {state.InstanceId}: skipped a patch whose id is not usable ({id.Length} characters)");
                        continue;
                    }
                    patches.Add(new NodePatch(state.InstanceId, id.Trim(), p.Title ?? "", p.Classification ?? "", p.Severity ?? "", p.State?.Value ?? "",
                        SplitCves(p.CVEIds), null));
                }
                return response.NextToken;
            }, problems).ConfigureAwait(false);
            if (!complete) incomplete.Add(state.InstanceId);
        }
        return new PatchInventory(nodes, states, patches, problems) { IncompleteNodes = incomplete, NodeListComplete = nodesComplete };
    }

    /// <summary>Calls <paramref name="page"/> until it returns no token. False (with a problem noted) when paging broke or a call failed.</summary>
    private static async Task<bool> PageAsync(string what, Func<string?, Task<string?>> page, List<string> problems)
    {
        string? token = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var pages = 0; pages < MaxPages; pages++)
        {
            try
            {
                token = await page(token).ConfigureAwait(false);
            }
            catch (AmazonServiceException ex)
            {
                // After the SDK's own retries (throttling included): note it and go on with what we have.
                problems.Add($"{what}: {ex.ErrorCode ?? ex.GetType().Name} ({(int)ex.StatusCode}): {ex.Message}");
                Log.Warn("ssm-sweep.call-failed", ("call", what), ("errorCode", ex.ErrorCode), ("status", (int)ex.StatusCode));
                return false;
            }
            if (string.IsNullOrEmpty(token)) return true;
            if (!seen.Add(token))
            {
                problems.Add($"{what}: NextToken repeated after {pages + 1} pages; stopped");
                Log.Warn("ssm-sweep.paging-loop", ("call", what), ("pages", pages + 1));
                return false;
            }
        }
        problems.Add($"{what}: more than {MaxPages} pages; stopped");
        return false;
    }

    private static List<string> SplitCves(string? cves) =>
        string.IsNullOrWhiteSpace(cves) ? [] : [.. cves.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(50)];

    /// <summary>SDK times as UTC instants; SSM's 1970 "never" sentinel and other out-of-range values become null.</summary>
    internal static DateTimeOffset? ToUtc(DateTime? value)
    {
        if (value is not { } v) return null;
        var utc = v.Kind switch
        {
            DateTimeKind.Local => v.ToUniversalTime(),
            DateTimeKind.Unspecified => DateTime.SpecifyKind(v, DateTimeKind.Utc),
            _ => v,
        };
        return Timestamps.TryParse(Timestamps.ToWire(new DateTimeOffset(utc, TimeSpan.Zero)), out var parsed) ? parsed : null;
    }
}

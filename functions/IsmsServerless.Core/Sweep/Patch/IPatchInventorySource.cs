namespace IsmsServerless.Sweep.Patch;

/// <summary>One node registered with Systems Manager (<c>DescribeInstanceInformation</c>).</summary>
public sealed record ManagedNode(string InstanceId, string PingStatus, string PlatformType, string PlatformName, DateTimeOffset? RegisteredAt);

/// <summary>A node's patch summary (<c>DescribeInstancePatchStates</c>): the last operation and its counts.</summary>
public sealed record NodePatchState(
    string InstanceId,
    string? BaselineId,
    string? Operation,
    DateTimeOffset? OperationEndTime,
    int MissingCount,
    int FailedCount,
    int InstalledPendingRebootCount,
    int InstalledRejectedCount,
    int CriticalNonCompliantCount,
    int SecurityNonCompliantCount,
    int OtherNonCompliantCount)
{
    /// <summary>SSM counts a node non-compliant when any patch is missing, failed, pending reboot or rejected-but-installed.</summary>
    public bool NonCompliant => MissingCount + FailedCount + InstalledPendingRebootCount + InstalledRejectedCount > 0;
}

/// <summary>One patch's state on one node (<c>DescribeInstancePatches</c>' <c>PatchComplianceData</c>).</summary>
public sealed record NodePatch(
    string InstanceId,
    string PatchId,
    string Title,
    string Classification,
    string Severity,
    string State,
    IReadOnlyList<string> CveIds,
    DateTimeOffset? ReleaseDate);

/// <summary>Everything one sweep read, and what it could not read (so silence is never mistaken for compliance).</summary>
public sealed record PatchInventory(
    IReadOnlyList<ManagedNode> Nodes,
    IReadOnlyList<NodePatchState> States,
    IReadOnlyList<NodePatch> Patches,
    IReadOnlyList<string> Problems)
{
    /// <summary>Nodes whose patch list could not be read completely; their missing patches are not reconciled.</summary>
    public IReadOnlySet<string> IncompleteNodes { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>False when the managed-node listing itself failed: the sweep saw only part of the fleet (or none of it).</summary>
    public bool NodeListComplete { get; init; } = true;
}

/// <summary>
/// Reads the fleet's patch inventory. The production source pages the SSM API
/// (<see cref="SsmPatchInventorySource"/>); the interface keeps the sweep step testable and the SDK at the edge.
/// </summary>
public interface IPatchInventorySource
{
    Task<PatchInventory> ReadAsync(CancellationToken cancellationToken);
}

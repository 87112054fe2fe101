namespace IsmsServerless.Changes;

/// <summary>
/// How a manual change was folded back into code (Qwestly: "Document any manual changes and update the code
/// accordingly"): the reviewer linked the commit or pull request, marked it reverted, or the CloudFormation stack drift
/// rule reported the named stack in sync after the change's last call.
/// </summary>
/// <param name="How"><see cref="CodeLink"/>, <see cref="Reverted"/> or <see cref="StackInSync"/>.</param>
/// <param name="By">Who closed it: a person's e-mail, or the Config rule for <see cref="StackInSync"/>.</param>
/// <param name="At">When (the review, the reconciliation, or Config's result time).</param>
public sealed record ChangeClosure(string How, string By, DateTimeOffset At)
{
    /// <summary>The commit or pull-request URL (<see cref="CodeLink"/>).</summary>
    public string? Link { get; init; }

    /// <summary>The CloudFormation stack whose drift check closed it (<see cref="StackInSync"/>).</summary>
    public string? Stack { get; init; }

    public const string CodeLink = "code-link";
    public const string Reverted = "reverted";
    public const string StackInSync = "stack-in-sync";
}

/// <summary>A reconciliation as the CLI or the status page submits it (after the review, or with it).</summary>
/// <param name="CodeLink">The commit or pull request that brought the infrastructure code in line.</param>
/// <param name="Reverted">The change was undone instead.</param>
/// <param name="Stack">The CloudFormation stack (name or ARN) whose drift check should close it when in sync.</param>
public sealed record ReconcileRequest(string ChangeId, string Actor, string? CodeLink = null, bool Reverted = false, string? Stack = null,
    string? ActorSubject = null, string? ActorEmail = null);

/// <summary>The stack drift rule's latest verdict on one stack (<c>account/region/name</c>).</summary>
public sealed record StackSyncState(string Stack, string ComplianceType, DateTimeOffset At)
{
    public bool InSync => ComplianceType == "COMPLIANT";
}

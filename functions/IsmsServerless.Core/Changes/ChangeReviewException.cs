namespace IsmsServerless.Changes;

public enum ChangeReviewError
{
    /// <summary>No change with that id.</summary>
    NotFound,
    /// <summary>A field is missing or malformed (verdict, ticket URL, reviewer, note).</summary>
    Invalid,
    /// <summary>Four-eyes: the reviewer made the change.</summary>
    SelfReview,
    /// <summary>The change already has a review (reviews are immutable evidence).</summary>
    AlreadyReviewed,
    /// <summary>The record kept changing under concurrent writes; try again.</summary>
    Conflict,
    /// <summary>Identity: the author or reviewer maps to no person where the settings require one.</summary>
    UnmappedIdentity,
    /// <summary>Approval matrix: the approver holds none of the roles the change still needs, or already approved it.</summary>
    NotAnApprover,
    /// <summary>Code reconciliation: the change is not reviewed yet, needs none, or is already closed.</summary>
    NotReconcilable,
}

/// <summary>A review the service refused, with a reason fit to show the reviewer (status page, CLI).</summary>
public sealed class ChangeReviewException(ChangeReviewError error, string message) : Exception(message)
{
    public ChangeReviewError Error { get; } = error;
}

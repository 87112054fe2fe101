using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Rules.Backup;

/// <summary>
/// Backups must also live in another AWS region. A copy job that FAILED/ABORTED/EXPIRED, or that COMPLETED into a vault
/// in the same region as its source, leaves the resource with no off-region copy; a COMPLETED copy into another region
/// resolves the finding. Off when <c>backup.copyRegionRequired</c> is false.
/// </summary>
public sealed class CrossRegionCopyRule : IRule<BackupJobInput>
{
    public RuleMetadata Metadata { get; } = new(
        Id: "backup.cross-region-copy",
        Title: "No backup copy in another AWS region",
        Category: Category.Backup,
        Severity: Severity.High,
        ResourceType: "AWS::Backup::CopyJob",
        PolicyClause: BackupPolicy.OtherRegion,
        Controls: BackupPolicy.Controls,
        Risk: "A regional outage or a compromised account region takes the data and its only backups together.",
        Remediation: "Add a copy action to the backup plan rule with a destination vault in another region (`CopyActions[].DestinationBackupVaultArn`), and grant the backup role the destination vault's KMS key.")
    {
        Sla = TimeSpan.FromDays(2),
    };

    public IEnumerable<Evaluation> Evaluate(BackupJobInput input, EvaluationContext context)
    {
        if (input.Kind != BackupJobKind.Copy || !context.Settings.Backup.CopyRegionRequired || !(input.IsFailure || input.IsSuccess)) yield break;
        var source = BackupJobInput.RegionOf(input.SourceVaultArn) ?? input.Region;
        var destination = BackupJobInput.RegionOf(input.DestinationVaultArn);
        var evidence = BackupPolicy.Evidence(input);
        evidence["sourceRegion"] = source;
        if (destination is not null) evidence["destinationRegion"] = destination;
        string? problem = input.IsFailure ? $"copy job {input.JobId} ended {input.State}: {input.StatusMessage ?? "no status message"}"
            : destination is null ? $"copy job {input.JobId} completed but names no destination vault region"
            : string.Equals(destination, source, StringComparison.Ordinal) ? $"copy job {input.JobId} completed into a vault in {destination}, the same region as the source"
            : null;
        yield return new Evaluation
        {
            Rule = Metadata,
            Outcome = problem is null ? Outcome.Compliant : Outcome.Finding,
            ResourceId = input.ResourceArn,
            ResourceType = input.ResourceType,
            AccountId = input.AccountId,
            Region = input.Region,
            Message = problem is null
                ? $"Backup of {input.ResourceArn} copied from {source} to {destination}"
                : $"No off-region backup copy of {input.ResourceArn}: {problem}",
            ClockStart = problem is null ? null : input.CompletedAt ?? input.ObservedAt,
            ObservedAt = input.ObservedAt,
            Evidence = evidence,
        };
    }
}

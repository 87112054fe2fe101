using IsmsServerless.Model;

namespace IsmsServerless.Obligations;

/// <summary>
/// The constant texts of one obligation kind (quoted policy clause, evidence expected, controls, and the page the link
/// points at), kept here once instead of on every item (issue 20: an obligation item carrying them was ~1.1 KB, two
/// write units per write; without them it is under 1 KB). An item written with a template stores only its
/// <see cref="Id"/> (<c>texts</c>) and is hydrated on read; items that name none keep their texts (older items, and
/// kinds or texts without a template) and read as they were written.
/// </summary>
/// <param name="Id"><c>&lt;kind&gt;#&lt;n&gt;</c>, stored on the item.</param>
/// <param name="LinkPath">The link relative to the status page (<c>{subject}</c> replaced by the obligation's subject),
/// or null when the kind's link is not derived (stored as given).</param>
public sealed record ObligationTemplate(string Id, string Kind, string PolicyClause, string EvidenceExpected, IReadOnlyList<string> Controls, string? LinkPath)
{
    /// <summary>The link this template gives an obligation of <paramref name="subject"/> on the page at <paramref name="statusPageUrl"/>.</summary>
    public string? LinkFor(string statusPageUrl, string subject) =>
        LinkPath is null ? null : statusPageUrl.TrimEnd('/') + LinkPath.Replace("{subject}", subject, StringComparison.Ordinal);
}

/// <summary>
/// Every obligation template ever written. <b>Append-only</b>: a stored item names its template by id and is hydrated
/// from it for as long as the table keeps it (obligations are audit evidence, never expired), so an entry's texts must
/// never change. To change a kind's texts, add a new entry (<c>#2</c>) and point the kind's spec at it; the old entry
/// stays for the items written with it. <c>ObligationTemplateTests</c> pins each entry's texts by hash.
/// </summary>
public static class ObligationTemplates
{
    public static readonly ObligationTemplate ChangeReview = new(
        "change.review#1",
        "change.review",
        "Qwestly Operations Security Policy, Emergency Changes: \"Document and review all emergency changes within 24 hours\"",
        "the review: verdict and the ticket documenting the change",
        [Controls.IsoChangeManagement, Controls.IsoDocumentedProcedures, Controls.Soc2ChangeManagement],
        "/changes/{subject}");

    public static readonly ObligationTemplate ChangeCodeUpdate = new(
        "change.code-update#1",
        "change.code-update",
        "Qwestly Operations Security Policy, Infrastructure as Code: \"Document any manual changes and update the code accordingly\"",
        "the commit or pull request that brought the infrastructure code in line, or the revert",
        [Controls.IsoChangeManagement, Controls.IsoConfiguration, Controls.Soc2ChangeManagement],
        "/changes/{subject}");

    public static readonly ObligationTemplate ChangeImplementationCheck = new(
        "change.implementation-check#1",
        "change.implementation-check",
        "PROC-002 Change management: \"The IT Director checks the implementation\"",
        "the ticket or pull request where the IT Director recorded the check of the implemented change",
        [Controls.IsoChangeManagement, Controls.Soc2ChangeManagement],
        "/changes/{subject}");

    public static readonly ObligationTemplate BackupDaily = new(
        "backup.daily#1",
        "backup.daily",
        "Qwestly Operations Security Policy, Backup and Recovery: \"Daily automated backups of all critical data\"",
        "a COMPLETED AWS Backup job for the resource (closes it automatically)",
        BackupControls,
        null);

    public static readonly ObligationTemplate BackupCopy = new(
        "backup.copy#1",
        "backup.copy",
        "Qwestly Operations Security Policy, Backup and Recovery: \"Store backups in different AWS region than primary\"",
        "a COMPLETED AWS Backup copy job into a vault in another region (closes it automatically)",
        BackupControls,
        null);

    public static readonly ObligationTemplate BackupRestoreTest = new(
        "backup.restore-test#1",
        "backup.restore-test",
        "Qwestly Operations Security Policy, Backup and Recovery: \"Test backup restoration quarterly\"; Recovery Targets: \"Critical systems back online within 4 hours\"",
        "a COMPLETED restore job (restore testing plan or manual) within the RTO (closes it automatically)",
        BackupControls,
        null);

    private static string[] BackupControls => [Controls.IsoBackup, Controls.Soc2Availability, Controls.Soc2RecoveryTesting];

    /// <summary>Every template, by id (append-only; see the class summary).</summary>
    public static readonly IReadOnlyDictionary<string, ObligationTemplate> ById =
        new[] { ChangeReview, ChangeCodeUpdate, ChangeImplementationCheck, BackupDaily, BackupCopy, BackupRestoreTest }
            .ToDictionary(t => t.Id, StringComparer.Ordinal);

    /// <summary>
    /// The template whose texts <paramref name="spec"/> carries exactly (kind, clause, evidence, controls in order), or
    /// null: its texts are then stored on the item.
    /// </summary>
    public static ObligationTemplate? Match(ObligationSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        foreach (var template in ById.Values)
        {
            if (template.Kind == spec.Kind && template.PolicyClause == spec.PolicyClause && template.EvidenceExpected == spec.EvidenceExpected
                && template.Controls.SequenceEqual(spec.Controls, StringComparer.Ordinal))
                return template;
        }
        return null;
    }
}

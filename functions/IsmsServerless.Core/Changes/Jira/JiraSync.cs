using IsmsServerless.Model;
using IsmsServerless.Observability;
using IsmsServerless.Settings;

namespace IsmsServerless.Changes.Jira;

/// <summary>What one drain of the Jira queue did.</summary>
public sealed record JiraSyncResult(int Examined, int Delivered, int Deferred, IReadOnlyList<string> Notes);

/// <summary>
/// Drains the Jira queue (<see cref="JiraOutbox"/>): creates one issue per emergency or manual change and links its key
/// to the change record, and comments each completed review on it. Idempotent end to end: before creating, the project
/// is searched for the change's deterministic label (<c>isms-&lt;changeId&gt;</c>), so a crash between Jira's 201 and
/// the record update cannot make a second issue; a review comment carries a marker that is looked for before posting.
/// Failures are deferred with backoff (429: the server's Retry-After; 401/403: an hour, and the run stops, since every
/// call would fail the same way), never thrown: the change register and its findings do not wait on Jira.
/// </summary>
public sealed class JiraSync(IChangeRegister register, JiraOutbox outbox, JiraClient client, IsmsSettings settings, TimeProvider clock)
{
    public const string LabelPrefix = "isms-";
    public const string ChangeLabel = "isms-change";
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromHours(6);

    public static string LabelOf(string changeId) => LabelPrefix + changeId;

    public static string CommentMarker(string changeId, int round) => $"[isms-review {changeId} round {round}]";

    public async Task<JiraSyncResult> RunAsync(int limit, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var due = await outbox.DueAsync(now, limit, cancellationToken).ConfigureAwait(false);
        int delivered = 0, deferred = 0;
        var notes = new List<string>();
        // Issues first: a comment needs its issue.
        foreach (var task in due.OrderBy(t => t.IsCreate ? 0 : 1).ThenBy(t => t.NextAttemptAt))
        {
            try
            {
                if (await DeliverAsync(task, cancellationToken).ConfigureAwait(false)) delivered++;
                else deferred++;
            }
            catch (JiraException ex)
            {
                deferred++;
                var wait = Backoff(ex, task.Attempts);
                await outbox.DeferAsync(task, now + wait, ex.Message, cancellationToken).ConfigureAwait(false);
                Log.Warn("jira.deferred", ("changeId", task.ChangeId), ("task", task.Task), ("failure", ex.Failure.ToString()), ("status", ex.Status),
                    ("attempt", task.Attempts + 1), ("retryInSeconds", (long)wait.TotalSeconds), ("error", ex.Message));
                if (ex.Failure is JiraFailure.Unauthorized or JiraFailure.RateLimited)
                {
                    // Every further call would fail the same way (or make the limit worse): leave the rest for later runs.
                    notes.Add($"jira {ex.Failure}: stopped after {task.ChangeId} {task.Task}");
                    break;
                }
            }
        }
        return new JiraSyncResult(due.Count, delivered, deferred, notes);
    }

    /// <summary>Delivers one task; false when it must wait (a comment whose issue does not exist yet).</summary>
    private async Task<bool> DeliverAsync(JiraTask task, CancellationToken cancellationToken)
    {
        var record = await register.GetAsync(task.ChangeId, cancellationToken).ConfigureAwait(false);
        if (record is null)
        {
            await outbox.CompleteAsync(task, null, clock.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            Log.Warn("jira.change-missing", ("changeId", task.ChangeId), ("task", task.Task));
            return true;
        }
        if (task.IsCreate)
        {
            var key = record.JiraIssueKey ?? await client.FindByLabelAsync(LabelOf(record.ChangeId), cancellationToken).ConfigureAwait(false);
            var created = key is null;
            key ??= await client.CreateIssueAsync(Summary(record), Description(record), [ChangeLabel, LabelOf(record.ChangeId)], cancellationToken).ConfigureAwait(false);
            await LinkAsync(record, key, cancellationToken).ConfigureAwait(false);
            await outbox.CompleteAsync(task, key, clock.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            Log.Info("jira.issue-linked", ("changeId", record.ChangeId), ("issueKey", key), ("created", created));
            return true;
        }
        if (record.JiraIssueKey is not { } issue)
        {
            // Registered before Jira was turned on (or its issue task was lost): queue the issue too (idempotent).
            await outbox.EnqueueAsync(record.ChangeId, JiraTask.Create, clock.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            await outbox.DeferAsync(task, clock.GetUtcNow().AddMinutes(5), "waiting for the change's Jira issue", cancellationToken).ConfigureAwait(false);
            return false;
        }
        var round = task.Round;
        var review = round == record.Round ? record.Review : record.PriorReviews.ElementAtOrDefault(round - 1);
        if (review is not null)
        {
            var marker = CommentMarker(record.ChangeId, round);
            if (!await client.HasCommentAsync(issue, marker, cancellationToken).ConfigureAwait(false))
                await client.AddCommentAsync(issue, ReviewComment(record, review, marker), cancellationToken).ConfigureAwait(false);
        }
        await outbox.CompleteAsync(task, issue, clock.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        Log.Info("jira.review-commented", ("changeId", record.ChangeId), ("issueKey", issue), ("round", round));
        return true;
    }

    /// <summary>Writes the issue key on the record (optimistic concurrency, re-read on conflict).</summary>
    private async Task LinkAsync(ChangeRecord record, string key, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 8; attempt++)
        {
            if (record.JiraIssueKey == key) return;
            if (await register.TryUpdateAsync(record with { JiraIssueKey = key, Version = record.Version + 1 }, null, cancellationToken).ConfigureAwait(false)) return;
            record = await register.GetAsync(record.ChangeId, cancellationToken).ConfigureAwait(false) ?? record;
        }
        throw new JiraException(JiraFailure.Unavailable, null, null, $"change {record.ChangeId} kept changing while its Jira issue {key} was linked");
    }

    private static TimeSpan Backoff(JiraException ex, int attempts)
    {
        if (ex.Failure == JiraFailure.RateLimited) return ex.RetryAfter is { } after ? (after > TimeSpan.FromHours(1) ? TimeSpan.FromHours(1) : after < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : after) : TimeSpan.FromMinutes(1);
        if (ex.Failure == JiraFailure.Unauthorized) return TimeSpan.FromHours(1);
        if (ex.RetryAfter is { } retry && retry > TimeSpan.Zero) return retry > MaxBackoff ? MaxBackoff : retry;
        var minutes = Math.Pow(2, Math.Min(attempts, 9));
        var wait = TimeSpan.FromMinutes(minutes);
        return wait > MaxBackoff ? MaxBackoff : wait;
    }

    private string Link(ChangeRecord record) => settings.StatusPageUrl.TrimEnd('/') + "/changes/" + record.ChangeId;

    private static string Summary(ChangeRecord record) =>
        JiraClient.Summary($"[ISMS] {record.Kind.ToWire()} change by {record.Principal}: {string.Join(", ", record.ApiNames.Take(3))}"
            + (record.ApiNames.Count > 3 ? $" (+{record.ApiNames.Count - 3})" : ""));

    private List<string> Description(ChangeRecord record)
    {
        var lines = new List<string>
        {
            $"IsmsServerless registered a {record.Kind.ToWire()} change ({record.Kind.RuleId()}) that must be documented and reviewed (PROC-002 change management; Qwestly emergency and manual changes).",
            $"Change: {record.ChangeId}, account {record.AccountId}, region {record.Region}.",
            $"Made by: {record.Principal} ({record.Actor})" + (record.RoleName is { } role ? $", role {role}" : "") + ".",
            $"Calls: {record.CallCount}, first {Timestamps.ToWire(record.FirstCallAt)}, last {Timestamps.ToWire(record.LastCallAt)}; source IPs: {string.Join(", ", record.SourceIps)}.",
            $"API calls: {string.Join(", ", record.ApiNames.Take(20))}" + (record.ApiNames.Count > 20 ? $" (+{record.ApiNames.Count - 20})" : "") + ".",
            $"Resources: {string.Join(", ", record.Resources.Take(20))}" + (record.Resources.Count > 20 || record.ResourcesTruncated ? " (more on the status page)" : "") + ".",
            $"Risk: {ApprovalMatrix.RiskOf(record, settings.ChangeManagement).ToWire()}. Review it on the status page: {Link(record)}",
        };
        return lines;
    }

    private static List<string> ReviewComment(ChangeRecord record, ChangeReview review, string marker)
    {
        var lines = new List<string>
        {
            $"Reviewed: {review.Verdict.ToWire()} by {review.Reviewer} at {Timestamps.ToWire(review.ReviewedAt)} (four-eyes: {review.FourEyes}).",
        };
        if (review.Approvals.Count > 0)
            lines.Add("Approvals: " + string.Join("; ", review.Approvals.Select(a => $"{a.Approver} as {a.Role} at {Timestamps.ToWire(a.ApprovedAt)}")) + ".");
        if (review.Risk is { } risk) lines.Add($"Risk: {risk}; required roles: {string.Join(", ", review.RequiredRoles)}.");
        if (review.TicketUrl is { } ticket) lines.Add($"Ticket: {ticket}");
        if (review.Note is { } note) lines.Add($"Note: {note}");
        if (record.CodeUpdateRequired)
            lines.Add(record.Closure is { } closure ? $"Code update: closed ({closure.How}) {closure.Link ?? closure.Stack ?? ""}".TrimEnd() : "Code update: still open (commit / pull request, revert, or stack in sync).");
        lines.Add(marker);
        return lines;
    }
}

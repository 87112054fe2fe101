using System.Text.Json;
using IsmsServerless.Changes;
using IsmsServerless.Cli;
using IsmsServerless.Engine;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Changes;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Cli;

/// <summary><c>./isms evaluate</c>'s change lines, and <c>./isms changes</c> / <c>./isms review</c> on DynamoDB Local.</summary>
[Collection(DynamoDbCollection.Name)]
public sealed class ChangeCommandsTests(DynamoDbLocalFixture dynamo)
{
    private static List<JsonElement> Evaluate(string at, params string[] paths)
    {
        var output = new StringWriter();
        Assert.Equal(0, EvaluateCommand.Run(paths, TestContexts.At(at), RuleEngine.CreateDefault(), output));
        return output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
    }

    /// <summary>The session's own change line (files that joined it carry <c>joinedChange</c>).</summary>
    private static bool IsSessionLine(JsonElement l) => l.GetProperty("outcome").GetString() == "change" && !l.TryGetProperty("joinedChange", out _);

    private static string[] ThienFiles() => ChangeDetectionTests.ThienSession.Select(Fixtures.LocalPath).ToArray();

    [Fact]
    public void Evaluate_prints_one_change_line_per_session_due_24h_after_the_first_call()
    {
        var lines = Evaluate("2023-05-31T18:00:00Z", ThienFiles());
        var change = Assert.Single(lines, IsSessionLine);
        Assert.Equal("change.manual-console-change", change.GetProperty("ruleId").GetString());
        Assert.Equal("change", change.GetProperty("category").GetString());
        Assert.Equal("2023-06-01T04:44:57.000Z", change.GetProperty("dueAt").GetString());
        Assert.Equal("at-risk", change.GetProperty("state").GetString()); // past the 50% reminder
        Assert.StartsWith("chg-", change.GetProperty("resourceId").GetString(), StringComparison.Ordinal);
        Assert.Contains("5 call(s)", change.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.EndsWith("eb-console-session-thien-1-detachrolepolicy.json", change.GetProperty("file").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.GetProperty("ruleId").GetString() == "change.review-overdue");
        // The IAM admin actions in the session are monitored separately, one finding per action.
        Assert.Contains(lines, l => l.GetProperty("ruleId").GetString() == "monitoring.iam-admin-action");
    }

    [Fact]
    public void Evaluate_adds_a_high_overdue_finding_once_the_review_is_late_at_the_given_instant()
    {
        Assert.DoesNotContain(Evaluate("2023-06-01T04:44:57Z", ThienFiles()), l => l.GetProperty("ruleId").GetString() == "change.review-overdue");
        var lines = Evaluate("2023-06-01T04:44:58Z", ThienFiles());
        var change = Assert.Single(lines, IsSessionLine);
        Assert.Equal("breached", change.GetProperty("state").GetString());
        var overdue = Assert.Single(lines, l => l.GetProperty("ruleId").GetString() == "change.review-overdue");
        Assert.Equal("finding", overdue.GetProperty("outcome").GetString());
        Assert.Equal("HIGH", overdue.GetProperty("severity").GetString());
        Assert.Equal(change.GetProperty("resourceId").GetString(), overdue.GetProperty("resourceId").GetString());
    }

    [Fact]
    public void Evaluate_is_order_and_duplicate_independent()
    {
        var files = ThienFiles();
        var forward = Evaluate("2023-05-31T18:00:00Z", files).Single(IsSessionLine);
        var shuffled = Evaluate("2023-05-31T18:00:00Z", files.Reverse().Concat(files).ToArray()).Single(IsSessionLine);
        Assert.Equal(forward.GetProperty("dueAt").GetString(), shuffled.GetProperty("dueAt").GetString());
        Assert.Equal(forward.GetProperty("message").GetString(), shuffled.GetProperty("message").GetString());
    }

    [Fact]
    public void Evaluate_gives_every_file_a_line_and_names_the_change_a_later_file_joined()
    {
        var files = ThienFiles();
        var lines = Evaluate("2023-05-31T18:00:00Z", files);
        var session = Assert.Single(lines, IsSessionLine);
        var changeId = session.GetProperty("resourceId").GetString();
        foreach (var file in files) Assert.Contains(lines, l => l.GetProperty("file").GetString() == file);
        // Files 2..4 hold only calls merged into the session: each gets a change line naming the change it joined, with its id.
        foreach (var file in files.Skip(1).Take(3))
        {
            var joined = Assert.Single(lines, l => l.GetProperty("file").GetString() == file);
            Assert.Equal("change", joined.GetProperty("outcome").GetString());
            Assert.Equal(changeId, joined.GetProperty("joinedChange").GetString());
            Assert.Equal(changeId, joined.GetProperty("resourceId").GetString());
            Assert.Contains(changeId!, joined.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Changes_lists_pending_and_review_enforces_four_eyes_through_the_cli_entry_points()
    {
        var table = await dynamo.NewTableAsync("cli");
        var register = new DynamoChangeRegister(dynamo.Client, table, IsmsSettings.Default);
        foreach (var call in ChangeTestData.ThienCalls()) await register.RecordAsync(call);
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(ChangeTestData.ThienFirstCall.AddHours(2));

        var output = new StringWriter();
        Assert.Equal(0, await ChangesCommand.RunAsync(dynamo.Client, table, IsmsSettings.Default, clock, pendingOnly: true, 50, output));
        var pending = JsonDocument.Parse(output.ToString().Trim()).RootElement;
        var changeId = pending.GetProperty("changeId").GetString()!;
        Assert.Equal("manual-console", pending.GetProperty("kind").GetString());
        Assert.Equal("2023-06-01T04:44:57.000Z", pending.GetProperty("dueAt").GetString());
        Assert.Equal(5, pending.GetProperty("callCount").GetInt32());

        var errors = new StringWriter();
        Assert.Equal(1, await ReviewCommand.RunAsync(dynamo.Client, table, IsmsSettings.Default, clock,
            new ReviewRequest(changeId, "thien", "approved"), new StringWriter(), errors));
        Assert.Contains("SelfReview", errors.ToString(), StringComparison.Ordinal);

        var reviewed = new StringWriter();
        Assert.Equal(0, await ReviewCommand.RunAsync(dynamo.Client, table, IsmsSettings.Default, clock,
            new ReviewRequest(changeId, "alice", "approved", "https://jira.example/browse/OPS-9", "<b>ok</b>"), reviewed, new StringWriter()));
        var view = JsonDocument.Parse(reviewed.ToString().Trim()).RootElement;
        Assert.Equal(("alice", "approved"), (view.GetProperty("reviewer").GetString(), view.GetProperty("verdict").GetString()));
        // Output is JSON-encoded: markup in a note cannot break the line or inject into a terminal or page.
        Assert.DoesNotContain("<b>", reviewed.ToString(), StringComparison.Ordinal);

        var after = new StringWriter();
        await ChangesCommand.RunAsync(dynamo.Client, table, IsmsSettings.Default, clock, pendingOnly: true, 50, after);
        Assert.Equal("", after.ToString().Trim());
    }

    /// <summary>
    /// A change reviewed in time is the change controls' evidence that they operated (issue 16 §3): before, change outcomes
    /// and reviews wrote no evidence, so A.8.32 and CC8.1 read "stale" exactly when every change had been reviewed.
    /// </summary>
    [Fact]
    public async Task A_review_records_passing_evidence_for_the_change_controls()
    {
        var table = await dynamo.NewTableAsync("cliev");
        var register = new DynamoChangeRegister(dynamo.Client, table, IsmsSettings.Default);
        foreach (var call in ChangeTestData.ThienCalls()) await register.RecordAsync(call);
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(ChangeTestData.ThienFirstCall.AddHours(2));
        var output = new StringWriter();
        await ChangesCommand.RunAsync(dynamo.Client, table, IsmsSettings.Default, clock, pendingOnly: true, 50, output);
        var changeId = JsonDocument.Parse(output.ToString().Trim()).RootElement.GetProperty("changeId").GetString()!;
        var evidence = new IsmsServerless.Evidence.DynamoDbEvidenceStore(dynamo.Client, table, "test");
        Assert.Empty(await evidence.GetRuleSummariesAsync());

        Assert.Equal(0, await ReviewCommand.RunAsync(dynamo.Client, table, IsmsSettings.Default, clock,
            new ReviewRequest(changeId, "alice", "approved", "https://jira.example/browse/OPS-9"), new StringWriter(), new StringWriter()));

        var summaries = await evidence.GetRuleSummariesAsync();
        Assert.Equal(1, summaries["change.review-overdue"].Passing);
        Assert.Equal(0, summaries["change.review-overdue"].Failing);
        var (items, _) = await evidence.QueryRuleAsync("change.review-overdue", 10);
        var item = Assert.Single(items);
        Assert.Equal((changeId, "pass", "change-review"), (item.ResourceId, item.Result, item.Source));
        var views = await ControlsCommand.ReadAsync(dynamo.Client, table, clock.GetUtcNow());
        var a832 = views.Single(v => v.Control.Key == "ISO27001:2022 A.8.32");
        Assert.True(a832.Passing > 0);
        Assert.NotEqual("stale", a832.Status);
    }
}

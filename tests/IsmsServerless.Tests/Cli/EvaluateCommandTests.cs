using System.Text.Json;
using IsmsServerless.Cli;
using IsmsServerless.Engine;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Cli;

public sealed class EvaluateCommandTests
{
    private static List<JsonElement> Run(string at, params string[] paths)
    {
        var output = new StringWriter();
        var exit = EvaluateCommand.Run(paths, TestContexts.At(at), RuleEngine.CreateDefault(), output);
        Assert.Equal(0, exit);
        return output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();
    }

    [Fact]
    public void Root_console_sign_in_without_mfa_gives_two_findings_with_the_contract_fields()
    {
        var lines = Run("2016-01-05T19:00:00Z", Fixtures.SharedPath("cloudtrail/eb-console-signin-root-success-nomfa.json"));
        Assert.Equal(2, lines.Count);
        Assert.All(lines, line =>
        {
            Assert.Equal("finding", line.GetProperty("outcome").GetString());
            Assert.Equal("monitoring", line.GetProperty("category").GetString());
            Assert.Equal("HIGH", line.GetProperty("severity").GetString());
            Assert.Equal("arn:aws:iam::123456789012:root", line.GetProperty("resourceId").GetString());
            Assert.True(line.GetProperty("controls").GetArrayLength() > 0);
            Assert.EndsWith("eb-console-signin-root-success-nomfa.json", line.GetProperty("file").GetString(), StringComparison.Ordinal);
            Assert.Equal("open", line.GetProperty("state").GetString());
        });
        Assert.Contains(lines, l => l.GetProperty("ruleId").GetString() == "monitoring.root-user-activity");
        Assert.Contains(lines, l => l.GetProperty("ruleId").GetString() == "monitoring.console-login-without-mfa");
    }

    [Fact]
    public void Directory_is_read_in_sorted_order_and_rejections_do_not_fail_the_run()
    {
        var dir = Directory.CreateTempSubdirectory("isms-eval-");
        try
        {
            File.Copy(Fixtures.SharedPath("cloudtrail/eb-api-call-s3-createbucket-root.json"), Path.Combine(dir.FullName, "b.json"));
            File.WriteAllText(Path.Combine(dir.FullName, "a.json"), "{not json");
            File.WriteAllText(Path.Combine(dir.FullName, "ignored.txt"), "not an event");
            var lines = Run("2026-01-01T00:00:00Z", dir.FullName);
            // rejected a.json, root activity for b.json, then b.json's root console change (grouped after all files)
            // and its overdue review finding.
            Assert.Equal(4, lines.Count);
            Assert.Equal("change", lines[2].GetProperty("outcome").GetString());
            Assert.Equal("change.review-overdue", lines[3].GetProperty("ruleId").GetString());
            Assert.Equal("rejected", lines[0].GetProperty("outcome").GetString());
            Assert.Contains("not valid JSON", lines[0].GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Equal("finding", lines[1].GetProperty("outcome").GetString());
            Assert.Equal("breached", lines[1].GetProperty("state").GetString());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Missing_path_exits_non_zero()
    {
        var exit = EvaluateCommand.Run(["/nonexistent/event.json"], TestContexts.At("2026-01-01T00:00:00Z"), RuleEngine.CreateDefault(), new StringWriter());
        Assert.NotEqual(0, exit);
    }

    [Fact]
    public void Hostile_strings_come_out_json_escaped()
    {
        var dir = Directory.CreateTempSubdirectory("isms-eval-");
        try
        {
            var evil = File.ReadAllText(Fixtures.SharedPath("cloudtrail/eb-api-call-s3-createbucket-root.json"))
                .Replace("204.63.44.148", "<script>alert(1)</script>\\u0000\\n{\\\"outcome\\\":\\\"compliant\\\"}", StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(dir.FullName, "evil.json"), evil);
            var output = new StringWriter();
            EvaluateCommand.Run([dir.FullName], TestContexts.At("2026-01-01T00:00:00Z"), RuleEngine.CreateDefault(), output);
            var text = output.ToString();
            Assert.DoesNotContain("<script>", text, StringComparison.Ordinal);
            var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            // The root activity finding, the root console change and its overdue finding: each one well-formed line.
            Assert.Equal(3, lines.Length);
            Assert.All(lines, line => Assert.NotEqual("compliant", JsonDocument.Parse(line).RootElement.GetProperty("outcome").GetString()));
            Assert.Equal("finding", JsonDocument.Parse(lines[0]).RootElement.GetProperty("outcome").GetString());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}

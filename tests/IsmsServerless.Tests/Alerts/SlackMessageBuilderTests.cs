using System.Text.Json;
using IsmsServerless.Alerts;

namespace IsmsServerless.Tests.Alerts;

public sealed class SlackMessageBuilderTests
{
    private static readonly string[] TextLimitedTypes = ["section", "context", "header"];

    /// <summary>Every Block Kit limit we rely on, checked on the JSON as Slack would parse it.</summary>
    private static JsonElement AssertWithinBlockKitLimits(string json)
    {
        var root = JsonDocument.Parse(json).RootElement;
        Assert.True(root.GetProperty("text").GetString()!.Length <= SlackText.MaxText);
        var blocks = root.GetProperty("blocks");
        Assert.InRange(blocks.GetArrayLength(), 1, SlackText.MaxBlocks);
        foreach (var block in blocks.EnumerateArray())
        {
            var type = block.GetProperty("type").GetString();
            Assert.Contains(type, TextLimitedTypes);
            if (type == "header")
            {
                Assert.Equal("plain_text", block.GetProperty("text").GetProperty("type").GetString());
                Assert.InRange(block.GetProperty("text").GetProperty("text").GetString()!.Length, 1, SlackText.MaxHeader);
            }
            if (block.TryGetProperty("text", out var text) && type == "section")
                Assert.InRange(text.GetProperty("text").GetString()!.Length, 1, SlackText.MaxText);
            if (block.TryGetProperty("fields", out var fields))
            {
                Assert.InRange(fields.GetArrayLength(), 1, 10);
                foreach (var field in fields.EnumerateArray()) Assert.InRange(field.GetProperty("text").GetString()!.Length, 1, SlackText.MaxField);
            }
            if (block.TryGetProperty("elements", out var elements))
                foreach (var element in elements.EnumerateArray()) Assert.InRange(element.GetProperty("text").GetString()!.Length, 1, SlackText.MaxText);
        }
        return root;
    }

    private static IEnumerable<string> MrkdwnTexts(JsonElement root) =>
        root.GetProperty("blocks").EnumerateArray().SelectMany(b =>
        {
            var texts = new List<string>();
            if (b.TryGetProperty("text", out var t) && t.GetProperty("type").GetString() == "mrkdwn") texts.Add(t.GetProperty("text").GetString()!);
            if (b.TryGetProperty("fields", out var f)) texts.AddRange(f.EnumerateArray().Select(x => x.GetProperty("text").GetString()!));
            if (b.TryGetProperty("elements", out var e)) texts.AddRange(e.EnumerateArray().Select(x => x.GetProperty("text").GetString()!));
            return texts;
        }).Append(root.GetProperty("text").GetString()!);

    [Fact]
    public void An_alert_carries_everything_needed_to_act()
    {
        var root = AssertWithinBlockKitLimits(SlackMessageBuilder.ForAlert(AlertSamples.RootActivity()));
        var all = string.Join("\n", MrkdwnTexts(root)) + root.GetProperty("blocks")[0].GetProperty("text").GetProperty("text").GetString();
        foreach (var expected in new[] { "CRITICAL", "Root user activity", "arn:aws:iam::111122223333:root", "111122223333", "eu-west-1",
                     "PROC-002", "ISO27001:2022 A.8.2, ISO27001:2022 A.8.15, SOC2 CC6.1", "2026-11-30T10:00:00Z", "(open)",
                     "rotate its credentials", "<https://isms.example.com/findings/finding-root-1|Open the finding on the status page>" })
            Assert.Contains(expected, all, StringComparison.Ordinal);
    }

    [Fact]
    public void Hostile_strings_cannot_ping_the_channel_or_forge_links()
    {
        var alert = AlertSamples.RootActivity() with
        {
            ResourceId = "<!channel> <https://evil.example|click me> & <@U024BE7LH>",
            Message = "<!here> pwned `x` *bold*",
            StatusUrl = "javascript:alert(1)",
        };
        var root = AssertWithinBlockKitLimits(SlackMessageBuilder.ForAlert(alert));
        foreach (var text in MrkdwnTexts(root))
        {
            Assert.DoesNotContain("<!channel>", text, StringComparison.Ordinal);
            Assert.DoesNotContain("<!here>", text, StringComparison.Ordinal);
            Assert.DoesNotContain("<https://evil", text, StringComparison.Ordinal);
            Assert.DoesNotContain("<@U024BE7LH>", text, StringComparison.Ordinal);
            Assert.DoesNotContain("<javascript:", text, StringComparison.Ordinal);
        }
        var all = string.Join("\n", MrkdwnTexts(root));
        Assert.Contains("&lt;!channel&gt; &lt;https://evil.example|click me&gt; &amp; &lt;@U024BE7LH&gt;", all, StringComparison.Ordinal);
    }

    [Fact]
    public void Huge_values_are_truncated_to_block_kit_limits()
    {
        var huge = string.Concat(Enumerable.Repeat("<&>😀", 40_000));
        var alert = AlertSamples.RootActivity() with
        {
            Title = huge, ResourceId = huge, PolicyClause = huge, Remediation = huge, Message = huge, Controls = huge, AccountId = huge, Region = huge,
        };
        var json = SlackMessageBuilder.ForAlert(alert);
        var root = AssertWithinBlockKitLimits(json);
        foreach (var text in MrkdwnTexts(root))
        {
            // Never cut inside an escape sequence or a surrogate pair.
            Assert.DoesNotMatch("&(a|am|l|g)?…", text);
            Assert.DoesNotContain("&amp…", text, StringComparison.Ordinal);
            foreach (var (c, i) in text.Select((c, i) => (c, i)))
                if (char.IsHighSurrogate(c)) Assert.True(i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]));
        }
        // 8 fields of 200,000 characters in; a bounded message out (JSON escapes <, >, & and emoji as \\uXXXX).
        Assert.True(json.Length < 100_000, $"payload of {json.Length} characters");
    }

    [Fact]
    public void Text_notifications_that_are_not_alerts_are_escaped_and_bounded()
    {
        var root = AssertWithinBlockKitLimits(SlackMessageBuilder.ForText("ALARM: \"SlackDeadLetters\" in EU (Ireland)", "<!channel> " + new string('x', 10_000)));
        Assert.All(MrkdwnTexts(root), t => Assert.DoesNotContain("<!channel>", t, StringComparison.Ordinal));
    }

    [Fact]
    public void A_digest_of_a_thousand_findings_stays_within_fifty_blocks()
    {
        var items = Enumerable.Range(0, 1000).Select(i => new DigestItem("HIGH", "Security group open to the world <!channel> " + new string('y', 300),
            $"sg-{i:x8}", "2026-12-01T00:00:00Z", i % 3 == 0 ? "breached" : "at-risk", $"https://isms.example.com/findings/{i}")).ToList();
        var digest = new DigestSummary("2026-11-23", 1000, 600, 334, 12, items, "https://isms.example.com");
        var root = AssertWithinBlockKitLimits(SlackMessageBuilder.ForDigest(digest, maxLines: 1000));
        var all = string.Join("\n", MrkdwnTexts(root));
        Assert.Contains("*Breached*\n334", all, StringComparison.Ordinal);
        Assert.Contains("more on the status page", all, StringComparison.Ordinal);
        Assert.DoesNotContain("<!channel>", all, StringComparison.Ordinal);
    }
}

using System.Text;
using System.Text.Json.Nodes;
using IsmsServerless.Engine;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Robustness;

/// <summary>
/// Half a surrogate pair written as a JSON escape (<c>"\ud800"</c>) is valid JSON and valid UTF-8, yet reading the string
/// throws. Found by the fuzzer in an EC2 state-change envelope; JavaScript's JSON.stringify writes such escapes for broken
/// strings, so attacker-chosen text can carry one into a real event. The event must still be evaluated, not rejected
/// (a rejection would let anyone hide a call) and not crash.
/// </summary>
public sealed class LoneSurrogateTests
{
    private static readonly EvaluationContext Context = TestContexts.At("2026-01-15T12:00:00Z");

    [Theory]
    [InlineData("\\ud800")]
    [InlineData("\\uDFFF")]
    [InlineData("x\\udc00y\\ud83d")]
    public void A_lone_surrogate_in_an_attacker_chosen_field_does_not_hide_the_event(string escape)
    {
        var original = Fixtures.Shared("cloudtrail/eb-console-signin-root-success-nomfa.json");
        var text = Encoding.UTF8.GetString(original);
        var node = JsonNode.Parse(text)!;
        node["detail"]!["userAgent"] = "__UA__";
        node["id"] = "__ID__";
        var payload = Encoding.UTF8.GetBytes(node.ToJsonString().Replace("__UA__", escape, StringComparison.Ordinal).Replace("__ID__", escape, StringComparison.Ordinal));

        var engine = RuleEngine.CreateDefault();
        var expected = engine.Evaluate(original, Context);
        var result = engine.Evaluate(payload, Context);

        Assert.False(result.Rejected, result.Error);
        Assert.Equal(expected.Evaluations.Select(e => (e.Rule.Id, e.Outcome, e.FindingId)), result.Evaluations.Select(e => (e.Rule.Id, e.Outcome, e.FindingId)));
    }

    [Fact]
    public void Proper_pairs_and_escaped_backslashes_are_left_alone()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"a":"\ud83d\ude00","b":"\\ud800","c":"\\\ud800"}""");
        var repaired = Ingestion.LoneSurrogates.Repair(bytes, out var count).ToArray();
        Assert.Equal(1, count);
        Assert.Equal("""{"a":"\ud83d\ude00","b":"\\ud800","c":"\\\uFFFD"}""", Encoding.UTF8.GetString(repaired));
        // Cut short inside or right after an escape (a truncated payload): never a read past the end.
        foreach (var (cut, lone) in new[] { ("\"\\u000", 0), ("\"\\ud800", 1), ("\"\\ud800\\udc0", 1), ("\\u", 0) })
        {
            var result = Ingestion.LoneSurrogates.Repair(Encoding.UTF8.GetBytes(cut), out var found);
            Assert.Equal(lone, found);
            Assert.Equal(cut.Length, result.Length);
        }
        var clean = Encoding.UTF8.GetBytes("""{"a":"plain"}""");
        Assert.Equal(0, Ingestion.LoneSurrogates.Repair(clean, out _).Length - clean.Length);
    }
}

using IsmsServerless.Engine;
using IsmsServerless.Heartbeats;
using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Rules.Monitoring;
using IsmsServerless.Settings;

namespace IsmsServerless.Tests.Monitoring;

public sealed class HeartbeatRulesTests
{
    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-03-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    private static HeartbeatInput Heard(string source, DateTimeOffset? lastSeen) => new()
    {
        Source = source, AccountId = "111122223333", Region = "eu-west-1", LastSeenAt = lastSeen, WatchingSince = Start,
    };

    private static EvaluationContext At(TimeSpan afterStart, IsmsSettings? settings = null) =>
        new(settings ?? IsmsSettings.Default, new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Start + afterStart));

    [Fact]
    public void Config_silent_past_the_threshold_is_a_finding_whose_clock_starts_when_the_threshold_passed()
    {
        var lastSeen = Start.AddHours(1);
        var evaluation = Assert.Single(new ConfigRecorderSilentRule().Evaluate(Heard(HeartbeatSources.Config, lastSeen), At(TimeSpan.FromHours(26))));
        Assert.Equal(Outcome.Finding, evaluation.Outcome);
        Assert.Equal(lastSeen.AddHours(24), evaluation.ClockStart);
        Assert.Equal("heartbeat/aws.config/111122223333/eu-west-1", evaluation.ResourceId);
        Assert.Contains("for 25 h (threshold 24 h)", evaluation.Message, StringComparison.Ordinal);
        Assert.Equal("AWS::Config::ConfigurationRecorder", evaluation.ResourceType);
    }

    [Fact]
    public void Config_heard_within_the_threshold_is_compliant_so_an_open_silence_finding_resolves()
    {
        var evaluation = Assert.Single(new ConfigRecorderSilentRule().Evaluate(Heard(HeartbeatSources.Config, Start.AddHours(2)), At(TimeSpan.FromHours(25))));
        Assert.Equal(Outcome.Compliant, evaluation.Outcome);
        // Same finding identity as the silence finding, so the compliant evaluation resolves it.
        var silent = Assert.Single(new ConfigRecorderSilentRule().Evaluate(Heard(HeartbeatSources.Config, Start), At(TimeSpan.FromHours(25))));
        Assert.Equal(silent.FindingId, evaluation.FindingId);
    }

    [Fact]
    public void A_source_never_heard_is_judged_from_when_watching_started()
    {
        var rule = new CloudTrailSilentRule();
        Assert.Equal(Outcome.Compliant, Assert.Single(rule.Evaluate(Heard(HeartbeatSources.CloudTrail, null), At(TimeSpan.FromHours(23)))).Outcome);
        var finding = Assert.Single(rule.Evaluate(Heard(HeartbeatSources.CloudTrail, null), At(TimeSpan.FromHours(24.5))));
        Assert.Equal(Outcome.Finding, finding.Outcome);
        Assert.Equal("never since monitoring started", finding.Evidence["lastHeard"]);
        Assert.Equal(Severity.Critical, finding.Severity);
    }

    [Fact]
    public void Inspector_is_judged_in_days_and_a_zero_threshold_turns_the_check_off()
    {
        var rule = new InspectorSilentRule();
        Assert.Equal(Outcome.Compliant, Assert.Single(rule.Evaluate(Heard(HeartbeatSources.Inspector, Start), At(TimeSpan.FromDays(6.9)))).Outcome);
        Assert.Equal(Outcome.Finding, Assert.Single(rule.Evaluate(Heard(HeartbeatSources.Inspector, Start), At(TimeSpan.FromDays(7.1)))).Outcome);
        var off = IsmsSettings.Parse("""{"inspectorSilenceDays":0}""");
        Assert.Empty(rule.Evaluate(Heard(HeartbeatSources.Inspector, Start), At(TimeSpan.FromDays(30), off)));
    }

    [Fact]
    public void Each_silence_rule_only_judges_its_own_source()
    {
        var input = Heard(HeartbeatSources.Inspector, null);
        Assert.Empty(new ConfigRecorderSilentRule().Evaluate(input, At(TimeSpan.FromDays(30))));
        Assert.Empty(new CloudTrailSilentRule().Evaluate(input, At(TimeSpan.FromDays(30))));
    }

    [Fact]
    public void Thresholds_come_from_settings()
    {
        var strict = IsmsSettings.Parse("""{"cloudTrailSilenceHours":2}""");
        Assert.Equal(Outcome.Finding, Assert.Single(new CloudTrailSilentRule().Evaluate(Heard(HeartbeatSources.CloudTrail, Start), At(TimeSpan.FromHours(3), strict))).Outcome);
    }

    [Theory]
    [InlineData(44, Outcome.Compliant)]
    [InlineData(46, Outcome.Finding)]
    public void Sweep_gap_longer_than_three_intervals_is_a_finding(int gapMinutes, Outcome expected)
    {
        var input = new SweepRunInput { AccountId = "111122223333", Region = "eu-west-1", PreviousRunAt = Start, RunAt = Start.AddMinutes(gapMinutes) };
        var evaluation = Assert.Single(new SweepNotRunRule().Evaluate(input, At(TimeSpan.FromMinutes(gapMinutes))));
        Assert.Equal(expected, evaluation.Outcome);
        if (expected == Outcome.Finding) Assert.Equal(Start.AddMinutes(45), evaluation.ClockStart);
    }

    [Fact]
    public void First_sweep_run_has_no_gap_to_judge()
    {
        var input = new SweepRunInput { AccountId = "111122223333", Region = "eu-west-1", RunAt = Start };
        Assert.Empty(new SweepNotRunRule().Evaluate(input, At(TimeSpan.Zero)));
    }

    [Fact]
    public void Settings_validation_lists_bad_heartbeat_thresholds()
    {
        var ex = Assert.Throws<InvalidSettingsException>(() => IsmsSettings.Parse(
            """{"configSilenceHours":-1,"cloudTrailSilenceHours":1000,"inspectorSilenceDays":91,"sweepIntervalMinutes":0,"sweepMissedIntervals":1,"ownRuleNamePrefixes":[]}"""));
        Assert.Equal(6, ex.Errors.Count);
    }

    [Fact]
    public void Silence_rules_are_registered()
    {
        var registry = RuleRegistry.CreateDefault();
        foreach (var id in new[] { "monitoring.config-recorder-silent", "monitoring.cloud-trail-silent", "monitoring.inspector-silent", "monitoring.sweep-not-run", "monitoring.event-bridge-rule-disabled" })
            Assert.NotNull(registry.Find(id));
    }
}

using System.Globalization;
using IsmsServerless.Obligations;
using IsmsServerless.Settings;

namespace IsmsServerless.Tests.Obligations;

/// <summary>Cadences, anchors, periods and the duties' settings validation (pure).</summary>
public sealed class DutyCadenceTests
{
    private static DateTimeOffset At(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);

    [Fact]
    public void Quarterly_from_31_December_stays_on_quarter_ends_without_drifting()
    {
        Assert.True(DutyCadence.TryParse("quarterly", out var cadence, out _));
        var anchor = DutyRules.AnchorOf(new DutyDefinition { FirstDue = "2026-12-31" });
        Assert.Equal(At("2026-12-31T23:59:59.999Z"), anchor);
        Assert.Equal(
            ["2027-03-31", "2027-06-30", "2027-09-30", "2027-12-31", "2028-03-31"],
            Enumerable.Range(1, 5).Select(k => cadence.DueOf(anchor, k).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).ToArray());
        Assert.Equal(0, cadence.IndexAtOrAfter(anchor, At("2026-11-26T00:00:00Z")));
        Assert.Equal(0, cadence.IndexAtOrAfter(anchor, anchor));
        Assert.Equal(1, cadence.IndexAtOrAfter(anchor, anchor.AddTicks(1)));
        Assert.Equal(-3, cadence.IndexAtOrAfter(anchor, At("2026-03-01T00:00:00Z")));
    }

    [Fact]
    public void A_month_end_anchor_stays_on_month_ends()
    {
        Assert.True(DutyCadence.TryParse("monthly", out var monthly, out _));
        var november = DutyRules.AnchorOf(new DutyDefinition { FirstDue = "2026-11-30" });
        Assert.Equal(["2026-12-31", "2027-01-31", "2027-02-28", "2027-03-31"],
            Enumerable.Range(1, 4).Select(k => monthly.DueOf(november, k).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).ToArray());
        Assert.True(DutyCadence.TryParse("quarterly", out var quarterly, out _));
        var september = DutyRules.AnchorOf(new DutyDefinition { FirstDue = "2026-09-30" });
        Assert.Equal("2026-12-31", quarterly.DueOf(september, 1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        Assert.Equal("2026-06-30", quarterly.DueOf(september, -1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        var mid = DutyRules.AnchorOf(new DutyDefinition { FirstDue = "2026-01-15" });
        Assert.Equal("2026-02-15", monthly.DueOf(mid, 1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("P2W", 0, 14, 0)]
    [InlineData("PT12H", 0, 0, 12)]
    [InlineData("P1Y2M", 14, 0, 0)]
    [InlineData("monthly", 1, 0, 0)]
    [InlineData("Annual", 12, 0, 0)]
    public void Cadences_parse_as_calendar_steps(string text, int months, int days, int hours)
    {
        Assert.True(DutyCadence.TryParse(text, out var cadence, out var error), error);
        Assert.Equal((months, days, TimeSpan.FromHours(hours)), (cadence.Months, cadence.Days, cadence.Time));
    }

    [Theory]
    [InlineData("P")]
    [InlineData("PT")]
    [InlineData("P0D")]
    [InlineData("1M")]
    [InlineData("PT5M")]
    [InlineData("fortnightly")]
    [InlineData("P9Y")]
    public void Bad_cadences_are_refused_with_a_reason(string text)
    {
        Assert.False(DutyCadence.TryParse(text, out _, out var error));
        Assert.Contains("cadence", error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_duties_are_the_policies_and_validate()
    {
        var duties = IsmsSettings.Default.Duties;
        Assert.Empty(DutyRules.Validate(duties));
        Assert.Equal(
            ["access-review", "restore-test", "policy-review", "proc-002-review", "security-training", "advisory-review", "fault-log-review", "security-discussion"],
            duties.Select(d => d.Id).ToArray());
        var proc = duties.Single(d => d.Id == "proc-002-review");
        Assert.Equal(("annual", "2027-01-09"), (proc.Cadence, proc.FirstDue));
        Assert.Equal("daily", duties.Single(d => d.Id == "fault-log-review").Cadence);
        Assert.True(duties.Single(d => d.Id == "access-review").FourEyes);
    }

    [Fact]
    public void Duties_are_a_settings_key_and_bad_entries_list_every_problem()
    {
        var ex = Assert.Throws<InvalidSettingsException>(() => IsmsSettings.Parse("""
            {"duties":[
              {"id":"a","title":"A","controls":["SOC2 CC6.2"],"cadence":"quarterly","firstDue":"2026-12-31"},
              {"id":"a","title":"A again","controls":["SOC2 CC6.2"],"cadence":"fortnightly","firstDue":"31/12/2026","remindBefore":["3 days"],"overdueSeverity":"URGENT"},
              {"id":"Bad Id","title":"","controls":[],"cadence":"monthly","firstDue":"2026-12-31"}
            ]}
            """));
        Assert.Contains(ex.Errors, e => e.Contains("duplicate duty id", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("cadence 'fortnightly'", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("firstDue", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("remindBefore '3 days'", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("overdueSeverity", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("duties[Bad Id]: id", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("controls must list", StringComparison.Ordinal));

        var parsed = IsmsSettings.Parse("""{"duties":[{"id":"dr-drill","title":"DR drill","controls":["SOC2 A1.3"],"cadence":"P6M","firstDue":"2027-06-30","fourEyes":true,"author":"cto@qwestly.example"}]}""");
        var duty = Assert.Single(parsed.Duties);
        Assert.Equal(("P6M", true, "cto@qwestly.example"), (duty.Cadence, duty.FourEyes, duty.Author));
    }

    [Fact]
    public void A_period_spec_carries_reminders_inside_its_window()
    {
        var duty = IsmsSettings.Default.Duties.Single(d => d.Id == "access-review");
        var spec = DutyRules.SpecFor(duty, 0, "123456789012", "eu-west-1", "", "https://status.example");
        Assert.Equal(("duty.access-review", "access-review", "2026-12-31"), (spec.Kind, spec.Subject, spec.Period));
        Assert.Equal(At("2026-09-30T23:59:59.999Z"), spec.OpensAt);
        Assert.Equal([At("2026-12-17T23:59:59.999Z"), At("2026-12-28T23:59:59.999Z")], spec.Reminders.ToArray());
        var daily = DutyRules.SpecFor(IsmsSettings.Default.Duties.Single(d => d.Id == "fault-log-review"), 5, "a", "r", "", "https://s");
        Assert.Equal([daily.DueAt.AddHours(-6)], daily.Reminders.ToArray());
    }

    [Fact]
    public void Settings_json_leaves_the_default_duties_out_so_the_function_environment_stays_under_4_KB_and_round_trips()
    {
        var json = IsmsSettings.Default.ToJson();
        Assert.DoesNotContain("\"duties\"", json, StringComparison.Ordinal);
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(json) < 3000, $"ISMS_SETTINGS is {json.Length} bytes");
        Assert.Equal(IsmsSettings.Default.Duties.Select(d => d.Id), IsmsSettings.Parse(json).Duties.Select(d => d.Id));

        var custom = new IsmsSettings { Duties = [new DutyDefinition { Id = "dr-drill", Title = "DR drill", Controls = ["SOC2 A1.3"], Cadence = "P6M", FirstDue = "2027-06-30" }] };
        Assert.Equal("dr-drill", Assert.Single(IsmsSettings.Parse(custom.ToJson()).Duties).Id);
    }
}

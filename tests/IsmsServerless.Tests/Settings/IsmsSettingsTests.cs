using IsmsServerless.Model;
using IsmsServerless.Settings;

namespace IsmsServerless.Tests.Settings;

public sealed class IsmsSettingsTests
{
    [Fact]
    public void Keys_left_out_keep_their_defaults()
    {
        var settings = IsmsSettings.Parse("""{"environment":"staging"}""");
        Assert.Equal("staging", settings.Environment);
        Assert.Equal(TimeSpan.FromDays(7), settings.SlaFor(Severity.Critical));
        Assert.Equal(0.5, settings.AtRiskShare);
        Assert.NotEmpty(settings.EmergencyRoleNames);
    }

    [Fact]
    public void Sla_days_are_configurable()
    {
        var settings = IsmsSettings.Parse("""{"slaDays":{"CRITICAL":3,"HIGH":14}}""");
        Assert.Equal(TimeSpan.FromDays(3), settings.SlaFor(Severity.Critical));
        Assert.Null(settings.SlaFor(Severity.Low));
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var ex = Assert.Throws<InvalidSettingsException>(() => IsmsSettings.Parse(
            """{"environment":"dev","atRiskShare":1.5,"slaDays":{"URGENT":0},"approvedIngress":[{"groupId":"sg-1","port":22}],"emergencyRoleNames":["arn:aws:iam::1:role/x"]}"""));
        Assert.Equal(6, ex.Errors.Count);
    }

    [Fact]
    public void Unknown_keys_are_refused_so_typos_do_not_silently_fall_back_to_defaults()
    {
        Assert.Throws<System.Text.Json.JsonException>(() => IsmsSettings.Parse("""{"slaDay":{"CRITICAL":3}}"""));
    }

    [Fact]
    public void Settings_round_trip_through_the_environment_variable_form()
    {
        var original = IsmsSettings.Default with { ChangeReviewHours = 12, EmergencyRoleNames = ["Breakglass"] };
        var parsed = IsmsSettings.Parse(original.ToJson());
        Assert.Equal(12, parsed.ChangeReviewHours);
        Assert.Equal(["Breakglass"], parsed.EmergencyRoleNames);
    }
}

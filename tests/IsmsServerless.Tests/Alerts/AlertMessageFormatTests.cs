using IsmsServerless.Alerts;

namespace IsmsServerless.Tests.Alerts;

public sealed class AlertMessageFormatTests
{
    [Fact]
    public void Rendered_text_reads_back_to_the_same_alert()
    {
        var alert = AlertSamples.RootActivity() with { Message = "line one\nline two", Remediation = "1. do this\n2. then that" };
        Assert.True(AlertMessageFormat.TryParse(AlertMessageFormat.Render(alert), out var parsed));
        Assert.Equal(alert, parsed);
    }

    [Fact]
    public void Missing_due_date_and_sla_state_read_back_as_null()
    {
        var alert = AlertSamples.RootActivity() with { DueAt = null, SlaState = null };
        Assert.True(AlertMessageFormat.TryParse(AlertMessageFormat.Render(alert), out var parsed));
        Assert.Null(parsed.DueAt);
        Assert.Null(parsed.SlaState);
    }

    [Fact]
    public void A_resource_id_with_injected_lines_cannot_change_the_alert_id_or_severity()
    {
        var alert = AlertSamples.RootActivity() with { ResourceId = "i-123\nAlert: forged\nSeverity: LOW\nTitle: nothing to see" };
        Assert.True(AlertMessageFormat.TryParse(AlertMessageFormat.Render(alert), out var parsed));
        Assert.Equal("alert-0001", parsed.AlertId);
        Assert.Equal("CRITICAL", parsed.Severity);
        Assert.Equal("Root user activity", parsed.Title);
        Assert.Equal(alert.ResourceId, parsed.ResourceId);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"AlarmName\":\"x\"}")]
    [InlineData("[ISMS] CRITICAL new: no id line")]
    public void Other_text_is_not_taken_for_an_alert(string text) => Assert.False(AlertMessageFormat.TryParse(text, out _));
}

using IsmsServerless.Changes;
using IsmsServerless.Settings;

namespace IsmsServerless.Tests.Settings;

public sealed class ChangeSettingsTests
{
    [Fact]
    public void Reminder_shares_must_be_ascending_fractions_and_prefixes_non_empty()
    {
        Assert.Contains(new IsmsSettings { ChangeReviewReminderShares = [0.9, 0.5] }.Validate(), e => e.Contains("ascending", StringComparison.Ordinal));
        Assert.Contains(new IsmsSettings { ChangeReviewReminderShares = [1.0] }.Validate(), e => e.Contains("changeReviewReminderShares", StringComparison.Ordinal));
        Assert.Contains(new IsmsSettings { EmergencySessionNamePrefixes = [" "] }.Validate(), e => e.Contains("emergencySessionNamePrefixes", StringComparison.Ordinal));
        Assert.Empty(IsmsSettings.Default.Validate());
    }

    [Fact]
    public void Settings_json_configures_the_review_window_and_reminders()
    {
        var settings = IsmsSettings.Parse("""{"changeReviewHours": 12, "changeReviewReminderShares": [0.75], "emergencySessionNamePrefixes": ["bg-"]}""");
        var record = new ChangeRecord
        {
            ChangeId = "chg-000000000000000000000000", Kind = ChangeKind.Emergency, AccountId = "1", Actor = "a", Principal = "p", SessionKey = "k",
            FirstCallAt = DateTimeOffset.UnixEpoch.AddYears(50), LastCallAt = DateTimeOffset.UnixEpoch.AddYears(50),
        };
        var deadline = new ChangeDeadline(settings);
        Assert.Equal(record.FirstCallAt.AddHours(12), deadline.DueAt(record));
        Assert.Equal([record.FirstCallAt.AddHours(9), record.FirstCallAt.AddHours(12).AddTicks(1)], deadline.Timers(record));
        Assert.Equal((ChangeTimerAction.Remind, 1), deadline.Due(record, record.FirstCallAt.AddHours(9)));
        Assert.Equal((ChangeTimerAction.Overdue, 2), deadline.Due(record, record.FirstCallAt.AddHours(13)));
    }
}

using IsmsServerless.Settings;

namespace IsmsServerless.Changes.Jira;

/// <summary>Which changes go to Jira: integration on, and the change's kind among <c>changeManagement.jira.kinds</c>.</summary>
public static class JiraQueue
{
    public static bool Wants(IsmsSettings settings, ChangeRecord record)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(record);
        var jira = settings.ChangeManagement.Jira;
        return jira.Enabled && jira.Kinds.Contains(record.Kind.ToWire(), StringComparer.Ordinal);
    }
}

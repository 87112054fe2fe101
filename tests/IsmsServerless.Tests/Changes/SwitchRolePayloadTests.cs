using System.Text.Json;
using IsmsServerless.Cli;
using IsmsServerless.Engine;
using IsmsServerless.Identity;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Changes;

/// <summary>
/// Issue 19 section 3 on a real console switch-role: the role account's <c>SwitchRole</c> record (signin.amazonaws.com,
/// the person in <c>additionalEventData.SwitchFrom</c>) and its <c>AssumeRole</c> twin (caller only an account, "AWS
/// Internal"), from Fixtures/changes (SOURCES.md), through <c>./isms evaluate</c>.
/// </summary>
public sealed class SwitchRolePayloadTests
{
    internal const string SwitchRole = "changes/raw-signin-switchrole-crossaccount-davxiao.json";
    internal const string AssumeRoleTwin = "changes/raw-sts-assumerole-console-switch-davxiao.json";

    private static IsmsSettings Policy(params string[] bobRoles) => new()
    {
        EmergencyRoleNames = ["assume-admin-role-example"],
        People =
        [
            new Person { Email = "alice@qwestly.example", Name = "Alice", Roles = ["cto"] },
            new Person { Email = "bob@qwestly.example", Name = "Bob", Roles = bobRoles, Principals = new PersonPrincipals { IamUsers = ["bob@example.com"] } },
        ],
    };

    private static List<JsonElement> Evaluate(string relative, IsmsSettings settings)
    {
        var output = new StringWriter();
        Assert.Equal(0, EvaluateCommand.Run([Fixtures.LocalPath(relative)], new EvaluationContext(settings, new FakeTimeProvider(DateTimeOffset.Parse("2020-09-17T20:00:00Z", System.Globalization.CultureInfo.InvariantCulture))),
            RuleEngine.CreateDefault(), output));
        return output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
    }

    private static JsonElement Unauthorized(List<JsonElement> lines) =>
        Assert.Single(lines, l => l.TryGetProperty("ruleId", out var r) && r.GetString() == "change.unauthorized-emergency-access");

    [Fact]
    public void A_console_switch_into_an_emergency_role_by_an_engineer_is_a_CRITICAL_finding_naming_the_person()
    {
        var finding = Unauthorized(Evaluate(SwitchRole, Policy("engineer")));
        Assert.Equal("finding", finding.GetProperty("outcome").GetString());
        Assert.Equal("CRITICAL", finding.GetProperty("severity").GetString());
        var message = finding.GetProperty("message").GetString()!;
        Assert.Contains("bob@qwestly.example", message, StringComparison.Ordinal);
        Assert.Contains("assume-admin-role-example", message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_switch_by_the_CTO_is_compliant()
    {
        Assert.Equal("compliant", Unauthorized(Evaluate(SwitchRole, Policy("cto"))).GetProperty("outcome").GetString());
    }

    [Fact]
    public void The_switch_is_not_judged_when_the_role_is_not_an_emergency_role()
    {
        Assert.DoesNotContain(Evaluate(SwitchRole, Policy("engineer") with { EmergencyRoleNames = ["BreakGlass"] }),
            l => l.TryGetProperty("ruleId", out var r) && r.GetString() == "change.unauthorized-emergency-access");
    }

    [Fact]
    public void The_role_accounts_AssumeRole_twin_of_the_switch_is_judged_on_the_session_name_the_same_way()
    {
        // The role account sees only the caller account ("AWSAccount", "AWS Internal"): the person is the session name,
        // which the console sets to the IAM user name, mapped through people like the SwitchRole record's SwitchFrom.
        var engineer = Unauthorized(Evaluate(AssumeRoleTwin, Policy("engineer")));
        Assert.Equal("finding", engineer.GetProperty("outcome").GetString());
        Assert.Equal("CRITICAL", engineer.GetProperty("severity").GetString());
        Assert.Equal("compliant", Unauthorized(Evaluate(AssumeRoleTwin, Policy("cto"))).GetProperty("outcome").GetString());
    }
}

using System.Text;
using System.Text.Json;
using IsmsServerless.Changes;
using IsmsServerless.Cli;
using IsmsServerless.Engine;
using IsmsServerless.Identity;
using IsmsServerless.Obligations;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Identity;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Changes;

/// <summary>
/// Issue 19: the approval matrix (PROC-002 approval by type), risk classes (Qwestly risk categories), ticket systems and
/// the emergency-authority rule, through <c>./isms review</c>, <c>./isms changes --id</c> and <c>./isms evaluate</c>
/// on DynamoDB Local and real payloads.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class ChangeManagementTests(DynamoDbLocalFixture dynamo)
{
    private static readonly Person Dora = new() { Email = "dora@qwestly.example", Name = "Dora", Roles = ["it-director"] };
    private static readonly Person Alice = new() { Email = "alice@qwestly.example", Name = "Alice", Roles = ["cto"] };
    private static readonly Person Bob = new() { Email = "bob@qwestly.example", Name = "Bob", Roles = ["it-team"] };
    private static readonly Person Zed = new()
    {
        Email = "zed@qwestly.example", Name = "Zed", Roles = ["engineer"], Principals = new PersonPrincipals { RoleSessionNames = ["zed"] },
    };

    private static readonly IsmsSettings Team = new() { People = [Dora, Alice, Bob, Zed] };
    private const string Ticket = "https://qwestly.atlassian.net/browse/OPS-12";

    /// <summary>
    /// Cloud Custodian's real console CreateBucket sample (fixtures/events SOURCES.md) made by Zed's session; for the IAM
    /// variant the service and call are swapped (s3 CreateBucket -> iam CreateRole) to give a security change.
    /// </summary>
    private async Task<(string Table, string ChangeId)> RecordAsync(IsmsSettings settings, bool iam = false)
    {
        var table = await dynamo.NewTableAsync("chgmgmt");
        var text = Encoding.UTF8.GetString(Fixtures.Shared("cloudtrail/eb-api-call-s3-createbucket-assumedrole.json"))
            .Replace("Sandbox_Dev/user\"", "Sandbox_Dev/zed\"", StringComparison.Ordinal)
            .Replace("AROAJCZT7HI7JILHGR6JS:user\"", "AROAJCZT7HI7JILHGR6JS:zed\"", StringComparison.Ordinal);
        if (iam) text = text.Replace("s3.amazonaws.com", "iam.amazonaws.com", StringComparison.Ordinal).Replace("CreateBucket", "CreateRole", StringComparison.Ordinal);
        var call = ChangeClassifier.ToCall(ChangeTestData.Input(Encoding.UTF8.GetBytes(text)), settings)!;
        await new DynamoChangeRegister(dynamo.Client, table, settings).RecordAsync(call);
        return (table, call.ChangeId);
    }

    private async Task<(int Exit, string Output, string Errors)> ReviewAsync(string table, IsmsSettings settings, string changeId, string reviewer,
        string? ticket = Ticket, string verdict = "approved")
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var exit = await ReviewCommand.RunAsync(dynamo.Client, table, settings, new FakeTimeProvider(FourEyesReviewTests.SessionStart.AddHours(2)),
            new ReviewRequest(changeId, reviewer, verdict, ticket), output, errors);
        return (exit, output.ToString(), errors.ToString());
    }

    private async Task<JsonElement> ShowAsync(string table, IsmsSettings settings, string changeId)
    {
        var output = new StringWriter();
        Assert.Equal(0, await ChangesCommand.ShowAsync(dynamo.Client, table, settings, new FakeTimeProvider(FourEyesReviewTests.SessionStart.AddHours(3)),
            changeId, output, new StringWriter()));
        return JsonDocument.Parse(output.ToString()).RootElement.Clone();
    }

    [Theory]
    [InlineData("iam:CreateRole", ChangeRisk.High)]
    [InlineData("kms:ScheduleKeyDeletion", ChangeRisk.High)]
    [InlineData("ec2:AuthorizeSecurityGroupIngress", ChangeRisk.High)]
    [InlineData("ec2:ReplaceNetworkAclEntry", ChangeRisk.High)]
    [InlineData("cloudtrail:StopLogging", ChangeRisk.High)]
    [InlineData("organizations:LeaveOrganization", ChangeRisk.High)]
    [InlineData("s3:PutBucketPolicy", ChangeRisk.Medium)]
    [InlineData("lambda:UpdateFunctionConfiguration20150331v2", ChangeRisk.Medium)]
    [InlineData("s3:CreateBucket", ChangeRisk.Low)]
    [InlineData("ec2:RunInstances", ChangeRisk.Low)]
    public void Risk_classes_follow_the_policy_defaults(string apiName, ChangeRisk expected) =>
        Assert.Equal(expected, ApprovalMatrix.RiskOf(apiName, new ChangeManagementSettings()));

    [Fact]
    public void Risk_classification_is_configurable_in_the_policy()
    {
        var settings = new ChangeManagementSettings { HighRiskCalls = ["s3:PutBucketPolicy"], MediumRiskEventPrefixes = [] };
        Assert.Equal(ChangeRisk.High, ApprovalMatrix.RiskOf("s3:PutBucketPolicy", settings));
        Assert.Equal(ChangeRisk.Low, ApprovalMatrix.RiskOf("iam:CreateRole", settings));
    }

    [Fact]
    public void Invalid_matrix_settings_are_listed()
    {
        var errors = new IsmsSettings
        {
            ChangeManagement = new ChangeManagementSettings
            {
                EmergencyAuthorizedRoles = ["boss"],
                ChangeTypes = [new ChangeTypeRule { Name = "x", Approvers = [] }],
                MinApproversByRisk = new Dictionary<string, int> { ["extreme"] = 0 },
                TicketUrlPatterns = ["(unclosed"],
            },
        }.Validate();
        Assert.Contains(errors, e => e.Contains("unknown role 'boss'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("changeTypes[0].approvers must list", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("changeTypes[0] (x) matches nothing", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("unknown risk 'extreme'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("'(unclosed' is not a regular expression", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_infrastructure_change_needs_the_IT_director_and_review_refuses_anyone_else_naming_the_missing_role()
    {
        var (table, changeId) = await RecordAsync(Team);
        var (exit, _, errors) = await ReviewAsync(table, Team, changeId, "bob@qwestly.example");
        Assert.Equal(1, exit);
        Assert.Contains("NotAnApprover", errors, StringComparison.Ordinal);
        Assert.Contains("Still missing: it-director", errors, StringComparison.Ordinal);
        var (ok, output, _) = await ReviewAsync(table, Team, changeId, "dora@qwestly.example");
        Assert.Equal(0, ok);
        var view = JsonDocument.Parse(output).RootElement;
        Assert.Equal("dora@qwestly.example", view.GetProperty("reviewer").GetString());
        Assert.Equal("low", view.GetProperty("risk").GetString());
        Assert.Equal("infrastructure", view.GetProperty("changeType").GetString());
        Assert.Equal("nothing", view.GetProperty("missingApprovals").GetString());
    }

    [Fact]
    public async Task A_high_risk_security_change_needs_the_IT_director_the_CTO_and_a_third_person_each_recorded_and_the_obligation_closes_only_then()
    {
        var (table, changeId) = await RecordAsync(Team, iam: true);
        var obligations = new DynamoObligationStore(dynamo.Client, table, Team);
        var obligationId = ChangeReviewObligations.IdOf(changeId);

        var (first, output, _) = await ReviewAsync(table, Team, changeId, "dora@qwestly.example");
        Assert.Equal(0, first);
        var partial = JsonDocument.Parse(output).RootElement;
        Assert.False(partial.TryGetProperty("reviewer", out _));
        Assert.Equal("high", partial.GetProperty("risk").GetString());
        Assert.Equal("cto, 1 more team member", partial.GetProperty("missingApprovals").GetString());
        Assert.False((await obligations.GetAsync(obligationId))!.Done);

        // One person, one slot.
        var (again, _, againErrors) = await ReviewAsync(table, Team, changeId, "Dora@Qwestly.example");
        Assert.Equal(1, again);
        Assert.Contains("already approved", againErrors, StringComparison.Ordinal);
        // Four-eyes per approver: the author may not approve.
        var (self, _, selfErrors) = await ReviewAsync(table, Team, changeId, "zed");
        Assert.Equal(1, self);
        Assert.Contains("SelfReview", selfErrors, StringComparison.Ordinal);

        Assert.Equal(0, (await ReviewAsync(table, Team, changeId, "alice@qwestly.example")).Exit);
        Assert.False((await obligations.GetAsync(obligationId))!.Done);
        var (last, lastOutput, _) = await ReviewAsync(table, Team, changeId, "bob@qwestly.example", "https://qwestly.freshdesk.com/a/tickets/881");
        Assert.Equal(0, last);
        Assert.Equal("bob@qwestly.example", JsonDocument.Parse(lastOutput).RootElement.GetProperty("reviewer").GetString());
        Assert.True((await obligations.GetAsync(obligationId))!.Done);

        var detail = await ShowAsync(table, Team, changeId);
        var approvals = detail.GetProperty("approvals").EnumerateArray().Select(a => (a.GetProperty("approver").GetString(), a.GetProperty("role").GetString())).ToList();
        Assert.Equal([("dora@qwestly.example", "it-director"), ("alice@qwestly.example", "cto"), ("bob@qwestly.example", ApprovalMatrix.TeamMember)], approvals);
        Assert.Equal<string>(["it-director", "cto"], detail.GetProperty("requiredRoles").EnumerateArray().Select(r => r.GetString()!).ToList());
        Assert.Equal(3, detail.GetProperty("minApprovers").GetInt32());
        var call = Assert.Single(detail.GetProperty("calls").EnumerateArray().ToList());
        Assert.Equal("CreateRole", call.GetProperty("eventName").GetString());
        Assert.False(string.IsNullOrEmpty(call.GetProperty("sourceIp").GetString()));
        Assert.True(call.TryGetProperty("resources", out _));
    }

    [Fact]
    public async Task Tickets_must_point_at_a_configured_ticket_system_and_approvals_need_one_unless_waived()
    {
        var strict = Team with { ChangeManagement = new ChangeManagementSettings { TicketUrlPatterns = ChangeManagementSettings.JiraAndFreshdesk, TicketRequiredForApproval = true } };
        var (table, changeId) = await RecordAsync(strict);
        var (noTicket, _, noTicketErrors) = await ReviewAsync(table, strict, changeId, "dora@qwestly.example", ticket: null);
        Assert.Equal(1, noTicket);
        Assert.Contains("an approval needs a ticket link", noTicketErrors, StringComparison.Ordinal);
        var (elsewhere, _, elsewhereErrors) = await ReviewAsync(table, strict, changeId, "dora@qwestly.example", "https://jira.example/browse/OPS-1");
        Assert.Equal(1, elsewhere);
        Assert.Contains("not a link into one of the policy's ticket systems", elsewhereErrors, StringComparison.Ordinal);
        var (hostile, _, _) = await ReviewAsync(table, strict, changeId, "dora@qwestly.example", "https://qwestly.atlassian.net/browse/OPS-1?<script>");
        Assert.Equal(1, hostile);
        Assert.Equal(0, (await ReviewAsync(table, strict, changeId, "dora@qwestly.example", Ticket)).Exit);

        var waived = Team with { ChangeManagement = new ChangeManagementSettings { TicketUrlPatterns = ChangeManagementSettings.JiraAndFreshdesk, TicketRequiredForApproval = false } };
        var (table2, changeId2) = await RecordAsync(waived);
        Assert.Equal(0, (await ReviewAsync(table2, waived, changeId2, "dora@qwestly.example", ticket: null)).Exit);
    }

    [Fact]
    public async Task Changes_id_json_encodes_a_hostile_id_and_refuses_it()
    {
        var table = await dynamo.NewTableAsync("chgmgmt");
        var errors = new StringWriter();
        var exit = await ChangesCommand.ShowAsync(dynamo.Client, table, Team, TimeProvider.System, "chg-\"<img src=x onerror=alert(1)>\n", new StringWriter(), errors);
        Assert.Equal(1, exit);
        Assert.DoesNotContain("<img", errors.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("\n\"", errors.ToString(), StringComparison.Ordinal);
    }

    // --- Emergency authority ---------------------------------------------------------------------------------------

    private const string AssumeRole = "cloudtrail/sts-assumerole-iamuser-awsdocs.json";

    private static IsmsSettings Emergency(params string[] johnRoles) => new()
    {
        EmergencyRoleNames = ["EC2-dev", "BreakGlass"],
        People =
        [
            Alice,
            new Person { Email = "john@qwestly.example", Name = "John", Roles = johnRoles, Principals = new PersonPrincipals { IamUsers = ["JohnDoe"] } },
        ],
    };

    private static List<JsonElement> Evaluate(string path, IsmsSettings settings)
    {
        var output = new StringWriter();
        Assert.Equal(0, EvaluateCommand.Run([path], new EvaluationContext(settings, new FakeTimeProvider(DateTimeOffset.Parse("2014-07-18T16:00:00Z", System.Globalization.CultureInfo.InvariantCulture))),
            RuleEngine.CreateDefault(), output));
        return output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
    }

    [Fact]
    public void Evaluate_prints_a_CRITICAL_finding_when_an_unauthorised_person_assumes_an_emergency_role()
    {
        var lines = Evaluate(Fixtures.SharedPath(AssumeRole), Emergency("engineer"));
        var finding = Assert.Single(lines, l => l.GetProperty("ruleId").GetString() == "change.unauthorized-emergency-access");
        Assert.Equal("finding", finding.GetProperty("outcome").GetString());
        Assert.Equal("CRITICAL", finding.GetProperty("severity").GetString());
        Assert.StartsWith("chg-", finding.GetProperty("resourceId").GetString(), StringComparison.Ordinal);
        Assert.Contains("john@qwestly.example", finding.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_CTO_or_a_person_the_policy_names_may_assume_the_emergency_role()
    {
        var cto = Evaluate(Fixtures.SharedPath(AssumeRole), Emergency("cto"));
        Assert.Equal("compliant", Assert.Single(cto, l => l.GetProperty("ruleId").GetString() == "change.unauthorized-emergency-access").GetProperty("outcome").GetString());
        var named = Emergency("engineer") with { ChangeManagement = new ChangeManagementSettings { EmergencyAuthorizedPeople = ["john@qwestly.example"] } };
        Assert.Equal("compliant", Assert.Single(Evaluate(Fixtures.SharedPath(AssumeRole), named), l => l.GetProperty("ruleId").GetString() == "change.unauthorized-emergency-access").GetProperty("outcome").GetString());
    }

    [Fact]
    public void An_unmapped_principal_is_unauthorised_and_a_role_that_is_not_an_emergency_role_is_not_judged()
    {
        var unmapped = new IsmsSettings { EmergencyRoleNames = ["EC2-dev"] };
        Assert.Equal("finding", Assert.Single(Evaluate(Fixtures.SharedPath(AssumeRole), unmapped), l => l.GetProperty("ruleId").GetString() == "change.unauthorized-emergency-access").GetProperty("outcome").GetString());
        Assert.DoesNotContain(Evaluate(Fixtures.SharedPath(AssumeRole), IsmsSettings.Default),
            l => l.TryGetProperty("ruleId", out var rule) && rule.GetString() == "change.unauthorized-emergency-access");
    }

    [Fact]
    public void SSO_into_a_break_glass_permission_set_is_emergency_access()
    {
        // The AWS-documented AssumeRole record with its role ARN swapped for an IAM Identity Center role of the
        // BreakGlass permission set (AWSReservedSSO_<set>_<16 hex>, the naming AWS documents for SSO roles).
        var path = Path.Combine(Path.GetTempPath(), $"sso-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, File.ReadAllText(Fixtures.SharedPath(AssumeRole)).Replace("role/EC2-dev", "role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_BreakGlass_0123456789abcdef", StringComparison.Ordinal));
        try
        {
            var settings = new IsmsSettings { People = Emergency("engineer").People };
            var finding = Assert.Single(Evaluate(path, settings), l => l.GetProperty("ruleId").GetString() == "change.unauthorized-emergency-access");
            Assert.Equal("finding", finding.GetProperty("outcome").GetString());
            Assert.Contains("AWSReservedSSO_BreakGlass_0123456789abcdef", finding.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

public sealed class ChangeManagementSettingsJsonTests
{
    [Fact]
    public void Settings_json_leaves_default_change_management_keys_out_and_round_trips_the_rest()
    {
        Assert.DoesNotContain("changeManagement", new IsmsSettings().ToJson(), StringComparison.Ordinal);
        var strict = new IsmsSettings { ChangeManagement = new ChangeManagementSettings { TicketUrlPatterns = ChangeManagementSettings.JiraAndFreshdesk, TicketRequiredForApproval = true } };
        var json = strict.ToJson();
        Assert.DoesNotContain("highRiskCalls", json, StringComparison.Ordinal);
        var parsed = IsmsSettings.Parse(json);
        Assert.True(parsed.ChangeManagement.TicketRequiredForApproval);
        Assert.Equal(ChangeManagementSettings.JiraAndFreshdesk, parsed.ChangeManagement.TicketUrlPatterns);
        Assert.Equal(3, parsed.ChangeManagement.ChangeTypes.Count);
    }
}

using System.Text;
using System.Text.Json.Nodes;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Engine;
using IsmsServerless.Identity;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Pipeline;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Drift;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Access;

/// <summary>
/// Leavers (issue 18 section 3): a person with <c>leftAt</c> whose IAM user still exists or holds credentials, or whose
/// principal acts after the leave day, is a CRITICAL access finding with a 24-hour window; Config's deletion of the user
/// resolves it, whatever order the deletion and a late CloudTrail call arrive in. Real payloads: the aws-config-rdk IAM
/// user item (johndoe) and the CloudTrail user guide's console sign-in (anaya).
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class LeaverTests(DynamoDbLocalFixture dynamo)
{
    private readonly RuleEngine _engine = RuleEngine.CreateDefault();

    private static IsmsSettings WithLeaver(string email, string iamUser, string? leftAt) => IsmsSettings.Default with
    {
        People =
        [
            new Person { Email = email, Name = iamUser, Roles = ["engineer"], Principals = new PersonPrincipals { IamUsers = [iamUser] }, LeftAt = leftAt is null ? null : DateOnly.Parse(leftAt, System.Globalization.CultureInfo.InvariantCulture) },
            new Person { Email = "cto@example.com", Name = "CTO", Roles = ["cto"] },
        ],
    };

    private List<Evaluation> Access(byte[] payload, IsmsSettings settings, string at = "2026-11-23T12:00:00Z")
    {
        var result = _engine.Evaluate(payload, TestContexts.At(at, settings));
        Assert.False(result.Rejected, result.Error);
        return result.Evaluations.Where(e => e.Rule.Category == Category.Access).ToList();
    }

    private static byte[] JohndoeItem(Action<JsonObject>? edit = null)
    {
        var item = DriftPayloads.Item("ci-iam-user-rdk.json");
        edit?.Invoke(item["configuration"]!.AsObject());
        return DriftPayloads.ItemChange(item);
    }

    [Fact]
    public void The_user_item_of_a_person_who_left_is_a_critical_access_finding_with_a_one_day_window()
    {
        var e = Assert.Single(Access(JohndoeItem(), WithLeaver("john@example.com", "johndoe", "2016-11-01")));
        Assert.Equal("access.leaver-credentials", e.Rule.Id);
        Assert.Equal(Outcome.Finding, e.Outcome);
        Assert.Equal(Severity.Critical, e.Severity);
        Assert.Equal("access", e.Rule.Category.ToWire());
        Assert.Equal(TimeSpan.FromDays(1), e.Rule.Sla);
        Assert.Equal("arn:aws:iam::112233445566:user/johndoe", e.ResourceId);
        Assert.Equal("john@example.com", e.Evidence["person"]);
        Assert.Contains("still exists", e.Message, StringComparison.Ordinal);
        // The user existed before the leave (createDate 2016-09-22): the clock starts when the access should have been
        // gone (00:00 UTC after the leave day), not at the later capture.
        Assert.Equal(DateTimeOffset.Parse("2016-11-02T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture), e.ClockStart);
    }

    [Fact]
    public void On_the_leave_day_itself_the_access_is_not_yet_a_finding_and_without_a_leaver_the_rule_is_silent()
    {
        var sameDay = Assert.Single(Access(JohndoeItem(), WithLeaver("john@example.com", "johndoe", "2016-11-06")));
        Assert.Equal(Outcome.Compliant, sameDay.Outcome);
        Assert.Empty(Access(JohndoeItem(), WithLeaver("john@example.com", "johndoe", null)));
        Assert.Empty(Access(JohndoeItem(), WithLeaver("someone@example.com", "someone-else", "2016-11-01")));
    }

    [Fact]
    public void An_item_that_lists_credentials_is_judged_on_them_password_or_active_key_open_and_none_resolves()
    {
        var settings = WithLeaver("john@example.com", "johndoe", "2016-11-01");
        var active = Assert.Single(Access(JohndoeItem(c =>
        {
            c["loginProfile"] = null;
            c["accessKeys"] = new JsonArray(new JsonObject { ["accessKeyId"] = "AKIAIOSFODNN7EXAMPLE", ["status"] = "Active" });
        }), settings));
        Assert.Equal(Outcome.Finding, active.Outcome);
        Assert.Contains("active access key AKIAIOSFODNN7EXAMPLE", active.Message, StringComparison.Ordinal);

        var password = Assert.Single(Access(JohndoeItem(c => c["loginProfile"] = new JsonObject { ["createDate"] = "2016-09-22T05:55:07.000Z" }), settings));
        Assert.Equal(Outcome.Finding, password.Outcome);
        Assert.Contains("console password", password.Message, StringComparison.Ordinal);

        var none = Assert.Single(Access(JohndoeItem(c =>
        {
            c["loginProfile"] = null;
            c["accessKeys"] = new JsonArray(new JsonObject { ["accessKeyId"] = "AKIAIOSFODNN7EXAMPLE", ["status"] = "Inactive" });
        }), settings));
        Assert.Equal(Outcome.Compliant, none.Outcome);
        Assert.Equal(active.FindingId, none.FindingId);
    }

    [Fact]
    public void A_principal_of_a_leaver_acting_after_the_leave_day_is_a_critical_finding_and_on_the_day_it_is_not()
    {
        var signIn = Fixtures.Shared("cloudtrail/raw-logfile-consolelogin-iamuser-success-nomfa.json");
        var e = Assert.Single(Access(signIn, WithLeaver("anaya@example.com", "anaya", "2022-11-09")), x => x.Rule.Id == "access.leaver-activity");
        Assert.Equal(Outcome.Finding, e.Outcome);
        Assert.Equal(Severity.Critical, e.Severity);
        Assert.Equal("arn:aws:iam::111122223333:user/anaya", e.ResourceId);
        Assert.Contains("ConsoleLogin", e.Message, StringComparison.Ordinal);
        Assert.Equal(DateTimeOffset.Parse("2022-11-10T16:24:34Z", System.Globalization.CultureInfo.InvariantCulture), e.ClockStart);
        Assert.DoesNotContain(Access(signIn, WithLeaver("anaya@example.com", "anaya", "2022-11-10")), x => x.Rule.Id == "access.leaver-activity");
        // The person's e-mail as a principal name maps too (normalised: case and width folded).
        var settings = WithLeaver("anaya@example.com", "ＡＮＡＹＡ", "2022-11-09");
        Assert.Contains(Access(signIn, settings), x => x.Rule.Id == "access.leaver-activity");
    }

    [Fact]
    public void A_failed_call_of_a_leaver_counts_and_hostile_user_names_are_ignored_without_a_crash()
    {
        var log = JsonNode.Parse(Fixtures.Shared("cloudtrail/raw-logfile-consolelogin-iamuser-success-nomfa.json"))!;
        log["Records"]![0]!["errorMessage"] = "Failed authentication";
        var failed = Assert.Single(Access(Encoding.UTF8.GetBytes(log.ToJsonString()), WithLeaver("anaya@example.com", "anaya", "2022-11-09")), x => x.Rule.Id == "access.leaver-activity");
        Assert.Contains("(failed)", failed.Message, StringComparison.Ordinal);

        var longName = new string('j', 300);
        var settings = WithLeaver("john@example.com", longName, "2016-11-01");
        Assert.Empty(Access(JohndoeItem(c => c["userName"] = longName), settings));
        // Format and control characters in a name: evaluated (not rejected, no crash); the leaver still matches after
        // normalisation strips the right-to-left override.
        var hostile = Access(JohndoeItem(c => c["userName"] = "\u202Ejohndoe"), WithLeaver("john@example.com", "johndoe", "2016-11-01"));
        Assert.Contains(hostile, e => e.Rule.Id == "access.leaver-credentials" && e.Outcome == Outcome.Finding);
    }

    [Fact]
    public async Task Deletion_of_the_user_resolves_both_findings_in_either_order_even_when_the_cloudtrail_call_arrives_last()
    {
        var settings = WithLeaver("john@example.com", "johndoe", "2016-11-01");
        var context = TestContexts.At("2016-11-09T12:00:00Z", settings);
        var item = DriftPayloads.ItemChange(DriftPayloads.Item("ci-iam-user-rdk.json"));
        var deleted = DriftPayloads.Item("ci-iam-user-rdk.json");
        deleted["configurationItemCaptureTime"] = "2016-11-08T09:00:00.000Z";
        deleted["configurationItemStatus"] = "ResourceDeleted";
        deleted["configuration"] = null;
        var deletion = DriftPayloads.ItemChange(deleted, changeType: "DELETE");
        var call = JohndoeSignIn("2016-11-07T10:00:00Z");
        (string Name, byte[] Bytes)[] set = [("item", item), ("call", call), ("deleted", deletion)];
        int[][] orders = [[0, 1, 2], [2, 1, 0], [0, 2, 1], [2, 0, 1], [1, 2, 0]];
        foreach (var order in orders)
        {
            var table = await dynamo.NewTableAsync("leaver");
            var ledger = new DynamoDbFindingLedger(dynamo.Client, table, settings);
            var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), InputEnrichers.Default(dynamo.Client, table), ledger);
            foreach (var i in order)
            {
                var result = await pipeline.ProcessAsync(set[i].Bytes, context);
                Assert.False(result.Engine.Rejected, $"{set[i].Name}: {result.Engine.Error}");
            }
            var metas = await Metas(table);
            var names = string.Join(",", order.Select(i => set[i].Name));
            foreach (var rule in new[] { "access.leaver-credentials", "access.leaver-activity" })
            {
                var meta = Assert.Single(metas, m => m["ruleId"].S == rule);
                Assert.True(meta["status"].S == "resolved", $"{rule} is {meta["status"].S} after {names}");
            }
        }
    }

    [Fact]
    public async Task A_call_after_the_leave_day_stays_open_until_config_shows_the_user_gone()
    {
        var settings = WithLeaver("john@example.com", "johndoe", "2016-11-01");
        var context = TestContexts.At("2016-11-09T12:00:00Z", settings);
        var table = await dynamo.NewTableAsync("leaver-open");
        var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), InputEnrichers.Default(dynamo.Client, table), new DynamoDbFindingLedger(dynamo.Client, table, settings));
        await pipeline.ProcessAsync(JohndoeSignIn("2016-11-07T10:00:00Z"), context);
        var meta = Assert.Single(await Metas(table), m => m["ruleId"].S == "access.leaver-activity");
        Assert.Equal("open", meta["status"].S);
        Assert.Equal("CRITICAL", meta["severity"].S);
    }

    /// <summary>The CloudTrail user guide's console sign-in (anaya) as johndoe of the RDK item's account, at <paramref name="at"/>.</summary>
    private static byte[] JohndoeSignIn(string at)
    {
        var log = JsonNode.Parse(Fixtures.Shared("cloudtrail/raw-logfile-consolelogin-iamuser-success-nomfa.json"))!;
        var record = log["Records"]![0]!.AsObject();
        var identity = record["userIdentity"]!.AsObject();
        identity["userName"] = "johndoe";
        identity["accountId"] = "112233445566";
        identity["arn"] = "arn:aws:iam::112233445566:user/johndoe";
        record["recipientAccountId"] = "112233445566";
        record["eventTime"] = at;
        return Encoding.UTF8.GetBytes(log.ToJsonString());
    }

    private async Task<List<Dictionary<string, AttributeValue>>> Metas(string table)
    {
        var scan = await dynamo.Client.ScanAsync(new ScanRequest { TableName = table });
        // Finding items as readers see them (issue 20: the stored item keeps ruleId in its GSI2 key, message and evidence compressed).
        return scan.Items.Select(i => IsmsServerless.Ledger.FindingItemLayout.TryExpand(i, out var full, out _) ? full : i).Where(i => i.TryGetValue("SK", out var sk) && sk.S == "META" && i.ContainsKey("ruleId") && i["ruleId"].S.StartsWith("access.", StringComparison.Ordinal)).ToList();
    }
}

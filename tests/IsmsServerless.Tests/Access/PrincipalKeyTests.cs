using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Access;
using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Identity;
using IsmsServerless.Inputs;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Pipeline;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Drift;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Access;

/// <summary>
/// Issue 18, credential facts keyed by user: an IAM user with a path (<c>arn:aws:iam::070411556318:user/division/team/alice</c>)
/// is one principal whether CloudTrail names it by <c>userIdentity.arn</c> (with the path) or by
/// <c>requestParameters.userName</c> (without), and whether Config's item or a leaver rule names it. Real payloads: the
/// aws-config-rdk user item and the stratus-red-team CreateLoginProfile record (Fixtures/drift, SOURCES.md), edited to a
/// user with a path as stated in each test. DynamoDB Local.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class PrincipalKeyTests(DynamoDbLocalFixture dynamo)
{
    private const string Account = "070411556318";
    private const string PathArn = "arn:aws:iam::070411556318:user/division/team/alice";
    private const string Key = "arn:aws:iam::070411556318:user/alice";

    [Theory]
    [InlineData(PathArn, Key)]
    [InlineData(Key, Key)]
    [InlineData("arn:aws-us-gov:iam::070411556318:user/a/b/c/bob@example.com", "arn:aws-us-gov:iam::070411556318:user/bob@example.com")]
    // Roles keep their path (Config and a session's issuer both spell it); root, groups and other services are untouched.
    [InlineData("arn:aws:iam::070411556318:role/service-role/config-role", "arn:aws:iam::070411556318:role/service-role/config-role")]
    [InlineData("arn:aws:iam::070411556318:root", "arn:aws:iam::070411556318:root")]
    [InlineData("arn:aws:iam::070411556318:group/Admins", "arn:aws:iam::070411556318:group/Admins")]
    [InlineData("arn:aws:s3:::user/division/alice", "arn:aws:s3:::user/division/alice")]
    // Hostile or broken: nothing is invented; the ARN stays as given (and so matches no real user).
    [InlineData("arn:aws:iam::070411556318:user/", "arn:aws:iam::070411556318:user/")]
    [InlineData("arn:aws:iam::070411556318:user/division/ali ce", "arn:aws:iam::070411556318:user/division/ali ce")]
    [InlineData("arn:aws:iam::070411556318:user/division/<script>", "arn:aws:iam::070411556318:user/division/<script>")]
    [InlineData("not an arn", "not an arn")]
    public void One_key_per_principal(string given, string expected) => Assert.Equal(expected, ResourceKeys.Principal(given));

    [Fact]
    public void Config_keys_a_user_with_a_path_as_cloudtrail_names_it()
    {
        Assert.Equal(Key, ResourceKeys.For(PathArn, "AWS::IAM::User", "AIDAILEDWOGIPJFAKOJKW"));
        Assert.Equal(ResourceKeys.IamUser(Account, "alice"), ResourceKeys.For(PathArn, "AWS::IAM::User", "AIDAILEDWOGIPJFAKOJKW"));
        Assert.Equal("arn:aws:iam::070411556318:role/service-role/x", ResourceKeys.For("arn:aws:iam::070411556318:role/service-role/x", "AWS::IAM::Role", "AROA"));
    }

    /// <summary>The rdk user item as alice of <see cref="Account"/>, with the path <c>/division/team/</c> (EDITED: names, account, path).</summary>
    internal static JsonObject AliceItem()
    {
        var user = DriftPayloads.Item("ci-iam-user-rdk.json");
        user["awsAccountId"] = Account;
        user["ARN"] = PathArn;
        user["resourceName"] = "alice";
        var c = user["configuration"]!.AsObject();
        c["userName"] = "alice";
        c["path"] = "/division/team/";
        c["arn"] = PathArn;
        return user;
    }

    /// <summary>The stratus CreateLoginProfile record made by alice herself (EDITED: userIdentity and userName): CloudTrail spells her ARN with the path, the request names her only.</summary>
    private static byte[] AliceGivesHerselfAPassword(string userName = "alice") => DriftPayloads.ApiCall("raw-iam-create-login-profile-stratus.json", record =>
    {
        var identity = record["userIdentity"]!.AsObject();
        identity["arn"] = PathArn;
        identity["userName"] = "alice";
        record["requestParameters"]!["userName"] = userName;
        record["responseElements"]!["loginProfile"]!["userName"] = userName;
    });

    [Fact]
    public async Task Activity_and_credentials_of_a_user_with_a_path_land_on_one_principal()
    {
        AccessActivityStore.ForgetProcessMemory();
        var table = await dynamo.NewTableAsync("principal-key");
        var settings = IsmsSettings.Default;
        var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), InputEnrichers.Default(dynamo.Client, table), new DynamoDbFindingLedger(dynamo.Client, table, settings));
        var context = TestContexts.At("2024-08-02T12:00:00Z", settings);

        Assert.False((await pipeline.ProcessAsync(DriftPayloads.ItemChange(AliceItem(), account: Account), context)).Engine.Rejected);
        Assert.False((await pipeline.ProcessAsync(AliceGivesHerselfAPassword(), context)).Engine.Rejected);

        var inventory = await new AccessInventoryService(dynamo.Client, table, settings).ReadAsync();
        var alice = Assert.Single(inventory.Principals, p => p.Kind == "user");
        Assert.Equal(Key, alice.Key);
        Assert.Equal("/division/team/", alice.Path);
        // Both facts: her last activity (from userIdentity.arn, with the path) and her password (from userName, without).
        Assert.Equal(DateTimeOffset.Parse("2024-08-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture), alice.Activity!.LastSeenAt);
        Assert.True(alice.Activity.LoginProfile);

        // Any spelling reads the same item.
        var store = new AccessActivityStore(dynamo.Client, table);
        Assert.Equal(Key, (await store.GetAsync(PathArn))!.PrincipalKey);
        Assert.True((await store.GetAsync(PathArn))!.LoginProfile);
        Assert.Single(await store.ReadAllAsync());
    }

    [Fact]
    public async Task Items_written_under_the_path_before_the_fix_merge_into_the_one_principal()
    {
        var table = await dynamo.NewTableAsync("principal-legacy");
        // What the recorder wrote before: last activity under CloudTrail's ARN (with the path), the password under the name.
        await dynamo.Client.PutItemAsync(new PutItemRequest
        {
            TableName = table,
            Item = new Dictionary<string, AttributeValue>
            {
                ["PK"] = new() { S = AccessActivityStore.PartitionPrefix + PathArn }, ["SK"] = new() { S = AccessActivityStore.ActivitySort },
                ["GSI1PK"] = new() { S = AccessActivityStore.IndexPartition }, ["GSI1SK"] = new() { S = PathArn },
                ["principalKey"] = new() { S = PathArn }, ["lastSeenDay"] = new() { S = "2024-08-05" }, ["lastSeenAt"] = new() { S = "2024-08-05T00:00:00.000Z" },
            },
        });
        var store = new AccessActivityStore(dynamo.Client, table);
        Assert.True(await store.RecordCredentialAsync(Key, "loginProfile", "true", DateTimeOffset.Parse("2024-08-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.True(await store.RecordSeenAsync(Key, DateTimeOffset.Parse("2024-08-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture), "x:Earlier"));

        var all = await store.ReadAllAsync();
        var merged = Assert.Single(all);
        Assert.Equal(Key, merged.Key);
        Assert.Equal(DateTimeOffset.Parse("2024-08-05T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture), merged.Value.LastSeenAt); // the later day
        Assert.True(merged.Value.LoginProfile);
    }

    [Theory]
    [InlineData("division/team/alice")] // a path in a name would alias another user once the key drops the path
    [InlineData("alice\n")]
    [InlineData("ali ce")]
    [InlineData("<img src=x onerror=alert(1)>")]
    [InlineData("")]
    public void A_request_naming_no_possible_iam_user_records_no_credential_fact(string userName)
    {
        var call = (CloudTrailInput)Assert.Single(RuleEngine.CreateDefault().Adapt(AliceGivesHerselfAPassword(userName), TestContexts.At("2024-08-02T12:00:00Z")).Inputs);
        // An empty userName falls back to the caller (an IAM user managing itself), which is alice: that is a fact about alice.
        if (userName.Length == 0) Assert.Equal(Key, AccessActivityRecorder.CredentialFact(call)!.Value.UserKey);
        else Assert.Null(AccessActivityRecorder.CredentialFact(call));
    }

    [Fact]
    public void A_request_naming_a_user_by_name_keys_the_fact_as_config_keys_the_user()
    {
        var call = (CloudTrailInput)Assert.Single(RuleEngine.CreateDefault().Adapt(AliceGivesHerselfAPassword("bob@example.com"), TestContexts.At("2024-08-02T12:00:00Z")).Inputs);
        Assert.Equal(("arn:aws:iam::070411556318:user/bob@example.com", "loginProfile", "true"), AccessActivityRecorder.CredentialFact(call));
        Assert.Equal(Key, AccessInventory.ActingPrincipal(call));
    }

    [Fact]
    public async Task A_leaver_with_a_path_is_resolved_when_config_shows_the_user_deleted()
    {
        var settings = IsmsSettings.Default with
        {
            People =
            [
                new Person { Email = "alice@example.com", Name = "Alice", Roles = ["engineer"], Principals = new PersonPrincipals { IamUsers = ["alice"] }, LeftAt = new DateOnly(2024, 7, 1) },
                new Person { Email = "cto@example.com", Name = "CTO", Roles = ["cto"] },
            ],
        };
        // The leaver's identity resolves from any of the three spellings.
        Assert.All(new[] { PathArn, Key, "alice" }, name => Assert.Equal("alice@example.com", Leavers.ForName(settings, name)?.Email));

        var table = await dynamo.NewTableAsync("leaver-path");
        var ledger = new DynamoDbFindingLedger(dynamo.Client, table, settings);
        var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), InputEnrichers.Default(dynamo.Client, table), ledger);
        var context = TestContexts.At("2024-08-02T12:00:00Z", settings);
        await pipeline.ProcessAsync(DriftPayloads.ItemChange(AliceItem(), account: Account), context);
        await pipeline.ProcessAsync(AliceGivesHerselfAPassword(), context); // acts after leaving, and gives herself a password

        var credentials = FindingIdentity.Compute("access.leaver-credentials", Account, "global", Key, "");
        var activity = FindingIdentity.Compute("access.leaver-activity", Account, "global", Key, "");
        Assert.Equal(FindingStatus.Open, (await ledger.GetAsync(credentials))!.Status);
        Assert.Equal(FindingStatus.Open, (await ledger.GetAsync(activity))!.Status);

        // Config reports the user (named by its ARN with the path) deleted: both findings on her resolve.
        var deleted = AliceItem();
        deleted["configurationItemCaptureTime"] = "2024-08-02T09:00:00.000Z";
        deleted["configurationItemStatus"] = "ResourceDeleted";
        deleted["configuration"] = null;
        await pipeline.ProcessAsync(DriftPayloads.ItemChange(deleted, changeType: "DELETE", account: Account), context);
        Assert.Equal(FindingStatus.Resolved, (await ledger.GetAsync(credentials))!.Status);
        Assert.Equal(FindingStatus.Resolved, (await ledger.GetAsync(activity))!.Status);
    }
}

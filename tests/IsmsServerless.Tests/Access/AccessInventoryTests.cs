using System.Text.Json;
using System.Text.Json.Nodes;
using IsmsServerless.Access;
using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Pipeline;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Drift;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Access;

/// <summary>
/// The access inventory (issue 18 section 1): IAM users, groups, roles and policies from the stored Config items (real
/// aws-config-rdk items), admin-level rights with their path, external trust marked against <c>access.internalAccounts</c>,
/// and per principal the last activity and credential facts from ingested CloudTrail calls (real stratus-red-team record),
/// written at most once a day per principal. DynamoDB Local.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class AccessInventoryTests(DynamoDbLocalFixture dynamo)
{
    private static StoredConfiguration Stored(JsonObject item)
    {
        using var doc = JsonDocument.Parse(item.ToJsonString());
        var root = doc.RootElement;
        var type = root.GetProperty("resourceType").GetString()!;
        var id = root.GetProperty("resourceId").GetString()!;
        var arn = (root.TryGetProperty("ARN", out var a) ? a : root.GetProperty("arn")).GetString();
        return new StoredConfiguration
        {
            ResourceKey = ResourceKeys.For(arn, type, id),
            ResourceType = type,
            ResourceId = id,
            Arn = arn,
            ResourceName = root.GetProperty("resourceName").GetString(),
            AccountId = (root.TryGetProperty("awsAccountId", out var acct) ? acct : root.GetProperty("accountId")).GetString()!,
            Region = "global",
            Configuration = root.GetProperty("configuration").Clone(),
        };
    }

    /// <summary>The rdk role item with its trust policy edited to trust another account and a vendor's OIDC provider, URL-encoded as live Config items deliver it.</summary>
    private static JsonObject RoleTrusting(params string[] awsPrincipals)
    {
        var role = DriftPayloads.Item("ci-iam-role-rdk.json");
        var trust = new JsonObject
        {
            ["Version"] = "2012-10-17",
            ["Statement"] = new JsonArray(new JsonObject
            {
                ["Effect"] = "Allow",
                ["Principal"] = new JsonObject { ["AWS"] = new JsonArray(awsPrincipals.Select(p => (JsonNode)p).ToArray()), ["Federated"] = "arn:aws:iam::264683526309:oidc-provider/token.actions.githubusercontent.com" },
                ["Action"] = "sts:AssumeRole",
            }),
        };
        role["configuration"]!["assumeRolePolicyDocument"] = Uri.EscapeDataString(trust.ToJsonString());
        return role;
    }

    [Fact]
    public void Build_marks_admin_rights_with_their_path_and_external_trust()
    {
        var user = Stored(DriftPayloads.Item("ci-iam-user-rdk.json"));
        var role = Stored(RoleTrusting("arn:aws:iam::999988887777:root", "arn:aws:iam::264683526309:role/ci"));
        var policyItem = DriftPayloads.Item("ci-iam-policy-rdk.json");
        // The same customer policy, its default version granting iam:PassRole on * (an escalation path).
        policyItem["configuration"]!["policyVersionList"]![0]!["document"]![0]!["Statement"]![0]!["Action"] = new JsonArray("iam:PassRole");
        var policy = Stored(policyItem);

        var inventory = AccessInventory.Build([user, role, policy], new Dictionary<string, PrincipalActivity>(), new HashSet<string> { "264683526309" });

        var johndoe = inventory.Find("arn:aws:iam::112233445566:user/johndoe")!;
        Assert.Equal("user", johndoe.Kind);
        Assert.Contains("AdministratorAccess (attached AdministratorAccess)", johndoe.AdminVia);
        Assert.Equal(["MyTestGroup"], johndoe.Groups);
        Assert.Contains(johndoe.Policies, p => p.Inline && p.Name == "policygen-johndoe-201611060951" && p.AdminGrants.Count == 0);

        var ci = inventory.Find("arn:aws:iam::264683526309:role/service-role/config-role-ezcrc2")!;
        Assert.True(ci.External);
        Assert.Contains(ci.ExternalTrusts, t => t.Kind == "account" && t.AccountId == "999988887777");
        Assert.DoesNotContain(ci.ExternalTrusts, t => t.Principal.EndsWith(":role/ci", StringComparison.Ordinal)); // internal account
        Assert.Contains(ci.ExternalTrusts, t => t.Kind == "federated");                                             // vendor IdP
        Assert.Contains("iam:PassRole (attached ELB-policy)", ci.AdminVia);                                        // customer policy's default version

        var view = Assert.Single(inventory.Policies);
        Assert.Equal(["iam:PassRole"], view.AdminGrants);
        // The rdk user item attaches the same policy ARN (the published sample mixes two accounts' ids): both are listed.
        Assert.Equal([johndoe.Key, ci.Key], view.AttachedTo);
        Assert.Contains("iam:PassRole (attached ELB-policy)", johndoe.AdminVia);
    }

    [Fact]
    public void A_service_trusted_role_is_not_external_and_holds_no_admin()
    {
        var role = Stored(DriftPayloads.Item("ci-iam-role-rdk.json"));
        var inventory = AccessInventory.Build([role], new Dictionary<string, PrincipalActivity>(), new HashSet<string>());
        var p = Assert.Single(inventory.Principals);
        Assert.False(p.External);
        Assert.False(p.Admin);
        Assert.True(p.HoldsPermissions);
    }

    [Fact]
    public void Unknown_and_malformed_items_are_left_out()
    {
        var bucket = Stored(DriftPayloads.Item("ci-iam-user-rdk.json")) with { ResourceType = "AWS::S3::Bucket" };
        var empty = Stored(DriftPayloads.Item("ci-iam-user-rdk.json")) with { Configuration = default };
        Assert.Empty(AccessInventory.Build([bucket, empty], new Dictionary<string, PrincipalActivity>(), new HashSet<string>()).Principals);
    }

    [Fact]
    public async Task Pipeline_keeps_the_iam_picture_and_last_activity_once_a_day()
    {
        AccessActivityStore.ForgetProcessMemory();
        var table = await dynamo.NewTableAsync("access-inv");
        var settings = IsmsSettings.Default;
        var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), InputEnrichers.Default(dynamo.Client, table), new DynamoDbFindingLedger(dynamo.Client, table, settings));
        var context = TestContexts.At("2026-11-23T12:00:00Z", settings);

        // The Config item of a user named like the stratus record's target, in the record's account.
        var user = DriftPayloads.Item("ci-iam-user-rdk.json");
        user["awsAccountId"] = "070411556318";
        user["ARN"] = "arn:aws:iam::070411556318:user/stratus-red-team-login-profile-user";
        user["resourceName"] = "stratus-red-team-login-profile-user";
        user["configuration"]!["userName"] = "stratus-red-team-login-profile-user";
        user["configuration"]!["arn"] = "arn:aws:iam::070411556318:user/stratus-red-team-login-profile-user";
        await pipeline.ProcessAsync(DriftPayloads.ItemChange(user, account: "070411556318"), context);
        await pipeline.ProcessAsync(DriftPayloads.ItemChange(DriftPayloads.Item("ci-iam-role-rdk.json")), context);

        // christophe gives the user a console password (real record).
        await pipeline.ProcessAsync(DriftPayloads.ApiCall("raw-iam-create-login-profile-stratus.json"), context);

        var inventory = await new AccessInventoryService(dynamo.Client, table, settings).ReadAsync();
        var target = inventory.Find("arn:aws:iam::070411556318:user/stratus-red-team-login-profile-user")!;
        Assert.True(target.Admin);
        Assert.True(target.Activity!.LoginProfile);
        Assert.Contains(inventory.Principals, p => p.Kind == "role");
        var activity = await new AccessActivityStore(dynamo.Client, table).GetAsync("arn:aws:iam::070411556318:user/christophe");
        Assert.Equal(DateTimeOffset.Parse("2024-08-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture), activity!.LastSeenAt); // day precision

        // Once a day: a later call the same day writes nothing; an older day never moves it back; the next day does.
        var store = new AccessActivityStore(dynamo.Client, table);
        const string Key = "arn:aws:iam::070411556318:user/christophe";
        Assert.False(await store.RecordSeenAsync(Key, DateTimeOffset.Parse("2024-08-01T20:00:00Z", System.Globalization.CultureInfo.InvariantCulture), "x:Later"));
        AccessActivityStore.ForgetProcessMemory(); // another Lambda: the store's condition still holds
        Assert.False(await store.RecordSeenAsync(Key, DateTimeOffset.Parse("2024-07-30T20:00:00Z", System.Globalization.CultureInfo.InvariantCulture), "x:Older"));
        Assert.True(await store.RecordSeenAsync(Key, DateTimeOffset.Parse("2024-08-02T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture), "x:Next"));
        Assert.Equal(DateTimeOffset.Parse("2024-08-02T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture), (await store.GetAsync(Key))!.LastSeenAt);

        // Credential facts: the latest call wins whatever the order (a delete older than the create is ignored).
        Assert.False(await store.RecordCredentialAsync(target.Key, "loginProfile", "false", DateTimeOffset.Parse("2024-08-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.True((await store.GetAsync(target.Key))!.LoginProfile);
        Assert.True(await store.RecordCredentialAsync(target.Key, "loginProfile", "false", DateTimeOffset.Parse("2024-08-03T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.False((await store.GetAsync(target.Key))!.LoginProfile);
    }
}

using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Drift;

/// <summary>
/// Issue 20: the stored configuration (<c>RESOURCE#&lt;key&gt; / CONFIG</c>) keeps its three JSON texts as one compressed
/// binary attribute with a digest as the tie-break (<see cref="PackedConfiguration"/>). Items written before still read;
/// the order-free guarantees (older captures refused, equal captures decided by content, a deletion marker losing a tie)
/// hold with the new layout; a malformed or inflating blob is a malformed item, not a crash. On DynamoDB Local.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class StoredConfigurationLayoutTests(DynamoDbLocalFixture dynamo)
{
    private readonly FakeTimeProvider _clock = TestContexts.ClockAt("2026-11-23T09:00:00Z");
    private EvaluationContext Context => new(IsmsSettings.Default, _clock);

    private ConfigItemInput Input(string fixture, string captured, Action<JsonObject>? change = null)
    {
        var item = DriftPayloads.Item(fixture);
        item["configurationItemCaptureTime"] = captured;
        change?.Invoke(item);
        return Assert.IsType<ConfigItemInput>(Assert.Single(RuleEngine.CreateDefault().Adapt(DriftPayloads.ItemChange(item), Context).Inputs));
    }

    private async Task<Dictionary<string, AttributeValue>> RawAsync(string table, string resourceKey) =>
        (await dynamo.Client.GetItemAsync(new GetItemRequest
        {
            TableName = table,
            Key = new() { [LedgerSchema.PartitionKey] = new AttributeValue { S = DriftStore.Partition(resourceKey) }, [LedgerSchema.SortKey] = new AttributeValue { S = DriftStore.ConfigSort } },
            ConsistentRead = true,
        })).Item;

    /// <summary>DynamoDB's item size: attribute names plus values (strings and binaries by their bytes).</summary>
    private static int Size(Dictionary<string, AttributeValue> item) =>
        item.Sum(a => Encoding.UTF8.GetByteCount(a.Key) + (a.Value.S is { } s ? Encoding.UTF8.GetByteCount(s) : a.Value.B is { } b ? (int)b.Length : a.Value.N?.Length ?? 1));

    /// <summary>The item the code before issue 20's compression wrote (three plain texts), for the old-shape reads.</summary>
    private static Dictionary<string, AttributeValue> OldShape(ConfigItemInput input, DateTimeOffset now)
    {
        static AttributeValue S(string s) => new() { S = s };
        var item = new Dictionary<string, AttributeValue>
        {
            [LedgerSchema.PartitionKey] = S(DriftStore.Partition(input.ResourceKey)),
            [LedgerSchema.SortKey] = S(DriftStore.ConfigSort),
            [LedgerSchema.EntityType] = S(DriftStore.ConfigEntity),
            [LedgerSchema.Gsi1PartitionKey] = S(DriftStore.ResourcesIndexPartition),
            [LedgerSchema.Gsi1SortKey] = S($"{input.ResourceType}#{input.ResourceKey}"),
            [LedgerSchema.Gsi2PartitionKey] = S(DriftStore.ResourceIdPrefix + input.ResourceId),
            [LedgerSchema.Gsi2SortKey] = S(input.ResourceKey),
            ["resourceKey"] = S(input.ResourceKey),
            ["resourceType"] = S(input.ResourceType),
            ["resourceId"] = S(input.ResourceId),
            ["accountId"] = S(input.AccountId),
            ["region"] = S(input.Region),
            ["captureTime"] = S(Timestamps.ToWire(input.CaptureTime ?? now)),
            ["status"] = S(input.Status),
            ["configuration"] = S(Json.Canonical(input.Configuration)),
            ["supplementaryConfiguration"] = S(input.SupplementaryConfiguration.ValueKind == JsonValueKind.Object ? Json.Canonical(input.SupplementaryConfiguration) : "{}"),
            ["tags"] = S(JsonSerializer.Serialize(input.Tags.ToDictionary(t => t.Key, t => t.Value))),
            ["updatedAt"] = S(Timestamps.ToWire(now)),
        };
        if (!string.IsNullOrEmpty(input.Arn)) item["arn"] = S(input.Arn);
        if (!string.IsNullOrEmpty(input.ResourceName)) item["resourceName"] = S(input.ResourceName);
        return item;
    }

    private static void AssertSameConfiguration(ConfigItemInput expected, StoredConfiguration? stored)
    {
        Assert.NotNull(stored);
        Assert.Equal(expected.ResourceKey, stored.ResourceKey);
        Assert.Equal(expected.ResourceType, stored.ResourceType);
        Assert.Equal(expected.ResourceId, stored.ResourceId);
        Assert.Equal(expected.CaptureTime, stored.CaptureTime);
        Assert.Equal(expected.Arn, stored.Arn);
        Assert.Equal(expected.ResourceName, stored.ResourceName);
        Assert.Equal(expected.AccountId, stored.AccountId);
        Assert.Equal(expected.Region, stored.Region);
        Assert.Equal(expected.Status, stored.Status);
        Assert.Equal(Json.Canonical(expected.Configuration), Json.Canonical(stored.Configuration));
        Assert.Equal(expected.SupplementaryConfiguration.ValueKind == JsonValueKind.Object ? Json.Canonical(expected.SupplementaryConfiguration) : "{}",
            stored.SupplementaryConfiguration.ValueKind == JsonValueKind.Object ? Json.Canonical(stored.SupplementaryConfiguration) : "{}");
        Assert.Equal(expected.Tags.OrderBy(t => t.Key, StringComparer.Ordinal), stored.Tags.OrderBy(t => t.Key, StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("ci-iam-role-rdk.json")]
    [InlineData("ci-iam-user-rdk.json")]
    [InlineData("ci-security-group-configservice-docs.json")]
    [InlineData("ci-dynamodb-table-rdk.json")]
    public async Task A_configuration_is_stored_compressed_under_1_KB_and_reads_back_exactly(string fixture)
    {
        var table = await dynamo.NewTableAsync("cfgz");
        var store = new DriftStore(dynamo.Client, table);
        var input = Input(fixture, "2026-11-23T08:00:00Z");
        Assert.True(await store.PutLatestAsync(input, Context.Now));

        var raw = await RawAsync(table, input.ResourceKey);
        Assert.False(raw.ContainsKey("configuration"));
        Assert.False(raw.ContainsKey("supplementaryConfiguration"));
        Assert.False(raw.ContainsKey("tags"));
        Assert.False(raw.ContainsKey("arn"));
        // The key is read back from the partition; the descriptive facts are in the blob.
        foreach (var moved in new[] { "resourceKey", "resourceName", "accountId", "region", "status" }) Assert.False(raw.ContainsKey(moved), moved);
        Assert.Equal(PackedConfiguration.Format, raw[PackedConfiguration.Attribute].B.ToArray()[0]);
        Assert.Matches("^[0-9a-f]{16}$", raw[PackedConfiguration.DigestAttribute].S);
        // The old layout of the same configuration, against the new one: the texts no longer decide the item's units.
        var old = Size(OldShape(input, Context.Now));
        var now = Size(raw);
        Assert.True(old > 1024, $"{fixture}: the old layout was {old} bytes");
        Assert.True(now <= 1024, $"{fixture}: {now} bytes stored (old layout {old})");

        AssertSameConfiguration(input, await store.GetLatestAsync(input.ResourceKey));
        var (page, _) = await store.QueryLatestAsync(null, 10);
        AssertSameConfiguration(input, Assert.Single(page));
        var (ofType, _) = await store.QueryLatestOfTypeAsync(input.ResourceType, null, 10);
        AssertSameConfiguration(input, Assert.Single(ofType));
    }

    [Fact]
    public async Task An_arn_other_than_the_resource_key_and_no_arn_both_read_back()
    {
        var table = await dynamo.NewTableAsync("cfgz");
        var store = new DriftStore(dynamo.Client, table);
        // An IAM user with a path: its resource key is the ARN without the path (ResourceKeys.Principal).
        var withPath = Input("ci-iam-user-rdk.json", "2026-11-23T08:00:00Z", i =>
        {
            var name = i.ContainsKey("ARN") ? "ARN" : "arn";
            i[name] = i[name]!.GetValue<string>().Replace(":user/", ":user/division_abc/subdivision_xyz/", StringComparison.Ordinal);
        });
        var noArn = Input("ci-security-group-configservice-docs.json", "2026-11-23T08:00:00Z", i =>
        {
            i.Remove("arn");
            i.Remove("ARN");
        });
        Assert.NotEqual(withPath.Arn, withPath.ResourceKey);
        Assert.Null(noArn.Arn);
        foreach (var input in new[] { withPath, noArn })
        {
            Assert.True(await store.PutLatestAsync(input, Context.Now));
            AssertSameConfiguration(input, await store.GetLatestAsync(input.ResourceKey));
        }
    }

    [Fact]
    public async Task A_key_too_long_for_the_partition_is_kept_on_the_item_and_found_by_its_resource_id()
    {
        var table = await dynamo.NewTableAsync("cfgz");
        var store = new DriftStore(dynamo.Client, table);
        // The adapters bound what they accept; the store still hashes a key over 1 KB (a direct caller, a future source).
        var input = Input("ci-security-group-configservice-docs.json", "2026-11-23T08:00:00Z") with
        {
            Arn = "arn:aws:ec2:us-east-2:012345678912:security-group/" + new string('g', 1100),
        };
        Assert.StartsWith(DriftStore.PartitionPrefix + "sha256:", DriftStore.Partition(input.ResourceKey), StringComparison.Ordinal);
        Assert.True(await store.PutLatestAsync(input, Context.Now));
        Assert.Equal(input.ResourceKey, (await RawAsync(table, input.ResourceKey))["resourceKey"].S);
        AssertSameConfiguration(input, await store.GetLatestAsync(input.ResourceKey));
        Assert.Equal([input.ResourceKey], await store.FindKeysByResourceIdAsync(input.ResourceId));
    }

    [Fact]
    public async Task An_item_written_before_the_compression_still_reads_and_a_newer_capture_replaces_it()
    {
        var table = await dynamo.NewTableAsync("cfgz");
        var store = new DriftStore(dynamo.Client, table);
        var old = Input("ci-iam-role-rdk.json", "2026-11-23T08:00:00Z", i => i["tags"] = new JsonObject { ["owner"] = "platform", ["env"] = "prod" });
        await dynamo.Client.PutItemAsync(new PutItemRequest { TableName = table, Item = OldShape(old, Context.Now) });

        AssertSameConfiguration(old, await store.GetLatestAsync(old.ResourceKey));
        AssertSameConfiguration(old, Assert.Single((await store.QueryLatestAsync(null, 10)).Items));
        Assert.Equal([old.ResourceKey], await store.FindKeysByResourceIdAsync(old.ResourceId));

        // An older capture is still refused by an old-shape item; a newer one replaces it in the new layout.
        Assert.False(await store.PutLatestAsync(Input("ci-iam-role-rdk.json", "2026-11-23T07:00:00Z"), Context.Now));
        var newer = Input("ci-iam-role-rdk.json", "2026-11-23T08:30:00Z", i => i["configuration"]!["description"] = "rotated");
        Assert.True(await store.PutLatestAsync(newer, Context.Now));
        AssertSameConfiguration(newer, await store.GetLatestAsync(old.ResourceKey));
        Assert.False((await RawAsync(table, old.ResourceKey)).ContainsKey("configuration"));
    }

    [Fact]
    public async Task Equal_capture_times_keep_the_same_configuration_whatever_the_delivery_order()
    {
        const string at = "2026-11-23T08:00:00Z";
        var a = Input("ci-iam-role-rdk.json", at, i => i["configuration"]!["description"] = "variant a");
        var b = Input("ci-iam-role-rdk.json", at, i => i["configuration"]!["description"] = "variant b");
        var c = Input("ci-iam-role-rdk.json", at, i => i["tags"] = new JsonObject { ["only"] = "tags differ" });
        var stored = new List<string>();
        foreach (var order in new[] { new[] { a, b, c }, [c, b, a], [b, a, c], [b, c, a] })
        {
            var table = await dynamo.NewTableAsync("cfgz");
            var store = new DriftStore(dynamo.Client, table);
            foreach (var input in order) await store.PutLatestAsync(input, Context.Now);
            // A redelivery of each changes nothing either.
            foreach (var input in order) await store.PutLatestAsync(input, Context.Now);
            var raw = await RawAsync(table, a.ResourceKey);
            stored.Add(raw[PackedConfiguration.DigestAttribute].S + "|" + Convert.ToHexString(raw[PackedConfiguration.Attribute].B.ToArray()));
        }
        Assert.Single(stored.Distinct());
    }

    [Fact]
    public async Task A_deletion_marker_at_the_same_time_loses_and_an_older_capture_after_it_is_refused()
    {
        var table = await dynamo.NewTableAsync("cfgz");
        var store = new DriftStore(dynamo.Client, table);
        var input = Input("ci-security-group-configservice-docs.json", "2026-11-23T08:00:00Z");
        Assert.True(await store.ForgetAsync(input.ResourceKey, input.CaptureTime!.Value, 30, Context.Now));
        Assert.True(await store.PutLatestAsync(input, Context.Now));
        AssertSameConfiguration(input, await store.GetLatestAsync(input.ResourceKey));

        Assert.True(await store.ForgetAsync(input.ResourceKey, input.CaptureTime.Value.AddMinutes(1), 30, Context.Now));
        Assert.False(await store.PutLatestAsync(input, Context.Now));
        Assert.Null(await store.GetLatestAsync(input.ResourceKey));
    }

    [Fact]
    public async Task A_blob_that_does_not_unpack_is_a_malformed_item_not_a_crash()
    {
        var table = await dynamo.NewTableAsync("cfgz");
        var store = new DriftStore(dynamo.Client, table);
        var input = Input("ci-iam-role-rdk.json", "2026-11-23T08:00:00Z");
        Assert.True(await store.PutLatestAsync(input, Context.Now));
        var item = await RawAsync(table, input.ResourceKey);

        // An inflation bomb: a few KB that would inflate far beyond what the store ever writes.
        using var bomb = new MemoryStream();
        bomb.WriteByte(PackedConfiguration.Format);
        using (var brotli = new BrotliStream(bomb, CompressionLevel.Optimal, leaveOpen: true))
        {
            brotli.Write("{\"c\":{\"x\":\""u8);
            var zeros = new byte[1024 * 1024];
            Array.Fill(zeros, (byte)'0');
            for (var i = 0; i < PackedConfiguration.MaxUnpackedBytes / zeros.Length + 2; i++) brotli.Write(zeros);
            brotli.Write("\"}}"u8);
        }
        Assert.True(bomb.Length < 64 * 1024);
        byte[][] hostile = [bomb.ToArray(), [PackedConfiguration.Format, 1, 2, 3, 4], [9, .. PackedConfiguration.Pack("{}", "{}", "{}").Compressed.Skip(1)], [PackedConfiguration.Format]];
        foreach (var blob in hostile)
        {
            Assert.Null(PackedConfiguration.Unpack(blob));
            item[PackedConfiguration.Attribute] = new AttributeValue { B = new MemoryStream(blob) };
            await dynamo.Client.PutItemAsync(new PutItemRequest { TableName = table, Item = item });
            Assert.Null(await store.GetLatestAsync(input.ResourceKey));
            Assert.Empty((await store.QueryLatestAsync(null, 10)).Items);
        }
        // A JSON text that is not the expected object (configuration missing) is malformed too.
        var (notAnObject, _) = PackedConfiguration.Pack("[1]", "{}", "{}");
        item[PackedConfiguration.Attribute] = new AttributeValue { B = new MemoryStream(notAnObject) };
        await dynamo.Client.PutItemAsync(new PutItemRequest { TableName = table, Item = item });
        Assert.Null(await store.GetLatestAsync(input.ResourceKey));
    }
}

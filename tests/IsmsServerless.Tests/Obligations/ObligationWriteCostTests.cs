using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using IsmsServerless.Changes;
using IsmsServerless.Ledger;
using IsmsServerless.Obligations;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Changes;
using IsmsServerless.Tests.Robustness;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Obligations;

/// <summary>
/// Issue 20: an obligation write is one conditional PutItem with only the index entries its readers use, and a PutItem
/// whose answer was lost (the SDK retries it and fails its own condition) still counts as written.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class ObligationWriteCostTests(DynamoDbLocalFixture dynamo)
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-11-26T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_change_review_opened_ahead_of_the_change_sweep_has_no_index_entry_through_its_attestation()
    {
        var table = await dynamo.NewTableAsync("obl-idx");
        var settings = IsmsSettings.Default;
        var calls = ChangeTestData.ThienCalls();
        var register = new DynamoChangeRegister(dynamo.Client, table, settings);
        foreach (var call in calls) await register.RecordAsync(call);
        var id = ChangeReviewObligations.IdOf(calls[0].ChangeId);

        var item = await RawAsync(table, id);
        // Issue 20 wave 7: no open/done (GSI3) entry either; the change record's CHANGE#PENDING entry lists it. Issue 20
        // wave 9: nor a timer (GSI4) entry while the change sweep has not read that far: the same entry times it.
        Assert.Empty(IndexKeys(item));
        Assert.False(item["timerIndexed"].BOOL);
        // A duty (listed by kind and by subject) keeps all four.
        var store = new DynamoObligationStore(dynamo.Client, table, settings);
        var duty = await store.OpenAsync(ObligationStoreTests.Spec("restore-test", kind: "duty.restore-test"), T0);
        Assert.Equal(["GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK", "GSI4PK", "GSI4SK"], IndexKeys(await RawAsync(table, duty.Obligation.Id)));

        // Read back and rewritten (attested): still no by-kind or by-subject entry.
        var attested = await store.AttestAsync(id, new Attestation("alice", "system:change-review", T0, "approved", ["https://jira.example/browse/OPS-1"]));
        Assert.False(attested.Spec.KindIndexed || attested.Spec.SubjectIndexed || attested.Spec.StateIndexed);
        Assert.Empty(IndexKeys(await RawAsync(table, id)));
    }

    [Fact]
    public async Task An_attestation_whose_answer_was_lost_is_not_refused_as_already_done()
    {
        var table = await dynamo.NewTableAsync("obl-lost");
        var store = new DynamoObligationStore(dynamo.Client, table, IsmsSettings.Default);
        var opened = await store.OpenAsync(ObligationStoreTests.Spec(), T0);

        // Requests of AttestAsync: 1 GetItem, 2 PutItem (applied, then the connection drops), 3 the SDK's retry of the
        // PutItem (its condition fails: the first attempt was applied), 4 the re-read that recognises the item sent.
        await using var proxy = new FaultProxy(new Uri(dynamo.Endpoint), n => n == 2 ? Fault.DropAfterForward : Fault.None);
        using var client = new AmazonDynamoDBClient(new BasicAWSCredentials("local", "local"),
            new AmazonDynamoDBConfig { ServiceURL = proxy.Endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 2 });
        var attestation = new Attestation("ops@qwestly.example", "cli:ops@qwestly.example", T0.AddMinutes(10), "done", ["https://runbook.example/1"]);
        var attested = await new DynamoObligationStore(client, table, IsmsSettings.Default).AttestAsync(opened.Obligation.Id, attestation);

        Assert.Equal(1, proxy.Injected(Fault.DropAfterForward));
        Assert.Equal(("ops@qwestly.example", opened.Obligation.Version + 1), (attested.Attestation!.By, attested.Version));
        Assert.Equal(attested.Version, (await store.GetAsync(opened.Obligation.Id))!.Version);
    }

    private async Task<Dictionary<string, AttributeValue>> RawAsync(string table, string id) =>
        (await dynamo.Client.GetItemAsync(new GetItemRequest
        {
            TableName = table,
            Key = new() { [LedgerSchema.PartitionKey] = new AttributeValue { S = ObligationKeys.Partition(id) }, [LedgerSchema.SortKey] = new AttributeValue { S = ObligationKeys.SortKey } },
            ConsistentRead = true,
        })).Item;

    private static string[] IndexKeys(Dictionary<string, AttributeValue> item) =>
        [.. item.Keys.Where(k => k.StartsWith("GSI", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
}

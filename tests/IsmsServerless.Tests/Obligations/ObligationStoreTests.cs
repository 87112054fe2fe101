using Amazon.DynamoDBv2.Model;
using IsmsServerless.Ledger;
using IsmsServerless.Obligations;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Obligations;

/// <summary>The obligations store on DynamoDB Local: idempotent, order-independent opens; attestations stored once.</summary>
[Collection(DynamoDbCollection.Name)]
public sealed class ObligationStoreTests(DynamoDbLocalFixture dynamo)
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-11-26T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    internal static ObligationSpec Spec(string subject = "inc-42", DateTimeOffset? due = null, string kind = "incident.acknowledge") => new()
    {
        Kind = kind,
        Subject = subject,
        Title = "Acknowledge incident " + subject,
        Controls = ["ISO27001:2022 A.5.26", "SOC2 CC7.4"],
        OwnerRole = "cto",
        OpensAt = T0,
        DueAt = due ?? T0.AddHours(1),
        Reminders = [(due ?? T0.AddHours(1)).AddMinutes(-30)],
        FourEyes = false,
    };

    private async Task<DynamoObligationStore> StoreAsync() => new(dynamo.Client, await dynamo.NewTableAsync("obl"), IsmsSettings.Default);

    [Fact]
    public async Task Opening_twice_gives_one_obligation_with_a_deterministic_id()
    {
        var store = await StoreAsync();
        var first = await store.OpenAsync(Spec(), T0);
        var second = await store.OpenAsync(Spec(), T0.AddMinutes(5));
        Assert.Equal(OpenStatus.Created, first.Status);
        Assert.Equal(OpenStatus.Existing, second.Status);
        Assert.Equal(first.Obligation.Id, second.Obligation.Id);
        Assert.Equal(Obligation.IdFor("incident.acknowledge", "inc-42", ""), first.Obligation.Id);
        Assert.NotEqual(first.Obligation.Id, Obligation.IdFor("incident.document", "inc-42", ""));
        Assert.Equal(1, (await store.GetAsync(first.Obligation.Id))!.Version);
    }

    [Fact]
    public async Task Concurrent_opens_in_any_order_keep_the_earliest_due_time()
    {
        var store = await StoreAsync();
        var dues = Enumerable.Range(0, 12).Select(i => T0.AddMinutes(60 + (i * 7 % 12) * 5)).ToList();
        await Task.WhenAll(dues.Select(d => store.OpenAsync(Spec(due: d), T0)));
        var stored = (await store.GetAsync(Obligation.IdFor("incident.acknowledge", "inc-42", "")))!;
        Assert.Equal(dues.Min(), stored.DueAt);
        var open = await store.QueryOpenAsync(10);
        Assert.Single(open.Items);
    }

    [Fact]
    public async Task An_attestation_is_stored_once_and_concurrent_attesters_get_one_winner()
    {
        var store = await StoreAsync();
        var id = (await store.OpenAsync(Spec(), T0)).Obligation.Id;
        var attempts = await Task.WhenAll(Enumerable.Range(0, 6).Select(async i =>
        {
            try
            {
                await store.AttestAsync(id, new Attestation($"person{i}@qwestly.example", "sub-" + i, T0.AddMinutes(10), null, ["https://jira.example/browse/INC-1"]));
                return true;
            }
            catch (ObligationException ex) when (ex.Error == ObligationError.AlreadyDone)
            {
                return false;
            }
        }));
        Assert.Equal(1, attempts.Count(a => a));
        var stored = (await store.GetAsync(id))!;
        Assert.True(stored.Done);
        Assert.Equal(ObligationState.Done, stored.StoredState);
        Assert.Empty((await store.QueryOpenAsync(10)).Items);
        Assert.Equal(id, Assert.Single((await store.QueryDoneAsync(10)).Items).Id);
        // Attested before it went overdue: no timer is left for the sweep.
        Assert.Empty(await store.QueryTimersDueAsync(T0.AddYears(1), 10));
    }

    [Fact]
    public async Task Timers_are_queried_by_instant_and_only_what_is_due_comes_back()
    {
        var store = await StoreAsync();
        await store.OpenAsync(Spec("inc-1", T0.AddHours(1)), T0);
        await store.OpenAsync(Spec("inc-2", T0.AddHours(5)), T0);
        Assert.Empty(await store.QueryTimersDueAsync(T0.AddMinutes(29), 10));
        Assert.Equal("inc-1", Assert.Single(await store.QueryTimersDueAsync(T0.AddMinutes(30), 10)).Subject);
        Assert.Equal(2, (await store.QueryKindAsync("incident.acknowledge", 10)).Items.Count);
        Assert.Equal("inc-2", (await store.LatestForSubjectAsync("incident.acknowledge", "inc-2"))!.Subject);
        Assert.Null(await store.LatestForSubjectAsync("incident.acknowledge", "inc-3"));
    }

    [Theory]
    [InlineData("Incident.Ack", "inc-1", "kind")]
    [InlineData("incident.acknowledge", "", "subject")]
    [InlineData("incident.acknowledge", "inc\u0007", "subject")]
    public async Task Malformed_specs_are_refused_before_any_write(string kind, string subject, string reason)
    {
        var store = await StoreAsync();
        var ex = await Assert.ThrowsAsync<ObligationException>(() => store.OpenAsync(Spec(subject, kind: kind), T0));
        Assert.Equal(ObligationError.Invalid, ex.Error);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.Empty((await store.QueryOpenAsync(10)).Items);
    }

    [Fact]
    public async Task Due_before_open_is_refused_and_a_long_subject_is_stored_under_a_hashed_key()
    {
        var store = await StoreAsync();
        Assert.Equal(ObligationError.Invalid, (await Assert.ThrowsAsync<ObligationException>(() => store.OpenAsync(Spec(due: T0.AddHours(-1)), T0))).Error);
        var arn = "arn:aws:rds:eu-west-1:123456789012:db:" + new string('x', 900);
        var opened = (await store.OpenAsync(Spec(arn, kind: "backup.daily"), T0)).Obligation;
        Assert.Equal(arn, (await store.LatestForSubjectAsync("backup.daily", arn))!.Subject);
        Assert.Equal(arn, (await store.GetAsync(opened.Id))!.Subject);
    }

    [Fact]
    public async Task A_malformed_stored_item_is_skipped_not_thrown()
    {
        var table = await dynamo.NewTableAsync("obl");
        var store = new DynamoObligationStore(dynamo.Client, table, IsmsSettings.Default);
        await dynamo.Client.PutItemAsync(new PutItemRequest
        {
            TableName = table,
            Item = new()
            {
                ["PK"] = new() { S = "OBLIGATION#obl-000000000000000000000000" },
                ["SK"] = new() { S = "OBLIGATION" },
                [LedgerSchema.EntityType] = new() { S = "OBLIGATION" },
                ["GSI3PK"] = new() { S = "OBLIGATION#OPEN" },
                ["GSI3SK"] = new() { S = "0#x" },
                ["id"] = new() { S = "obl-000000000000000000000000" },
            },
        });
        await store.OpenAsync(Spec(), T0);
        Assert.Equal("inc-42", Assert.Single((await store.QueryOpenAsync(10)).Items).Subject);
        Assert.Null(await store.GetAsync("obl-000000000000000000000000"));
    }

    [Theory]
    [InlineData("http://wiki.example/review")]
    [InlineData("javascript:alert(1)")]
    [InlineData("https://user:pw@wiki.example/x")]
    [InlineData("https://wiki.example/a b")]
    [InlineData("ftp://wiki.example/x")]
    public void Evidence_must_be_plain_https_links(string link)
    {
        var ex = Assert.Throws<ObligationException>(() => AttestationRules.ValidateEvidence([link]));
        Assert.Equal(ObligationError.Invalid, ex.Error);
        Assert.Contains("https://", ex.Message, StringComparison.Ordinal);
        Assert.Equal(["https://wiki.example/x"], AttestationRules.ValidateEvidence(["https://wiki.example/x", " https://wiki.example/x "]));
    }
}

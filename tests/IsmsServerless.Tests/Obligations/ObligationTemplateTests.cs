using System.Security.Cryptography;
using System.Text;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Changes;
using IsmsServerless.Ledger;
using IsmsServerless.Obligations;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Changes;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Obligations;

/// <summary>
/// Issue 20 wave 5: an obligation whose constant texts are its kind's template stores the template's id instead of the
/// quoted clause, the evidence expected, the controls and the derived link, and is hydrated on read; items that stored
/// their texts (older versions, texts without a template) still read as written.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class ObligationTemplateTests(DynamoDbLocalFixture dynamo)
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-11-26T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Stored items name these ids for as long as the table keeps them: an entry's texts may never change (add a new id
    /// instead). A changed text fails here.
    /// </summary>
    [Fact]
    public void Every_template_ever_written_keeps_its_texts()
    {
        var pinned = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["change.review#1"] = "09683d2c49636531",
            ["change.code-update#1"] = "2394a940cabcb710",
            ["change.implementation-check#1"] = "baa197fa8290e17e",
            ["backup.daily#1"] = "fcd082bbf72f29f1",
            ["backup.copy#1"] = "5a952c97a062b1f9",
            ["backup.restore-test#1"] = "039461092ea244a5",
        };
        var actual = ObligationTemplates.ById.Values.ToDictionary(t => t.Id, Fingerprint, StringComparer.Ordinal);
        Assert.True(pinned.Count == actual.Count && pinned.All(p => actual.GetValueOrDefault(p.Key) == p.Value),
            "template texts changed (add a new template id instead): " + string.Join(", ", actual.Select(a => $"[\"{a.Key}\"] = \"{a.Value}\"")));
    }

    [Fact]
    public async Task A_change_review_stores_its_template_id_not_its_texts_stays_under_1_KB_and_reads_back_whole()
    {
        var table = await dynamo.NewTableAsync("obl-tpl");
        var settings = IsmsSettings.Default;
        var calls = ChangeTestData.ThienCalls();
        var register = new DynamoChangeRegister(dynamo.Client, table, settings);
        foreach (var call in calls) await register.RecordAsync(call);
        var record = (await register.GetAsync(calls[0].ChangeId))!;
        var expected = ChangeReviewObligations.Spec(record, settings);
        var id = ChangeReviewObligations.IdOf(record.ChangeId);

        var item = await RawAsync(table, id);
        Assert.Equal("change.review#1", item["texts"].S);
        Assert.DoesNotContain("policyClause", item.Keys);
        Assert.DoesNotContain("evidenceExpected", item.Keys);
        Assert.DoesNotContain("controls", item.Keys);
        Assert.DoesNotContain("link", item.Keys);
        Assert.True(ItemSize.Of(item) <= 1024, $"obligation item is {ItemSize.Of(item)} bytes");

        var read = (await new DynamoObligationStore(dynamo.Client, table, settings).GetAsync(id))!.Spec;
        Assert.Equal((expected.Title, expected.PolicyClause, expected.EvidenceExpected, expected.Link), (read.Title, read.PolicyClause, read.EvidenceExpected, read.Link));
        Assert.Equal(expected.Controls, read.Controls);
        Assert.Equal(settings.StatusPageUrl.TrimEnd('/') + "/changes/" + record.ChangeId, read.Link);
    }

    [Fact]
    public async Task An_item_that_stored_its_texts_reads_them_as_written()
    {
        var table = await dynamo.NewTableAsync("obl-legacy");
        var settings = IsmsSettings.Default;
        var store = new DynamoObligationStore(dynamo.Client, table, settings);
        var spec = ObligationStoreTests.Spec("chg-0123456789abcdef01234567", kind: ChangeReviewObligations.Kind) with
        {
            PolicyClause = ObligationTemplates.ChangeReview.PolicyClause,
            EvidenceExpected = ObligationTemplates.ChangeReview.EvidenceExpected,
            Controls = ObligationTemplates.ChangeReview.Controls,
            Link = "https://status.example/changes/chg-0123456789abcdef01234567",
        };
        var opened = (await store.OpenAsync(spec, T0)).Obligation;

        // The layout every version before the templates wrote: the texts on the item, no template id. Different texts
        // from the template's, to show the item's own win.
        var legacy = await RawAsync(table, opened.Id);
        Assert.Equal("change.review#1", legacy["texts"].S);
        legacy.Remove("texts");
        legacy.Remove("linkDerived");
        legacy["policyClause"] = new AttributeValue { S = "an older clause" };
        legacy["evidenceExpected"] = new AttributeValue { S = "an older evidence text" };
        legacy["controls"] = new AttributeValue { L = [new AttributeValue { S = "ISO27001:2022 A.8.32" }] };
        legacy["link"] = new AttributeValue { S = "https://old.example/changes/x" };
        await dynamo.Client.PutItemAsync(new PutItemRequest { TableName = table, Item = legacy });

        var read = (await store.GetAsync(opened.Id))!.Spec;
        Assert.Equal(("an older clause", "an older evidence text", "https://old.example/changes/x"), (read.PolicyClause, read.EvidenceExpected, read.Link));
        Assert.Equal(["ISO27001:2022 A.8.32"], read.Controls);

        // Its next write (an attestation) keeps what it read: texts that are not a template's are stored.
        await store.AttestAsync(opened.Id, new Attestation("alice", "cli:alice", T0.AddMinutes(5), "ok", ["https://ticket.example/1"]));
        var rewritten = await RawAsync(table, opened.Id);
        Assert.DoesNotContain("texts", rewritten.Keys);
        Assert.Equal("an older clause", rewritten["policyClause"].S);
        Assert.Equal("an older clause", (await store.GetAsync(opened.Id))!.Spec.PolicyClause);
    }

    [Fact]
    public async Task Texts_that_differ_from_the_template_and_a_link_that_is_not_derived_are_stored()
    {
        var table = await dynamo.NewTableAsync("obl-own");
        var store = new DynamoObligationStore(dynamo.Client, table, IsmsSettings.Default);
        // A code update naming a stack: its evidence text has a suffix, so it is not the template's.
        var spec = ObligationStoreTests.Spec("chg-1", kind: ChangeCodeUpdateObligations.Kind) with
        {
            PolicyClause = ObligationTemplates.ChangeCodeUpdate.PolicyClause,
            EvidenceExpected = ObligationTemplates.ChangeCodeUpdate.EvidenceExpected + "; or stack s reported in sync by the drift rule",
            Controls = ObligationTemplates.ChangeCodeUpdate.Controls,
            Link = "https://elsewhere.example/changes/chg-1",
        };
        var opened = (await store.OpenAsync(spec, T0)).Obligation;
        var item = await RawAsync(table, opened.Id);
        Assert.DoesNotContain("texts", item.Keys);
        var read = (await store.GetAsync(opened.Id))!.Spec;
        Assert.Equal((spec.EvidenceExpected, spec.Link), (read.EvidenceExpected, read.Link));
        Assert.Equal(spec.Controls, read.Controls);

        // The template's texts with a link the template does not derive: the texts are the template's, the link is stored.
        var other = (await store.OpenAsync(spec with { Subject = "chg-2", EvidenceExpected = ObligationTemplates.ChangeCodeUpdate.EvidenceExpected }, T0)).Obligation;
        var otherItem = await RawAsync(table, other.Id);
        Assert.Equal(("change.code-update#1", "https://elsewhere.example/changes/chg-1"), (otherItem["texts"].S, otherItem["link"].S));
        Assert.Equal("https://elsewhere.example/changes/chg-1", (await store.GetAsync(other.Id))!.Spec.Link);
    }

    [Fact]
    public async Task An_item_naming_a_template_this_version_does_not_know_reads_and_keeps_the_id_when_rewritten()
    {
        // A newer version added a template; this one (a rollback) reads its item and attests it.
        var table = await dynamo.NewTableAsync("obl-unknown");
        var settings = IsmsSettings.Default;
        var store = new DynamoObligationStore(dynamo.Client, table, settings);
        var calls = ChangeTestData.ThienCalls();
        await new DynamoChangeRegister(dynamo.Client, table, settings).RecordAsync(calls[0]);
        var id = ChangeReviewObligations.IdOf(calls[0].ChangeId);
        var item = await RawAsync(table, id);
        item["texts"] = new AttributeValue { S = "change.review#99" };
        await dynamo.Client.PutItemAsync(new PutItemRequest { TableName = table, Item = item });

        var read = (await store.GetAsync(id))!;
        Assert.Equal(("", null), (read.Spec.PolicyClause, read.Spec.Link));
        await store.AttestAsync(id, new Attestation("alice", "cli:alice", T0, "ok", ["https://ticket.example/1"]));
        var rewritten = await RawAsync(table, id);
        Assert.Equal("change.review#99", rewritten["texts"].S);
        Assert.True(rewritten["linkDerived"].BOOL);
        Assert.DoesNotContain("policyClause", rewritten.Keys);
        Assert.DoesNotContain("controls", rewritten.Keys);
    }

    private static string Fingerprint(ObligationTemplate t)
    {
        var text = string.Join('\u001f', t.Id, t.Kind, t.PolicyClause, t.EvidenceExpected, string.Join('\u001e', t.Controls), t.LinkPath ?? "");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }

    private async Task<Dictionary<string, AttributeValue>> RawAsync(string table, string id) =>
        (await dynamo.Client.GetItemAsync(new GetItemRequest
        {
            TableName = table,
            Key = new() { [LedgerSchema.PartitionKey] = new AttributeValue { S = ObligationKeys.Partition(id) }, [LedgerSchema.SortKey] = new AttributeValue { S = ObligationKeys.SortKey } },
            ConsistentRead = true,
        })).Item;
}

using System.Globalization;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Tests.Support;
using static IsmsServerless.Tests.Ledger.LedgerTestKit;

namespace IsmsServerless.Tests.Ledger;

/// <summary>
/// Issue 20 (item sizes): a finding item does not store its rule's texts when they are the rule registry's; it names them
/// by fingerprint, the texts live once in a content-addressed RULETEXT item, and every reader gets them back.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class LedgerRuleTextsTests(DynamoDbLocalFixture dynamo)
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-02-28T00:00:00Z", CultureInfo.InvariantCulture);

    // A rule of the registry (its texts are the registry's) and the same rule with a text of its own (an evaluation-specific title).
    private static readonly RuleMetadata Registered = new IsmsServerless.Rules.Drift.SecurityGroupBaselineRule().Metadata;

    private static readonly string[] TextAttributes = ["title", "controls", "policyClause", "remediation"];

    [Fact]
    public async Task A_registry_rules_finding_stores_a_fingerprint_not_the_texts_and_every_reader_gets_the_registry_texts_back()
    {
        var kit = await CreateAsync(dynamo);
        var e = Finding(Registered, "sg-texts", T0);
        await kit.Ledger.RecordAsync([e], kit.Context);

        var raw = await kit.RawFindingAsync(e.FindingId);
        Assert.All(TextAttributes, a => Assert.False(raw.ContainsKey(a), a + " stored"));
        var fingerprint = raw[RuleTexts.Attribute].S;
        Assert.Equal(RuleTexts.ForRule(Registered.Id)!.Fingerprint, fingerprint);

        // The texts are in the table, once, under the rule and the fingerprint.
        var stored = RuleTexts.Read((await kit.Dynamo.Client.GetItemAsync(new GetItemRequest
        {
            TableName = kit.Table,
            Key = RuleTexts.Key(Registered.Id, fingerprint),
            ConsistentRead = true,
        })).Item);
        Assert.NotNull(stored);
        Assert.Equal(Registered.PolicyClause, stored.PolicyClause);

        // GetAsync, a status page, a resource page and the sweep's due query all read the texts.
        void Complete(FindingRecord f)
        {
            Assert.Equal(Registered.Title, f.Title);
            Assert.Equal(Registered.Controls, f.Controls);
            Assert.Equal(Registered.PolicyClause, f.PolicyClause);
            Assert.Equal(Registered.Remediation, f.Remediation);
        }
        Complete((await kit.Ledger.GetAsync(e.FindingId))!);
        Complete(Assert.Single((await kit.Ledger.QueryByStatusAsync(FindingStatus.Open, 10)).Items));
        Complete(Assert.Single((await kit.Ledger.QueryByResourceAsync("sg-texts", 10)).Items));
        Complete(Assert.Single((await kit.Ledger.QueryByControlAsync(Registered.Controls[0], 10)).Items));
        Complete(Assert.Single(await kit.Ledger.QueryDueBeforeAsync(T0.AddYears(1), 10)));

        // The alert a person receives is complete (the outbox item is not trimmed).
        var alert = Assert.Single(await kit.AlertsTodayAsync());
        Assert.Equal(Registered.PolicyClause, alert.PolicyClause);
        Assert.Equal(Registered.Remediation, alert.Remediation);
        Assert.Equal(Registered.Title, alert.Title);

        // A re-detection (plain update) keeps the item lean and reads the same texts.
        await kit.Ledger.RecordAsync([Finding(Registered, "sg-texts", T0.AddHours(1))], kit.Context);
        raw = await kit.RawFindingAsync(e.FindingId);
        Assert.Equal(fingerprint, raw[RuleTexts.Attribute].S);
        Assert.All(TextAttributes, a => Assert.False(raw.ContainsKey(a), a + " stored"));
        Complete((await kit.Ledger.GetAsync(e.FindingId))!);
    }

    [Fact]
    public async Task A_finding_whose_texts_differ_from_the_registry_stores_them_as_before()
    {
        var kit = await CreateAsync(dynamo);
        var own = Registered with { Title = Registered.Title + " (this evaluation's own title)" };
        var e = Finding(own, "sg-own", T0);
        await kit.Ledger.RecordAsync([e], kit.Context);

        var raw = await kit.RawFindingAsync(e.FindingId);
        Assert.False(raw.ContainsKey(RuleTexts.Attribute));
        Assert.Equal(own.Title, raw["title"].S);
        Assert.Equal(own.PolicyClause, raw["policyClause"].S);
        Assert.Equal(own.Title, (await kit.Ledger.GetAsync(e.FindingId))!.Title);
    }

    [Fact]
    public async Task Items_written_with_their_texts_by_older_versions_still_read_their_own_texts()
    {
        var kit = await CreateAsync(dynamo);
        var e = Finding(Registered, "sg-old", T0);
        await kit.Ledger.RecordAsync([e], kit.Context);
        // The layout before issue 20's wave 5: every text stored, no fingerprint; the texts of that day, not today's registry's.
        var raw = await kit.RawFindingAsync(e.FindingId);
        raw.Remove(RuleTexts.Attribute);
        raw["title"] = new AttributeValue { S = "Old title" };
        raw["controls"] = new AttributeValue { L = [new AttributeValue { S = "ISO27001:2013 A.12.6.1" }] };
        raw["policyClause"] = new AttributeValue { S = "OSP v1 §4" };
        raw["remediation"] = new AttributeValue { S = "Old remediation" };
        await kit.Dynamo.Client.PutItemAsync(new PutItemRequest { TableName = kit.Table, Item = raw });

        var read = (await kit.Ledger.GetAsync(e.FindingId))!;
        Assert.Equal(("Old title", "OSP v1 §4", "Old remediation"), (read.Title, read.PolicyClause, read.Remediation));
        Assert.Equal(["ISO27001:2013 A.12.6.1"], read.Controls);
        var page = Assert.Single((await kit.Ledger.QueryByStatusAsync(FindingStatus.Open, 10)).Items);
        Assert.Equal("OSP v1 §4", page.PolicyClause);
    }

    [Fact]
    public async Task After_the_rules_texts_change_or_the_rule_is_removed_a_finding_reads_the_texts_it_was_written_with()
    {
        var kit = await CreateAsync(dynamo);
        var e = Finding(Registered, "sg-then", T0);
        await kit.Ledger.RecordAsync([e], kit.Context);
        var raw = await kit.RawFindingAsync(e.FindingId);

        // Texts of an earlier build (not this registry's), stored as that build's writer stored them: the RULETEXT item,
        // then finding items naming its fingerprint, one of the registered rule and one of a rule since removed.
        var then = new RuleTexts("Security group baseline (as of 2025)", ["ISO27001:2013 A.13.1.1"], "OSP 2025 §6: no open ingress", "Close the port");
        foreach (var ruleId in new[] { Registered.Id, "drift.retired-rule" })
            await kit.Dynamo.Client.PutItemAsync(new PutItemRequest { TableName = kit.Table, Item = then.Item(ruleId) });
        var changed = new Dictionary<string, AttributeValue>(raw) { [RuleTexts.Attribute] = new AttributeValue { S = then.Fingerprint } };
        await kit.Dynamo.Client.PutItemAsync(new PutItemRequest { TableName = kit.Table, Item = changed });
        var retired = new Dictionary<string, AttributeValue>(changed)
        {
            ["PK"] = new AttributeValue { S = "FINDING#retired-1" },
            ["id"] = new AttributeValue { S = "retired-1" },
            ["ruleId"] = new AttributeValue { S = "drift.retired-rule" },
        };
        await kit.Dynamo.Client.PutItemAsync(new PutItemRequest { TableName = kit.Table, Item = retired });

        // A fresh ledger (another process: nothing cached) reads both with those texts.
        var reader = new DynamoDbFindingLedger(kit.Dynamo.Client, kit.Table, kit.Settings);
        foreach (var id in new[] { e.FindingId, "retired-1" })
        {
            var f = (await reader.GetAsync(id))!;
            Assert.Equal((then.Title, then.PolicyClause, then.Remediation), (f.Title, f.PolicyClause, f.Remediation));
            Assert.Equal(then.Controls, f.Controls);
        }
        Assert.All((await reader.QueryByStatusAsync(FindingStatus.Open, 10)).Items, f => Assert.Equal(then.PolicyClause, f.PolicyClause));
    }

    [Fact]
    public async Task A_finding_naming_texts_the_table_lacks_reads_without_them_instead_of_failing()
    {
        var kit = await CreateAsync(dynamo);
        var e = Finding(Registered, "sg-lost", T0);
        await kit.Ledger.RecordAsync([e], kit.Context);
        var raw = await kit.RawFindingAsync(e.FindingId);
        raw[RuleTexts.Attribute] = new AttributeValue { S = "0000000000000000" };
        await kit.Dynamo.Client.PutItemAsync(new PutItemRequest { TableName = kit.Table, Item = raw });

        var f = (await new DynamoDbFindingLedger(kit.Dynamo.Client, kit.Table, kit.Settings).GetAsync(e.FindingId))!;
        Assert.Equal((Registered.Id, ""), (f.Title, f.PolicyClause));
        Assert.Equal("sg-lost", f.ResourceId);
    }

    [Fact]
    public void The_rule_texts_item_is_trusted_only_when_its_content_hashes_to_its_key()
    {
        var texts = RuleTexts.ForRule(Registered.Id)!;
        var item = texts.Item(Registered.Id);
        Assert.True(texts.SameAs(RuleTexts.Read(item)!));
        item["policyClause"] = new AttributeValue { S = "edited by hand" };
        Assert.Null(RuleTexts.Read(item));
        // Controls in another order are other texts.
        Assert.NotEqual(texts.Fingerprint, new RuleTexts(texts.Title, texts.Controls.Reverse().ToList(), texts.PolicyClause, texts.Remediation).Fingerprint);
    }

    [Fact]
    public async Task The_finding_item_is_smaller_by_the_texts_it_no_longer_stores()
    {
        var kit = await CreateAsync(dynamo);
        var lean = Finding(Registered, "sg-size", T0);
        var full = Finding(Registered with { Title = Registered.Title + "." }, "sg-size-full", T0);
        await kit.Ledger.RecordAsync([lean, full], kit.Context);
        static int Size(Dictionary<string, AttributeValue> item) => item.Sum(a => a.Key.Length + (a.Value.S?.Length ?? 0) + (a.Value.N?.Length ?? 0)
            + (a.Value.L?.Sum(x => x.S?.Length ?? 0) ?? 0) + (a.Value.M?.Sum(x => x.Key.Length + (x.Value.S?.Length ?? 0)) ?? 0));
        var saved = Size(await kit.RawFindingAsync(full.FindingId)) - Size(await kit.RawFindingAsync(lean.FindingId));
        var texts = Registered.Title.Length + Registered.PolicyClause.Length + Registered.Remediation.Length + Registered.Controls.Sum(c => c.Length);
        Assert.True(saved >= texts - 10, $"saved {saved} bytes of {texts}");
    }
}

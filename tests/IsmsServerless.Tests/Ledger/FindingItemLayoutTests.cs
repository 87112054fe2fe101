using System.Globalization;
using System.IO.Compression;
using System.Text;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Storage;
using IsmsServerless.Tests.Support;
using static IsmsServerless.Tests.Ledger.LedgerTestKit;

namespace IsmsServerless.Tests.Ledger;

/// <summary>
/// Issue 20 (item sizes): the finding item stores message, evidence, diff, resource id and the timeline's bookkeeping in
/// one Brotli-compressed <c>detail</c> and nothing its keys already hold, so a typical finding is one 1 KB write unit;
/// every reader gets the same record back, items of every older layout read unchanged, hostile detail is refused.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class FindingItemLayoutTests(DynamoDbLocalFixture dynamo)
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-02-28T00:00:00Z", CultureInfo.InvariantCulture);

    private static readonly RuleMetadata Registered = new IsmsServerless.Rules.Drift.SecurityGroupBaselineRule().Metadata;

    private static readonly string[] InDetail = ["message", "evidence", "diff", "resourceId", "lastObservedAt", "lastViolationAt", "firstViolationAt", "timelineHead", "violationRuns", "firstSeenAt", "atRiskAt"];

    // A violation shaped like the replay's CloudTrail findings: an ARN actor, an event id, a source IP, a diff.
    private static Evaluation Rich(string resourceId, DateTimeOffset at, string message = "") => Finding(Registered, resourceId, at) with
    {
        Message = message.Length > 0 ? message : $"Security group {resourceId} allows 0.0.0.0/0 on port 22 (changed by arn:aws:sts::123456789012:assumed-role/Admin/alice)",
        Evidence = new Dictionary<string, string>
        {
            ["eventId"] = "3cda2b5f-a6c7-4c68-4444-93b0f6e1963c",
            ["eventName"] = "AuthorizeSecurityGroupIngress",
            ["eventSource"] = "ec2.amazonaws.com",
            ["eventTime"] = "2026-02-27T23:59:58Z",
            ["actor"] = "arn:aws:sts::123456789012:assumed-role/Admin/alice",
            ["sourceIp"] = "203.0.113.7",
        },
        Diff = [new FieldDiff("configuration.ipPermissions[0].ipRanges", "[]", "[\"0.0.0.0/0\"]")],
    };

    [Fact]
    public async Task A_new_finding_is_stored_compact_and_every_reader_gets_the_full_record_back()
    {
        var kit = await CreateAsync(dynamo);
        var e = Rich("sg-layout", T0);
        await kit.Ledger.RecordAsync([e], kit.Context);

        var raw = await kit.RawFindingAsync(e.FindingId);
        Assert.NotNull(raw[FindingItemLayout.DetailAttribute].B);
        Assert.False(raw.ContainsKey(FindingItemLayout.PrimedDetailAttribute), "an item under one unit is not primed (CPU for no billed byte)");
        Assert.All(InDetail, a => Assert.False(raw.ContainsKey(a), a + " stored as a plain attribute"));
        Assert.All(["id", "ruleId", "lastSeenAt", "subKey"], a => Assert.False(raw.ContainsKey(a), a + " stored though a key or default holds it"));
        // What a person scans stays plain.
        Assert.Equal("open", raw["status"].S);
        Assert.Equal(Registered.Severity.ToWire(), raw["severity"].S);
        Assert.Equal("RULE#" + Registered.Id, raw["GSI2PK"].S);
        // The same finding in the earlier layout (every attribute plain) is over a third larger (the stored one over a quarter smaller).
        Assert.True(LedgerItems.TryReadFinding(raw, out var logical, out _));
        Assert.True(FindingItemLayout.TryExpand(raw, out var expanded, out _));
        Assert.True(ItemBytes(raw) * 4 < ItemBytes(expanded) * 3, $"stored {ItemBytes(raw)} bytes, earlier layout {ItemBytes(expanded)}");
        Assert.Equal(logical.NextTimerAt, (await kit.Ledger.GetAsync(e.FindingId))!.NextTimerAt);
        Assert.NotNull(logical.NextTimerAt);
        Assert.False(raw.ContainsKey("nextTimerAt"), "the timer is the GSI4 sort key's prefix");

        void Complete(FindingRecord f)
        {
            Assert.Equal(e.FindingId, f.Id);
            Assert.Equal(Registered.Id, f.RuleId);
            Assert.Equal("sg-layout", f.ResourceId);
            Assert.Equal("", f.SubKey);
            Assert.Equal(e.Message, f.Message);
            Assert.Equal(e.Evidence.Append(new("policyVersion", kit.Ledger.PolicyVersion)).OrderBy(p => p.Key, StringComparer.Ordinal),
                f.Evidence.OrderBy(p => p.Key, StringComparer.Ordinal));
            Assert.Equal(e.Diff, f.Diff);
            Assert.Equal(T0, f.LastObservedAt);
            Assert.Equal(T0, f.LastViolationAt);
            Assert.Equal(T0, f.FirstViolationAt);
            Assert.Equal(1, f.ViolationRuns);
            Assert.NotNull(f.TimelineHead);
            Assert.Equal(f.FirstSeenAt, f.LastSeenAt);
            Assert.Equal(Registered.PolicyClause, f.PolicyClause);
        }
        Complete((await kit.Ledger.GetAsync(e.FindingId))!);
        Complete(Assert.Single((await kit.Ledger.QueryByStatusAsync(FindingStatus.Open, 10)).Items));
        Complete(Assert.Single((await kit.Ledger.QueryByResourceAsync("sg-layout", 10)).Items));
        Complete(Assert.Single((await kit.Ledger.QueryByControlAsync(Registered.Controls[0], 10)).Items));
        Complete(Assert.Single(await kit.Ledger.QueryDueBeforeAsync(T0.AddYears(1), 10)));

        // A re-detection an hour later: lastSeenAt now differs from firstSeenAt and is stored; everything reads back.
        kit.Clock.Advance(TimeSpan.FromHours(1));
        var later = Rich("sg-layout", T0.AddHours(1), "Security group sg-layout still allows 0.0.0.0/0 on port 22");
        await kit.Ledger.RecordAsync([later], kit.Context);
        raw = await kit.RawFindingAsync(e.FindingId);
        Assert.True(raw.ContainsKey("lastSeenAt"));
        Assert.False(raw.ContainsKey("message"));
        var read = (await kit.Ledger.GetAsync(e.FindingId))!;
        Assert.Equal(later.Message, read.Message);
        Assert.Equal(T0.AddHours(1), read.LastViolationAt);
        Assert.Equal(T0, read.FirstViolationAt);
        Assert.Equal(kit.Now, read.LastSeenAt);
    }

    [Fact]
    public async Task A_finding_shaped_like_the_replays_most_common_one_is_one_write_unit()
    {
        // monitoring.root-user-activity in the scale replay: no SLA timer, CloudTrail evidence; 1,361 bytes before.
        var kit = await CreateAsync(dynamo);
        var e = Rich("arn:aws:iam::123456789012:root", T0) with
        {
            Rule = MonitoringRule,
            ResourceType = MonitoringRule.ResourceType,
            Message = "Root user activity: ConsoleLogin by arn:aws:iam::123456789012:root from 203.0.113.7",
            Diff = [],
        };
        await kit.Ledger.RecordAsync([e], kit.Context);
        var raw = await kit.RawFindingAsync(e.FindingId);
        Assert.True(FindingItemLayout.TryExpand(raw, out var expanded, out _));
        Assert.True(ItemBytes(raw) <= 1024, $"stored {ItemBytes(raw)} bytes (earlier layout {ItemBytes(expanded)})");
        Assert.True(ItemBytes(expanded) > 1024, $"earlier layout {ItemBytes(expanded)} bytes");
        Assert.Equal(e.Message, (await kit.Ledger.GetAsync(e.FindingId))!.Message);
    }

    [Fact]
    public async Task Items_of_the_earlier_layout_read_unchanged_and_their_next_write_stores_the_compact_layout()
    {
        var kit = await CreateAsync(dynamo);
        var e = Finding(Registered, "sg-old-layout", T0);
        var id = e.FindingId;
        // The item as every version before this one wrote it (main 23f52d8): every attribute plain, no detail.
        var old = new Dictionary<string, AttributeValue>
        {
            ["PK"] = S("FINDING#" + id), ["SK"] = S("META"), ["entityType"] = S("FINDING"),
            ["id"] = S(id), ["ruleId"] = S(Registered.Id), ["ruleTexts"] = S(RuleTexts.ForRule(Registered.Id)!.Fingerprint),
            ["category"] = S(Registered.Category.ToWire()), ["severity"] = S(Registered.Severity.ToWire()), ["status"] = S("open"),
            ["resourceId"] = S("sg-old-layout"), ["resourceType"] = S(Registered.ResourceType), ["accountId"] = S("123456789012"),
            ["region"] = S("eu-west-1"), ["subKey"] = S(""),
            ["message"] = S("Old message: port 22 open to the world"),
            ["firstSeenAt"] = S("2026-02-28T00:00:00.000Z"), ["lastSeenAt"] = S("2026-02-28T06:00:00.000Z"),
            ["diff"] = S("""[{"path":"configuration.ipPermissions","before":"[]","after":"[22]"}]"""),
            ["evidence"] = new AttributeValue { M = new() { ["eventId"] = S("old-event"), ["policyVersion"] = S("2026.1") } },
            ["historyLength"] = N(1), ["version"] = N(3),
            ["lastObservedAt"] = S("2026-02-28T00:00:00.000Z"), ["lastViolationAt"] = S("2026-02-28T00:00:00.000Z"),
            ["firstViolationAt"] = S("2026-02-28T00:00:00.000Z"), ["violationRuns"] = N(1), ["timelineHead"] = S("2026-02-28T00:00:00.000Z#1"),
            ["GSI1PK"] = S("STATUS#open"), ["GSI1SK"] = S(LedgerKeys.StatusSort(Registered.Severity, null, id)),
            ["GSI2PK"] = S(LedgerKeys.RulePartition(Registered.Id)), ["GSI2SK"] = S(LedgerKeys.MemberSort(FindingStatus.Open, Registered.Severity, null, id)),
            ["GSI3PK"] = S(LedgerKeys.ResourcePartition("sg-old-layout")), ["GSI3SK"] = S(LedgerKeys.ResourceSort(FindingStatus.Open, id)),
        };
        await kit.Dynamo.Client.PutItemAsync(new PutItemRequest { TableName = kit.Table, Item = old });
        // One written before the order-free timeline: no timeline attributes at all, and they read as absent (null).
        var older = new Dictionary<string, AttributeValue>(old)
        {
            ["PK"] = S("FINDING#f-pre-timeline"), ["id"] = S("f-pre-timeline"),
            ["GSI1SK"] = S(LedgerKeys.StatusSort(Registered.Severity, null, "f-pre-timeline")),
            ["GSI2SK"] = S(LedgerKeys.MemberSort(FindingStatus.Open, Registered.Severity, null, "f-pre-timeline")),
            ["GSI3SK"] = S(LedgerKeys.ResourceSort(FindingStatus.Open, "f-pre-timeline")),
        };
        foreach (var a in new[] { "lastObservedAt", "lastViolationAt", "firstViolationAt", "violationRuns", "timelineHead" }) older.Remove(a);
        await kit.Dynamo.Client.PutItemAsync(new PutItemRequest { TableName = kit.Table, Item = older });

        var read = (await kit.Ledger.GetAsync(id))!;
        Assert.Equal(("Old message: port 22 open to the world", "old-event", "sg-old-layout", 3L), (read.Message, read.Evidence["eventId"], read.ResourceId, read.Version));
        Assert.Equal(T0.AddHours(6), read.LastSeenAt);
        Assert.Equal("configuration.ipPermissions", Assert.Single(read.Diff).Path);
        var pre = (await kit.Ledger.GetAsync("f-pre-timeline"))!;
        Assert.Null(pre.LastViolationAt);
        Assert.Null(pre.FirstViolationAt);
        Assert.Null(pre.TimelineHead);
        Assert.Equal(2, (await kit.Ledger.QueryByResourceAsync("sg-old-layout", 10)).Items.Count);

        // The next write of the old item stores the compact layout, keeping what it carried.
        kit.Clock.Advance(TimeSpan.FromHours(7));
        await kit.Ledger.RecordAsync([Rich("sg-old-layout", T0.AddHours(7))], kit.Context);
        var raw = await kit.RawFindingAsync(id);
        Assert.True(raw.ContainsKey(FindingItemLayout.DetailAttribute));
        Assert.False(raw.ContainsKey("message"));
        var rewritten = (await kit.Ledger.GetAsync(id))!;
        Assert.Equal(4, rewritten.Version);
        Assert.Equal(T0, rewritten.FirstSeenAt);
        Assert.Equal(T0, rewritten.FirstViolationAt);
        Assert.Equal("3cda2b5f-a6c7-4c68-4444-93b0f6e1963c", rewritten.Evidence["eventId"]);
    }

    [Fact]
    public async Task A_drift_finding_shaped_like_the_replays_two_unit_ones_is_one_write_unit_and_reads_back_whole()
    {
        // drift.ebs-volume-baseline in the scale replay (wave 7: 1,105-1,115 bytes, 2 units): a long message naming the
        // resource, CloudTrail evidence, one diff line, an SLA with due and at-risk times, the new finding's owed alert and line.
        // Observed long before it was processed (the replay's CloudTrail times), so its SLA is breached and it has no timer.
        var At = DateTimeOffset.Parse("2016-05-21T16:11:22Z", CultureInfo.InvariantCulture);
        var kit = await CreateAsync(dynamo);
        const string resource = "arn:aws:ec2:us-west-1:619193117841:instance/i-784cdacd-r8";
        var e = Rich(resource, At, "AWS::EC2::Instance i-784cdacd-r8 drifts from the AWS::EC2::Volume baseline 2026.11.1 (RunInstances by "
            + "arn:aws:iam::619193117841:root-r8): volume /dev/sdb requested with encrypted=false (encrypted anyway if EBS encryption by default "
            + "is on; the volume's Config item confirms)") with
        {
            Evidence = new Dictionary<string, string>
            {
                ["actor"] = "arn:aws:iam::619193117841:root-r8",
                ["baseline"] = "AWS::EC2::Volume@2026.11.1",
                ["eventId"] = "6da8b953-741f-4273-be3f-289b92b4d1fc-v8",
                ["eventName"] = "RunInstances",
                ["eventSource"] = "ec2.amazonaws.com",
                ["eventTime"] = "2016-05-21T16:11:22Z",
                ["sourceIp"] = "autoscaling.amazonaws.com",
                ["unmetRequirements"] = "ebs.encrypted",
            },
            Diff = [new FieldDiff("blockDeviceMapping[/dev/sdb].ebs.encrypted", "true", "false")],
            AccountId = "619193117841",
            Region = "us-west-1",
        };
        await kit.Ledger.RecordAsync([e], kit.Context);
        var raw = await kit.RawFindingAsync(e.FindingId);
        Assert.True(ItemBytes(raw) <= 1024, $"stored {ItemBytes(raw)} bytes: " + string.Join(", ", raw.Select(a => a.Key + "=" + (Encoding.UTF8.GetByteCount(a.Key) + Value(a.Value)))) + " " + DetailJson(raw));
        var detail = DetailJson(raw);
        // The timeline's seven attributes are one packed string; the resource id is GSI3PK's; an empty diff is not stored.
        Assert.Contains("\"tl\":\"2016-05-21T16:11:22.000Z|=|=||=#1|=|1\"", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("lastViolationAt", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("\"resourceId\"", detail, StringComparison.Ordinal);
        Assert.Contains("\"firstSeenAt\"", detail, StringComparison.Ordinal);
        Assert.Contains("\"atRiskAt\"", detail, StringComparison.Ordinal);
        var read = (await kit.Ledger.GetAsync(e.FindingId))!;
        Assert.Equal((resource, e.Message, At, At, At, At, 1), (read.ResourceId, read.Message, read.LastObservedAt!.Value, read.LastViolationAt!.Value, read.FirstViolationAt!.Value, read.ClockStartedAt!.Value, read.ViolationRuns!.Value));
        Assert.Equal(LedgerKeys.Instant(At) + "#1", read.TimelineHead);
        Assert.Null(read.LastCompliantAt);
        Assert.Equal(kit.Now, read.FirstSeenAt);
        Assert.NotNull(read.AtRiskAt);
        Assert.Equal(e.Diff, read.Diff);
        Assert.Equal(OutboxMarker.OwedCreated, read.OwedLine);

        // Resolved, then reopened: every timeline field differs from lastObservedAt or is absent, and all read back.
        kit.Clock.Advance(TimeSpan.FromHours(1));
        await kit.Ledger.RecordAsync([Compliant(Registered, resource, At.AddHours(1)) with { AccountId = e.AccountId, Region = e.Region }], kit.Context);
        kit.Clock.Advance(TimeSpan.FromHours(1));
        await kit.Ledger.RecordAsync([e with { ObservedAt = At.AddHours(2) }], kit.Context);
        var reopened = (await kit.Ledger.GetAsync(e.FindingId))!;
        Assert.Equal((At.AddHours(2), At.AddHours(2), At, At.AddHours(1), 2), (reopened.LastObservedAt!.Value, reopened.LastViolationAt!.Value, reopened.FirstViolationAt!.Value, reopened.LastCompliantAt!.Value, reopened.ViolationRuns!.Value));
        Assert.Equal(FindingStatus.Open, reopened.Status);
        Assert.Contains("|2016-05-21T16:11:22.000Z|2016-05-21T17:11:22.000Z|=#1|", DetailJson(await kit.RawFindingAsync(e.FindingId)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_replays_last_two_unit_findings_Inspector_and_S3_baseline_are_one_write_unit_and_read_back_whole()
    {
        // Wave 8 left 286 of the replay's 4,003 finding puts at 2 units: patch.inspector-vulnerability (1,159-1,167 bytes: a
        // 147-character ECR image ARN in GSI3PK and the message, ~500 compressed bytes of evidence) and drift.s3-bucket-baseline
        // (1,025-1,041 bytes: five requirement lines in message, evidence and diff). These are those findings, as the replay wrote them.
        var At = DateTimeOffset.Parse("2021-12-03T18:02:30Z", CultureInfo.InvariantCulture);
        var kit = await CreateAsync(dynamo);
        var inspector = new IsmsServerless.Rules.Patch.InspectorVulnerabilityRule().Metadata;
        const string image = "arn:aws:ecr:us-east-2:123456789012:repository/amazon/amazon-ecs-sample/sha256:36c7b282abd0186e01419f2e58743e1bf635808231049bbc9d77EXAMPLE-v15";
        var vulnerability = Finding(inspector, image, At, "CVE-2019-17498") with
        {
            ResourceType = "AWS::ECR::Repository",
            AccountId = "123456789012",
            Region = "us-east-2",
            SeverityOverride = Severity.Medium,
            Message = $"MEDIUM vulnerability CVE-2019-17498 on {image}: libssh2-r15 1.4.3-12.amzn2.2 (no fixed version named); fix availability not reported; published 779 days before it was first observed here",
            Evidence = new Dictionary<string, string>
            {
                ["clockStartSource"] = "firstObservedAt", ["cveAgeDays"] = "779", ["eventId"] = "42dbea55-45ad-b2b4-87a8-afaEXAMPLE-v15",
                ["findingArn"] = "arn:aws:inspector2:us-east-2:123456789012:finding/be674aaddd0f75ac632055EXAMPLE-v15",
                ["firstObservedAt"] = "Dec 3, 2021, 6:02:30 PM", ["fixAvailable"] = "absent", ["inspectorResourceType"] = "AWS_ECR_CONTAINER_IMAGE",
                ["inspectorScore"] = "6.5", ["inspectorSeverity"] = "MEDIUM", ["inspectorStatus"] = "ACTIVE",
                ["packages"] = "libssh2-r15 1.4.3-12.amzn2.2 (no fixed version named)", ["vendorCreatedAt"] = "Oct 16, 2019, 12:00:00 AM",
                ["vulnerabilityId"] = "CVE-2019-17498",
            },
        };
        var s3 = new IsmsServerless.Rules.Drift.S3BucketBaselineRule().Metadata;
        const string bucket = "mborch-test-bucket-config-item-r12";
        string[] flags = ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"];
        var drift = Finding(s3, "arn:aws:s3:::" + bucket, At) with
        {
            AccountId = "934654633380",
            Region = "us-east-1",
            Message = $"AWS::S3::Bucket {bucket} drifts from the AWS::S3::Bucket baseline 2026.11.1: s3.encryption-at-rest: supplementaryConfiguration.ServerSideEncryptionConfiguration is not configured, expected default encryption (SSE-S3 or SSE-KMS) configured; "
                + string.Join("; ", flags.Select(f => $"s3.public-access-blocked.{f}: supplementaryConfiguration.PublicAccessBlockConfiguration.{f} is not set, expected true")),
            Evidence = new Dictionary<string, string>
            {
                ["baseline"] = "AWS::S3::Bucket@2026.11.1", ["configurationItemCaptureTime"] = "2019-02-12T07:29:28.000Z", ["configurationItemStatus"] = "OK",
                ["resourceId"] = bucket, ["resourceType"] = "AWS::S3::Bucket", ["trigger"] = "config-item-change",
                ["unmetRequirements"] = "s3.encryption-at-rest," + string.Join(",", flags.Select(f => "s3.public-access-blocked." + f)),
            },
            Diff = [new FieldDiff("supplementaryConfiguration.ServerSideEncryptionConfiguration", "default encryption (SSE-S3 or SSE-KMS) configured", "not configured"),
                .. flags.Select(f => new FieldDiff("supplementaryConfiguration.PublicAccessBlockConfiguration." + f, "true", "not set"))],
        };
        await kit.Ledger.RecordAsync([vulnerability, drift], kit.Context);
        foreach (var e in new[] { vulnerability, drift })
        {
            var raw = await kit.RawFindingAsync(e.FindingId);
            Assert.True(ItemBytes(raw) <= 1024, $"{e.Rule.Id}: stored {ItemBytes(raw)} bytes: " + string.Join(", ", raw.Select(a => a.Key + "=" + (Encoding.UTF8.GetByteCount(a.Key) + Value(a.Value)))));
            Assert.False(raw.ContainsKey(FindingItemLayout.DetailAttribute));
            // The same detail JSON as wave 8 stored (only its compression changed), which left the item at 2 units.
            var detail = DetailJson(raw);
            var json = Encoding.UTF8.GetBytes(detail);
            var wave8 = new Dictionary<string, AttributeValue>(raw) { [FindingItemLayout.DetailAttribute] = new AttributeValue { B = new MemoryStream(
                new[] { CompressedAttribute.Compress(json, 5, 18), CompressedAttribute.Compress(json, 11, 18) }.MinBy(b => b.Length)!) } };
            wave8.Remove(FindingItemLayout.PrimedDetailAttribute);
            Assert.True(ItemBytes(wave8) > 1024, $"{e.Rule.Id}: {ItemBytes(wave8)} bytes in the wave-8 layout");
            Assert.Contains("\"message\":\"" + e.Message[..60], detail, StringComparison.Ordinal);
            var read = (await kit.Ledger.GetAsync(e.FindingId))!;
            Assert.Equal((e.ResourceId, e.SubKey, e.Message, e.AccountId, e.Region), (read.ResourceId, read.SubKey, read.Message, read.AccountId, read.Region));
            Assert.Equal(e.Evidence.Append(new("policyVersion", kit.Ledger.PolicyVersion)).OrderBy(p => p.Key, StringComparer.Ordinal), read.Evidence.OrderBy(p => p.Key, StringComparer.Ordinal));
            Assert.Equal(e.Diff, read.Diff);
            Assert.Equal((At, 1), (read.LastViolationAt!.Value, read.ViolationRuns!.Value));
            Assert.Single((await kit.Ledger.QueryByResourceAsync(e.ResourceId, 10)).Items);
        }
    }

    [Fact]
    public void The_dictionary_primes_at_both_qualities_on_this_runtime_and_primed_details_of_either_quality_read_back()
    {
        // The kept prefixes are this runtime's Brotli output for the dictionary: if a runtime update changes it, writers fall
        // back to the unprimed detail (still correct, but larger) and this test says so; readers never need the encoder.
        Assert.Equal(Convert.ToBase64String(DetailDictionary.PrefixOf(5)), Convert.ToBase64String(typeof(DetailDictionary).GetField("Prefix5", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.GetValue(null) as byte[] ?? []));
        Assert.True(DetailDictionary.CanPrime(5));
        Assert.True(DetailDictionary.CanPrime(11));
        var json = "{\"message\":\"Root user CreateBucket from 203.0.113.7\",\"evidence\":{\"eventId\":\"x\"}}"u8.ToArray();
        foreach (var quality in new[] { 5, 11 })
        {
            var stored = DetailDictionary.Compress(json, quality)!;
            Assert.Equal(quality == 5 ? DetailDictionary.FormatQuality5 : DetailDictionary.FormatQuality11, stored[0]);
            Assert.True(stored.Length < CompressedAttribute.Compress(json, quality, 18).Length, $"quality {quality}: primed {stored.Length} bytes");
            Assert.True(DetailDictionary.TryDecompress(stored, 1024, out var rented, out var offset, out var length, out var problem), problem);
            Assert.Equal(json, rented.AsSpan(offset, length).ToArray());
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
        // A detail whose quality-5 primed form is over one unit is compressed at quality 11, primed too, and reads back.
        var noisy = Record(Enumerable.Range(0, 30).ToDictionary(i => "k" + i, i => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData([(byte)i]))));
        var item = LedgerItems.FindingItem(noisy, null);
        var detailJson = Encoding.UTF8.GetBytes(DetailJson(item));
        var (at5, at11) = (DetailDictionary.Compress(detailJson, 5)!, DetailDictionary.Compress(detailJson, 11)!);
        var atQuality5 = new Dictionary<string, AttributeValue>(item) { [FindingItemLayout.PrimedDetailAttribute] = new AttributeValue { B = new MemoryStream(at5) } };
        Assert.True(ItemBytes(atQuality5) > 1024, $"{ItemBytes(atQuality5)} bytes at quality 5");
        Assert.Equal(at11.Length < at5.Length ? at11 : at5, item[FindingItemLayout.PrimedDetailAttribute].B.ToArray());
        Assert.True(LedgerItems.TryReadFinding(item, out var read, out var readProblem), readProblem);
        Assert.Equal(noisy.Evidence.OrderBy(p => p.Key), read.Evidence.OrderBy(p => p.Key));
    }

    [Fact]
    public void A_primed_detail_that_is_garbage_truncated_of_an_unknown_format_or_stored_beside_a_plain_one_reads_as_malformed()
    {
        // A small finding is stored unprimed; the same detail primed reads back the same record.
        var plain = LedgerItems.FindingItem(Record(new Dictionary<string, string> { ["k"] = "v" }), null);
        var stored = DetailDictionary.Compress(Encoding.UTF8.GetBytes(DetailJson(plain)), 5)!;
        var item = new Dictionary<string, AttributeValue>(plain) { [FindingItemLayout.PrimedDetailAttribute] = new AttributeValue { B = new MemoryStream(stored) } };
        item.Remove(FindingItemLayout.DetailAttribute);
        Assert.True(LedgerItems.TryReadFinding(item, out var primedRead, out var problem), problem);
        Assert.True(LedgerItems.TryReadFinding(plain, out var plainRead, out problem), problem);
        Assert.Equal((plainRead.Message, plainRead.Evidence["k"], plainRead.ResourceId, plainRead.TimelineHead), (primedRead.Message, primedRead.Evidence["k"], primedRead.ResourceId, primedRead.TimelineHead));
        foreach (var bad in new byte[][] { [9, .. stored[1..]], stored[..^3], [1, 2, 3, 4, 5, 6, 7, 8], [DetailDictionary.FormatQuality5], [] })
        {
            var with = new Dictionary<string, AttributeValue>(item) { [FindingItemLayout.PrimedDetailAttribute] = new AttributeValue { B = new MemoryStream(bad) } };
            Assert.False(LedgerItems.TryReadFinding(with, out _, out problem), Convert.ToHexString(bad));
            Assert.Contains("detail", problem, StringComparison.Ordinal);
        }
        // A bomb after the prefix is cut at the limit like an unprimed one.
        var bomb = DetailDictionary.Compress(Encoding.UTF8.GetBytes("{\"message\":\"" + new string('0', 2 * FindingItemLayout.MaxDetailBytes) + "\"}"), 5)!;
        Assert.False(LedgerItems.TryReadFinding(new Dictionary<string, AttributeValue>(item) { [FindingItemLayout.PrimedDetailAttribute] = new AttributeValue { B = new MemoryStream(bomb) } }, out _, out problem));
        Assert.Contains("beyond", problem, StringComparison.Ordinal);
        var both = new Dictionary<string, AttributeValue>(item) { [FindingItemLayout.DetailAttribute] = new AttributeValue { B = new MemoryStream(Brotli("{\"message\":\"m\"}"u8.ToArray())) } };
        Assert.False(LedgerItems.TryReadFinding(both, out _, out problem));
        Assert.Contains("twice", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_detail_of_the_wave_7_layout_written_raw_reads_unchanged_and_is_rewritten_in_the_packed_layout()
    {
        var kit = await CreateAsync(dynamo);
        var e = Finding(Registered, "sg-wave7", T0);
        var id = e.FindingId;
        // The item as main 0c035ff wrote it: firstSeenAt and atRiskAt plain, each timeline attribute its own detail member.
        var wave7 = """{"resourceId":"sg-wave7","message":"Port 22 open","evidence":{"eventId":"w7-event","policyVersion":"2026.1"},"diff":[],"lastObservedAt":"2026-02-28T00:00:00.000Z","lastViolationAt":"2026-02-28T00:00:00.000Z","firstViolationAt":"2026-02-28T00:00:00.000Z","timelineHead":"2026-02-28T00:00:00.000Z#1","clockStartedAt":"2026-02-28T00:00:00.000Z","violationRuns":1}""";
        var old = new Dictionary<string, AttributeValue>
        {
            ["PK"] = S("FINDING#" + id), ["SK"] = S("META"), ["entityType"] = S("FINDING"),
            ["ruleTexts"] = S(RuleTexts.ForRule(Registered.Id)!.Fingerprint),
            ["category"] = S(Registered.Category.ToWire()), ["severity"] = S(Registered.Severity.ToWire()), ["status"] = S("open"),
            ["resourceType"] = S(Registered.ResourceType), ["accountId"] = S("123456789012"), ["region"] = S("eu-west-1"),
            ["firstSeenAt"] = S("2026-02-28T00:00:05.000Z"), ["atRiskAt"] = S("2026-03-01T00:00:00.000Z"), ["dueAt"] = S("2026-03-02T00:00:00.000Z"),
            ["historyLength"] = N(1), ["version"] = N(1), ["cs"] = N(1),
            [FindingItemLayout.DetailAttribute] = new AttributeValue { B = new MemoryStream(Brotli(Encoding.UTF8.GetBytes(wave7))) },
            ["GSI2PK"] = S(LedgerKeys.RulePartition(Registered.Id)), ["GSI2SK"] = S(LedgerKeys.MemberSort(FindingStatus.Open, Registered.Severity, T0.AddDays(2), id)),
            ["GSI3PK"] = S(LedgerKeys.ResourcePartition("sg-wave7")), ["GSI3SK"] = S(LedgerKeys.ResourceSort(FindingStatus.Open, id)),
        };
        await kit.Dynamo.Client.PutItemAsync(new PutItemRequest { TableName = kit.Table, Item = old });

        var read = (await kit.Ledger.GetAsync(id))!;
        Assert.Equal(("Port 22 open", "w7-event", "sg-wave7", 1L, ""), (read.Message, read.Evidence["eventId"], read.ResourceId, read.Version, read.SubKey));
        Assert.Equal((T0.AddSeconds(5), T0.AddSeconds(5), T0.AddDays(1), T0.AddDays(2)), (read.FirstSeenAt, read.LastSeenAt, read.AtRiskAt!.Value, read.DueAt!.Value));
        Assert.Equal((T0, T0, T0, T0, 1), (read.LastObservedAt!.Value, read.LastViolationAt!.Value, read.FirstViolationAt!.Value, read.ClockStartedAt!.Value, read.ViolationRuns!.Value));
        Assert.Equal("2026-02-28T00:00:00.000Z#1", read.TimelineHead);
        Assert.Empty(read.Diff);
        Assert.Single((await kit.Ledger.QueryByResourceAsync("sg-wave7", 10)).Items);

        // Its next write stores the packed layout and keeps what it carried.
        kit.Clock.Advance(TimeSpan.FromHours(7));
        await kit.Ledger.RecordAsync([Rich("sg-wave7", T0.AddHours(7))], kit.Context);
        var raw = await kit.RawFindingAsync(id);
        Assert.False(raw.ContainsKey("firstSeenAt"));
        Assert.Contains("\"tl\":\"2026-02-28T07:00:00.000Z|=|2026-02-28T00:00:00.000Z||=#1|2026-02-28T00:00:00.000Z|1\"", DetailJson(raw), StringComparison.Ordinal);
        var rewritten = (await kit.Ledger.GetAsync(id))!;
        Assert.Equal((2L, T0.AddSeconds(5), T0, T0.AddHours(7)), (rewritten.Version, rewritten.FirstSeenAt, rewritten.FirstViolationAt!.Value, rewritten.LastViolationAt!.Value));
    }

    [Fact]
    public void Timeline_values_that_could_be_misread_packed_stay_explicit_and_a_malformed_packed_timeline_reads_as_malformed()
    {
        // Written only by the ledger, so never seen in practice: a '|' or a leading '=' keeps the attributes explicit.
        var odd = Record(new Dictionary<string, string>()) with { TimelineHead = "=odd|head" };
        var item = LedgerItems.FindingItem(odd, null);
        Assert.DoesNotContain("\"tl\"", DetailJson(item), StringComparison.Ordinal);
        Assert.True(LedgerItems.TryReadFinding(item, out var read, out var problem), problem);
        Assert.Equal(("=odd|head", T0, 1), (read.TimelineHead, read.LastViolationAt!.Value, read.ViolationRuns!.Value));

        var normal = LedgerItems.FindingItem(Record(new Dictionary<string, string>()), null);
        Assert.Contains("\"tl\":\"2026-02-28T00:00:00.000Z|=|=||=#1||1\"", DetailJson(normal), StringComparison.Ordinal);
        foreach (var bad in new[] { "a|b", "|=|||||", "2026-02-28T00:00:00.000Z|=x|||||", "2026-02-28T00:00:00.000Z||||||one", "2026-02-28T00:00:00.000Z|||||=#1|" })
        {
            var json = "{\"message\":\"m\",\"tl\":\"" + bad + "\"}";
            Assert.False(LedgerItems.TryReadFinding(With(normal, new AttributeValue { B = new MemoryStream(Brotli(Encoding.UTF8.GetBytes(json))) }), out _, out problem), bad);
            Assert.Contains("tl", problem, StringComparison.Ordinal);
        }
        // A resource id too long for a key (GSI3PK holds its hash) stays in the detail.
        var longId = "arn:aws:ecr:us-east-2:123456789012:repository/" + new string('r', 1100);
        Assert.True(LedgerItems.TryReadFinding(LedgerItems.FindingItem(Record(new Dictionary<string, string>()) with { ResourceId = longId }, null), out read, out problem), problem);
        Assert.Equal(longId, read.ResourceId);
    }

    // The detail JSON of either stored form: primed by the dictionary (wave 9, `dd`) or plain Brotli (`detail`).
    private static string DetailJson(Dictionary<string, AttributeValue> item)
    {
        if (item.TryGetValue(FindingItemLayout.PrimedDetailAttribute, out var primed))
        {
            Assert.True(DetailDictionary.TryDecompress(primed.B.ToArray(), FindingItemLayout.MaxDetailBytes, out var rented, out var offset, out var length, out var problem), problem);
            try { return Encoding.UTF8.GetString(rented, offset, length); }
            finally { System.Buffers.ArrayPool<byte>.Shared.Return(rented); }
        }
        using var input = new MemoryStream(item[FindingItemLayout.DetailAttribute].B.ToArray());
        using var brotli = new BrotliStream(input, CompressionMode.Decompress);
        using var reader = new StreamReader(brotli, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private static byte[] StoredDetail(Dictionary<string, AttributeValue> item) =>
        (item.GetValueOrDefault(FindingItemLayout.PrimedDetailAttribute) ?? item[FindingItemLayout.DetailAttribute]).B.ToArray();

    [Fact]
    public void The_same_finding_always_gives_the_same_item_bytes_whatever_the_evidence_order()
    {
        var evidence = new Dictionary<string, string> { ["b"] = "2", ["a"] = "1", ["c"] = "é \u2028 \"quoted\" <tag>" };
        var reversed = new Dictionary<string, string>(evidence.Reverse());
        var one = LedgerItems.FindingItem(Record(evidence), null);
        var two = LedgerItems.FindingItem(Record(reversed), null);
        Assert.True(ConditionalPut.Same(one, two));
        Assert.Equal(StoredDetail(one), StoredDetail(two));
        // A different detail is a different item (the lost-answer check compares binary values by their bytes).
        var other = LedgerItems.FindingItem(Record(new Dictionary<string, string>(evidence) { ["c"] = "changed" }), null);
        Assert.False(ConditionalPut.Same(one, other));
    }

    [Fact]
    public void Hostile_text_round_trips_exactly_and_a_lone_surrogate_reads_as_the_replacement_character_DynamoDB_stores()
    {
        var hostile = new Dictionary<string, string>
        {
            ["newline\nkey"] = "line1\nDetails: spoofed\r\n",
            ["json"] = "\"},{\"evidence\":{\"x\":\"y\"}}",
            ["nul"] = "a\u0000b",
            ["bidi"] = "\u202Egnp.exe",
            ["emoji"] = "🔥 ünïcödé",
            ["surrogate"] = "bad\uD800end",
        };
        var record = Record(hostile) with { Message = "Message with \u0000 and \uDC00 and </script>", SubKey = "call#7\nspoof" };
        var item = LedgerItems.FindingItem(record, null);
        Assert.False(item.ContainsKey("subKey"));
        Assert.True(LedgerItems.TryReadFinding(item, out var read, out var problem), problem);
        Assert.Equal("call#7\nspoof", read.SubKey);
        Assert.Equal("bad\uFFFDend", read.Evidence["surrogate"]);
        Assert.Equal("Message with \u0000 and \uFFFD and </script>", read.Message);
        foreach (var (key, value) in hostile.Where(p => p.Key != "surrogate")) Assert.Equal(value, read.Evidence[key]);
    }

    [Fact]
    public void Evidence_too_large_for_one_item_is_refused_before_any_write_and_a_bomb_or_garbage_detail_reads_as_malformed()
    {
        // Highly compressible evidence would fit compressed but could not have been stored before: refused.
        var huge = Record(new Dictionary<string, string> { ["blob"] = new string('A', FindingItemLayout.MaxDetailBytes) });
        Assert.Throws<FindingItemTooLargeException>(() => LedgerItems.FindingItem(huge, null));

        var item = LedgerItems.FindingItem(Record(new Dictionary<string, string> { ["k"] = "v" }), null);
        // A decompression bomb: 50 MB of zeros in a few KB (hand-made: the writer could not produce it).
        var bomb = Brotli(Encoding.UTF8.GetBytes("{\"message\":\"" + new string('0', 50 * 1024 * 1024) + "\"}"));
        Assert.True(bomb.Length < 64 * 1024);
        Assert.False(LedgerItems.TryReadFinding(With(item, new AttributeValue { B = new MemoryStream(bomb) }), out _, out var problem));
        Assert.Contains("beyond", problem, StringComparison.Ordinal);
        Assert.False(LedgerItems.TryReadFinding(With(item, new AttributeValue { B = new MemoryStream([1, 2, 3, 4, 5, 6, 7, 8]) }), out _, out problem));
        Assert.Contains("detail", problem, StringComparison.Ordinal);
        Assert.False(LedgerItems.TryReadFinding(With(item, new AttributeValue { B = new MemoryStream(Brotli("{\"version\":\"99\"}"u8.ToArray())) }), out _, out problem));
        Assert.Contains("unknown attribute", problem, StringComparison.Ordinal);
        Assert.False(LedgerItems.TryReadFinding(With(item, new AttributeValue { B = new MemoryStream(Brotli("[1,2]"u8.ToArray())) }), out _, out problem));
        Assert.False(LedgerItems.TryReadFinding(With(item, new AttributeValue { B = new MemoryStream(Brotli("{\"evidence\":{\"k\":7}}"u8.ToArray())) }), out _, out problem));
        Assert.False(LedgerItems.TryReadFinding(With(item, new AttributeValue { S = "not binary" }), out _, out problem));
    }

    [Fact]
    public async Task A_stored_bomb_is_logged_and_skipped_by_every_reader_and_refused_by_writers()
    {
        var kit = await CreateAsync(dynamo);
        var good = Rich("sg-good", T0);
        var victim = Rich("sg-bomb", T0);
        await kit.Ledger.RecordAsync([good, victim], kit.Context);
        var raw = await kit.RawFindingAsync(victim.FindingId);
        raw.Remove(FindingItemLayout.PrimedDetailAttribute);
        raw[FindingItemLayout.DetailAttribute] = new AttributeValue { B = new MemoryStream(Brotli(Encoding.UTF8.GetBytes("{\"message\":\"" + new string('x', 8 * 1024 * 1024) + "\"}"))) };
        await kit.Dynamo.Client.PutItemAsync(new PutItemRequest { TableName = kit.Table, Item = raw });

        Assert.Null(await kit.Ledger.GetAsync(victim.FindingId));
        Assert.Equal([good.FindingId], (await kit.Ledger.QueryByStatusAsync(FindingStatus.Open, 10)).Items.Select(f => f.Id));
        var write = await kit.Ledger.RecordAsync([Compliant(Registered, "sg-bomb", T0.AddHours(1))], kit.Context);
        Assert.Equal(1, write.Malformed);
    }

    private static FindingRecord Record(IReadOnlyDictionary<string, string> evidence) => new()
    {
        Id = "f-0123456789abcdef0123456789abcdef",
        RuleId = Registered.Id,
        Title = Registered.Title,
        Category = Registered.Category,
        Severity = Registered.Severity,
        Status = FindingStatus.Open,
        ResourceId = "sg-1",
        Controls = Registered.Controls,
        PolicyClause = Registered.PolicyClause,
        Remediation = Registered.Remediation,
        Message = "m",
        FirstSeenAt = T0,
        LastSeenAt = T0,
        Evidence = evidence,
        Version = 1,
        LastObservedAt = T0,
        LastViolationAt = T0,
        FirstViolationAt = T0,
        ViolationRuns = 1,
        TimelineHead = LedgerKeys.Instant(T0) + "#1",
    };

    private static Dictionary<string, AttributeValue> With(Dictionary<string, AttributeValue> item, AttributeValue detail)
    {
        var with = new Dictionary<string, AttributeValue>(item) { [FindingItemLayout.DetailAttribute] = detail };
        with.Remove(FindingItemLayout.PrimedDetailAttribute);
        return with;
    }

    private static byte[] Brotli(byte[] data)
    {
        using var output = new MemoryStream();
        using (var brotli = new BrotliStream(output, CompressionLevel.Optimal, leaveOpen: true)) brotli.Write(data);
        return output.ToArray();
    }

    private static AttributeValue S(string value) => new() { S = value };

    private static AttributeValue N(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };

    private static int ItemBytes(Dictionary<string, AttributeValue> item) => IsmsServerless.Storage.ItemSize.Of(item);

    private static int Value(AttributeValue v) => IsmsServerless.Storage.ItemSize.Of(v);
}

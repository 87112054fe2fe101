using System.Text.Json;
using System.Text.Json.Nodes;
using IsmsServerless.Engine;
using IsmsServerless.Model;
using IsmsServerless.Output;
using IsmsServerless.Sweep.Patch;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Patch;

/// <summary>
/// The SSM sweep against a real HTTP server on 127.0.0.1 speaking JSON 1.1, replaying the published SSM responses
/// (../shared/fixtures/events/patch/ssm-describe-*.json and Fixtures/patch/ssm-describe-instance-information.json).
/// </summary>
public sealed class SsmPatchSweepTests
{
    private const string Account = "111122223333";
    private const string Region = "eu-west-1";
    private const string WindowsNode = "i-02573cafcfEXAMPLE";
    private const string LinuxNode = "i-1234567890abcdef0";
    private const string TruncatedToken = "--token string truncated--";

    private static string SharedText(string name) => File.ReadAllText(Fixtures.SharedPath("patch/" + name));

    /// <summary>
    /// Replays the fixtures as one consistent fleet. Edits, each for paging: page 1 of DescribeInstanceInformation
    /// (the aws-cli example, Linux node) gets NextToken "page-2"; page 2 is the Windows node the patch-state fixture
    /// describes; DescribeInstancePatches page 1 is the "missing" example (its NextToken is the docs' placeholder) and
    /// page 2, asked for with that placeholder, is the "windows-mixed" example with its NextToken removed.
    /// </summary>
    private static (int, string) Fleet(string operation, JsonElement body, ref int patchStateCalls, bool throttleFirstPatchStates)
    {
        var token = body.TryGetProperty("NextToken", out var t) ? t.GetString() : null;
        switch (operation)
        {
            case "DescribeInstanceInformation" when token is null:
                var page1 = JsonNode.Parse(File.ReadAllText(Fixtures.LocalPath("patch/ssm-describe-instance-information.json")))!;
                page1["NextToken"] = "page-2";
                return (200, page1.ToJsonString());
            case "DescribeInstanceInformation" when token == "page-2":
                return (200, $$"""{"InstanceInformationList":[{"InstanceId":"{{WindowsNode}}","PingStatus":"Online","PlatformType":"Windows","PlatformName":"Microsoft Windows Server 2016 Datacenter","ResourceType":"EC2Instance","RegistrationDate":1.5E9}]}""");
            case "DescribeInstancePatchStates":
                patchStateCalls++;
                if (throttleFirstPatchStates && patchStateCalls == 1) return (400, SsmReplayServer.Error("ThrottlingException", "Rate exceeded"));
                return (200, SharedText("ssm-describe-instance-patch-states-response.json"));
            case "DescribeInstancePatches" when token is null:
                return (200, SharedText("ssm-describe-instance-patches-missing.json"));
            case "DescribeInstancePatches" when token == TruncatedToken:
                var page2 = JsonNode.Parse(SharedText("ssm-describe-instance-patches-windows-mixed.json"))!.AsObject();
                page2.Remove("NextToken");
                return (200, page2.ToJsonString());
            default:
                return (400, SsmReplayServer.Error("ValidationException", $"unexpected {operation} token {token}"));
        }
    }

    private static EvaluationContext At(string instant) => TestContexts.At(instant);

    [Fact]
    public async Task Sweep_pages_every_call_survives_throttling_and_judges_the_fleet()
    {
        var patchStateCalls = 0;
        await using var server = SsmReplayServer.Start((op, body) => Fleet(op, body, ref patchStateCalls, throttleFirstPatchStates: true));
        using var client = server.CreateClient();
        var step = new SsmPatchSweepStep(new SsmPatchInventorySource(client), Account, Region);
        var context = At("2021-05-06T00:00:00Z");

        var (inventory, evaluations) = await step.EvaluateAsync(context, CancellationToken.None);

        Assert.Empty(inventory.Problems);
        Assert.Equal([LinuxNode, WindowsNode], inventory.Nodes.Select(n => n.InstanceId));
        // Throttled once, retried by the SDK, then answered.
        Assert.Equal(2, server.Requests.Count(r => r.Operation == "DescribeInstancePatchStates"));
        var stateRequest = server.Requests.Last(r => r.Operation == "DescribeInstancePatchStates").Body;
        Assert.Equal([LinuxNode, WindowsNode], stateRequest.GetProperty("InstanceIds").EnumerateArray().Select(e => e.GetString()));
        // Patches are asked for only where the state says something is non-compliant, with the state filter, over two pages.
        var patchRequests = server.Requests.Where(r => r.Operation == "DescribeInstancePatches").Select(r => r.Body).ToList();
        Assert.Equal(2, patchRequests.Count);
        Assert.All(patchRequests, r => Assert.Equal(WindowsNode, r.GetProperty("InstanceId").GetString()));
        var filter = patchRequests[0].GetProperty("Filters")[0];
        Assert.Equal("State", filter.GetProperty("Key").GetString());
        Assert.Equal(["Missing", "Failed", "InstalledPendingReboot", "InstalledRejected"], filter.GetProperty("Values").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(TruncatedToken, patchRequests[1].GetProperty("NextToken").GetString());

        // The fixture's OperationEndTime "2021-05-03T11:01:09-07:00" is 18:01:09 UTC.
        var scanEnd = DateTimeOffset.Parse("2021-05-03T18:01:09Z", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(scanEnd, inventory.States.Single().OperationEndTime);

        var silent = Assert.Single(evaluations, e => e.Rule.Id == "patch.stale-patch-scan" && e.ResourceId == LinuxNode);
        Assert.Equal(Outcome.Finding, silent.Outcome);
        Assert.Contains("no patch scan on record", silent.Message, StringComparison.Ordinal);
        Assert.Equal(Outcome.Compliant, Assert.Single(evaluations, e => e.Rule.Id == "patch.stale-patch-scan" && e.ResourceId == WindowsNode).Outcome);

        var instance = Assert.Single(evaluations, e => e.Rule.Id == "patch.instance-patch-compliance");
        Assert.Equal(Outcome.Finding, instance.Outcome);
        Assert.Equal(Severity.Critical, instance.Severity);
        Assert.Equal(scanEnd, instance.ClockStart);
        Assert.Equal("2", instance.Evidence["criticalNonCompliantCount"]);

        var missing = Assert.Single(evaluations, e => e.Rule.Id == "patch.missing-patch" && e.SubKey == "KB890830");
        Assert.Equal(Outcome.Finding, missing.Outcome);
        Assert.Equal(Severity.Medium, missing.Severity); // "Unspecified" is not low
        Assert.Equal(scanEnd, missing.ClockStart);
        Assert.Equal(Account, missing.AccountId);
        // The server ignored our filter on page 2 and returned installed patches: they are compliant, not findings.
        Assert.Equal(Outcome.Compliant, Assert.Single(evaluations, e => e.SubKey == "KB4480979").Outcome);
        Assert.Equal(Outcome.Compliant, Assert.Single(evaluations, e => e.SubKey == "KB4481031").Outcome);

        // CRITICAL: 7 days from the scan. At 2021-05-06 it is open; the CLI contract computes the same.
        var line = OutcomeLine.From("sweep", instance, context);
        Assert.Equal("2021-05-10T18:01:09.000Z", line.DueAt);
        Assert.Equal("open", line.State);
    }

    [Fact]
    public async Task A_scan_older_than_the_limit_is_a_finding_and_claims_no_compliance()
    {
        var calls = 0;
        await using var server = SsmReplayServer.Start((op, body) => Fleet(op, body, ref calls, throttleFirstPatchStates: false));
        using var client = server.CreateClient();
        var step = new SsmPatchSweepStep(new SsmPatchInventorySource(client), Account, Region);
        // 7 days + 1 ms after the scan ended.
        var (_, evaluations) = await step.EvaluateAsync(At("2021-05-10T18:01:09.001Z"), CancellationToken.None);

        var stale = Assert.Single(evaluations, e => e.Rule.Id == "patch.stale-patch-scan" && e.ResourceId == WindowsNode);
        Assert.Equal(Outcome.Finding, stale.Outcome);
        Assert.Equal(DateTimeOffset.Parse("2021-05-10T18:01:09Z", System.Globalization.CultureInfo.InvariantCulture), stale.ClockStart);
        // What the old scan said is missing is still reported; what it said is installed proves nothing now.
        Assert.Contains(evaluations, e => e.SubKey == "KB890830" && e.Outcome == Outcome.Finding);
        Assert.DoesNotContain(evaluations, e => e.Rule.Id.StartsWith("patch.", StringComparison.Ordinal) && e.Outcome == Outcome.Compliant
            && e.ResourceId == WindowsNode);
    }

    [Fact]
    public async Task Exactly_the_scan_age_limit_is_still_fresh()
    {
        var calls = 0;
        await using var server = SsmReplayServer.Start((op, body) => Fleet(op, body, ref calls, throttleFirstPatchStates: false));
        using var client = server.CreateClient();
        var step = new SsmPatchSweepStep(new SsmPatchInventorySource(client), Account, Region);
        var (_, evaluations) = await step.EvaluateAsync(At("2021-05-10T18:01:09Z"), CancellationToken.None);
        Assert.Equal(Outcome.Compliant, Assert.Single(evaluations, e => e.Rule.Id == "patch.stale-patch-scan" && e.ResourceId == WindowsNode).Outcome);
    }

    [Fact]
    public async Task Persistent_throttling_is_reported_as_a_problem_not_a_crash_and_nothing_is_claimed()
    {
        await using var server = SsmReplayServer.Start((_, _) => (400, SsmReplayServer.Error("ThrottlingException", "Rate exceeded")));
        using var client = server.CreateClient(maxErrorRetry: 1);
        var step = new SsmPatchSweepStep(new SsmPatchInventorySource(client), Account, Region);
        var (inventory, evaluations) = await step.EvaluateAsync(At("2021-05-06T00:00:00Z"), CancellationToken.None);
        var problem = Assert.Single(inventory.Problems);
        Assert.Contains("ThrottlingException", problem, StringComparison.Ordinal);
        Assert.Equal(2, server.Requests.Count); // one call, one SDK retry
        Assert.Empty(evaluations);
        Assert.False(inventory.NodeListComplete);
    }

    [Fact]
    public async Task A_next_token_that_repeats_stops_paging_and_marks_the_node_incomplete()
    {
        var calls = 0;
        await using var server = SsmReplayServer.Start((op, body) => op == "DescribeInstancePatches"
            ? (200, SharedText("ssm-describe-instance-patches-missing.json")) // NextToken is always the same placeholder
            : Fleet(op, body, ref calls, throttleFirstPatchStates: false));
        using var client = server.CreateClient();
        var inventory = await new SsmPatchInventorySource(client).ReadAsync(CancellationToken.None);
        Assert.Contains(inventory.Problems, p => p.Contains("NextToken repeated", StringComparison.Ordinal));
        Assert.Contains(WindowsNode, inventory.IncompleteNodes);
        Assert.Equal(2, server.Requests.Count(r => r.Operation == "DescribeInstancePatches"));
    }

    [Fact]
    public async Task Event_and_sweep_agree_on_the_instance_finding_identity()
    {
        var context = At("2017-07-18T00:00:00Z");
        var fromEvent = RuleEngine.CreateDefault().Evaluate(Fixtures.Shared("patch/eb-ssm-compliance-patch-noncompliant.json"), context);
        var eventFinding = Assert.Single(fromEvent.Evaluations);

        var inventory = new PatchInventory(
            [new ManagedNode("i-01234567890abcdef", "Online", "Linux", "Amazon Linux", null)],
            [new NodePatchState("i-01234567890abcdef", "PB789", "Scan", DateTimeOffset.Parse("2017-07-17T19:02:31Z", System.Globalization.CultureInfo.InvariantCulture), 1, 0, 0, 0, 1, 0, 0)],
            [new NodePatch("i-01234567890abcdef", "KB4480979", "Security Update", "SecurityUpdates", "Critical", "Missing", ["CVE-2019-0001"], null)],
            []);
        var step = new SsmPatchSweepStep(new StaticInventory(inventory), "123456789012", "us-east-2");
        var (_, swept) = await step.EvaluateAsync(context, CancellationToken.None);
        var sweepFinding = Assert.Single(swept, e => e.Rule.Id == eventFinding.Rule.Id);

        Assert.Equal(eventFinding.FindingId, sweepFinding.FindingId);
        Assert.Equal(Outcome.Finding, sweepFinding.Outcome);
        Assert.Equal(eventFinding.Severity, sweepFinding.Severity);
        Assert.Equal(eventFinding.ClockStart, sweepFinding.ClockStart);
    }

    private sealed class StaticInventory(PatchInventory inventory) : IPatchInventorySource
    {
        public Task<PatchInventory> ReadAsync(CancellationToken cancellationToken) => Task.FromResult(inventory);
    }

    [Fact]
    public async Task Unusable_patch_ids_from_the_instance_are_skipped_with_a_problem()
    {
        var calls = 0;
        var evilPage = JsonNode.Parse(SharedText("ssm-describe-instance-patches-missing.json"))!.AsObject();
        evilPage.Remove("NextToken");
        evilPage["Patches"]!.AsArray().Add(new JsonObject { ["KBId"] = new string('K', 300), ["Title"] = "x", ["State"] = "Missing", ["Severity"] = "Critical" });
        evilPage["Patches"]!.AsArray().Add(new JsonObject { ["KBId"] = "KB1\u0000<script>", ["State"] = "Missing" });
        evilPage["Patches"]!.AsArray().Add(new JsonObject { ["KBId"] = "KB2<script>alert(1)</script>", ["State"] = "Missing" });
        await using var server = SsmReplayServer.Start((op, body) => op == "DescribeInstancePatches"
            ? (200, evilPage.ToJsonString())
            : Fleet(op, body, ref calls, throttleFirstPatchStates: false));
        using var client = server.CreateClient();
        var inventory = await new SsmPatchInventorySource(client).ReadAsync(CancellationToken.None);
        Assert.Equal(["KB890830", "KB2<script>alert(1)</script>"], inventory.Patches.Select(p => p.PatchId));
        Assert.Single(inventory.Problems, p => p.Contains("300 characters", StringComparison.Ordinal));
    }
}

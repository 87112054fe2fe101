using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using IsmsServerless.Access;
using IsmsServerless.Cli.Local;
using IsmsServerless.Compliance;
using IsmsServerless.Engine;
using IsmsServerless.Identity;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Pipeline;
using IsmsServerless.Settings;
using IsmsServerless.StatusPage;
using IsmsServerless.Sweep;
using IsmsServerless.Tests.Drift;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Access;

/// <summary>
/// Issue 18: the access review campaign is its own section of the audit export (<c>./isms export</c> and the page's
/// <c>/api/export</c>), not only the attestation note: every principal reviewed with the snapshot the reviewer saw
/// (admin-level rights, external trust, last activity), each decision (keep / revoke / reduce, by whom, when, the note),
/// and the finding a revoke opened with its status at export. Output-encoded (JSON escapes markup; CSV neutralises
/// formulas). Real Config items (aws-config-rdk user and role, Fixtures/drift), DynamoDB Local, real HTTP for the page.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class AccessReviewExportTests(DynamoDbLocalFixture dynamo)
{
    private const string Johndoe = "arn:aws:iam::112233445566:user/johndoe";
    private const string HostileNote = "=HYPERLINK(\"http://evil\") <script>alert(1)</script> left the admin team";

    private static readonly IsmsSettings Settings = IsmsSettings.Default with
    {
        People =
        [
            new Person { Email = "cto@example.com", Name = "CTO", Roles = ["cto"] },
            new Person { Email = "john@example.com", Name = "John", Roles = ["it-director"], Principals = new PersonPrincipals { IamUsers = ["johndoe"] } },
        ],
        Access = new AccessSettings { InternalAccounts = ["112233445566"], ReviewRemediationDays = 5 },
    };

    private static JsonObject ExternalRole()
    {
        var role = DriftPayloads.Item("ci-iam-role-rdk.json");
        role["configuration"]!["assumeRolePolicyDocument"] = Uri.EscapeDataString(
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"sts:AssumeRole"}]}""");
        return role;
    }

    [Fact]
    public async Task Every_principal_decision_and_resulting_finding_is_in_the_cli_and_page_export()
    {
        var table = await dynamo.NewTableAsync("access-export");
        var clock = TestContexts.ClockAt("2026-11-23T09:00:00Z");
        var ledger = new DynamoDbFindingLedger(dynamo.Client, table, Settings);
        var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), InputEnrichers.Default(dynamo.Client, table), ledger);
        var review = new AccessReviewService(dynamo.Client, table, Settings, clock, "112233445566", "us-east-1");
        await pipeline.ProcessAsync(DriftPayloads.ItemChange(DriftPayloads.Item("ci-iam-user-rdk.json")), new EvaluationContext(Settings, clock));
        await pipeline.ProcessAsync(DriftPayloads.ItemChange(ExternalRole()), new EvaluationContext(Settings, clock));
        // johndoe acted on 2026-11-20 (the activity the reviewer sees in the snapshot).
        await new AccessActivityStore(dynamo.Client, table).RecordSeenAsync(Johndoe, DateTimeOffset.Parse("2026-11-20T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture), "signin:ConsoleLogin");

        var campaign = await review.OpenAsync("cto@example.com");
        clock.Advance(TimeSpan.FromHours(1));
        await review.DecideAsync(campaign.Id, "johndoe", "revoke", HostileNote, "cto@example.com", ledger);
        clock.Advance(TimeSpan.FromHours(1));
        await review.DecideAsync(campaign.Id, "config-role-ezcrc2", "keep", "the auditor's read-only account", "john@example.com", ledger);
        var findingId = AccessReviewExport.FindingId((await review.GetAsync(campaign.Id))!.Principals.Single(p => p.PrincipalKey == Johndoe));
        Assert.Equal(FindingStatus.Open, (await ledger.GetAsync(findingId))!.Status);

        var from = DateTimeOffset.Parse("2026-11-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var to = DateTimeOffset.Parse("2026-12-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var text = await IsmsServerless.Cli.ExportCommand.RunAsync(dynamo.Client, table, from, to, "json", clock.GetUtcNow());
        // Output encoding: the note's markup leaves the export escaped.
        Assert.DoesNotContain("<script>", text, StringComparison.Ordinal);
        Assert.Contains("\\u003Cscript\\u003E", text, StringComparison.Ordinal);
        var exported = Assert.Single(JsonNode.Parse(text)!["accessReviews"]!.AsArray())!;
        Assert.Equal(campaign.Id, exported["campaignId"]!.GetValue<string>());
        Assert.Equal(("cto@example.com", 2, 0, 1, 1), (exported["openedBy"]!.GetValue<string>(), exported["principalCount"]!.GetValue<int>(),
            exported["undecided"]!.GetValue<int>(), exported["keep"]!.GetValue<int>(), exported["revoke"]!.GetValue<int>()));
        var user = exported["principals"]!.AsArray().Single(p => p!["key"]!.GetValue<string>() == Johndoe)!;
        Assert.Equal("AdministratorAccess (attached AdministratorAccess)", user["snapshot"]!["adminVia"]![0]!.GetValue<string>());
        Assert.Equal("2026-11-20T00:00:00.000Z", user["snapshot"]!["lastSeenAt"]!.GetValue<string>());
        Assert.Equal("john@example.com", user["owner"]!.GetValue<string>());
        Assert.Equal(("revoke", "cto@example.com", "2026-11-23T10:00:00.000Z", HostileNote),
            (user["decision"]!.GetValue<string>(), user["decidedBy"]!.GetValue<string>(), user["decidedAt"]!.GetValue<string>(), user["note"]!.GetValue<string>()));
        Assert.Equal((findingId, "open"), (user["findingId"]!.GetValue<string>(), user["findingStatus"]!.GetValue<string>()));
        var role = exported["principals"]!.AsArray().Single(p => p!["kind"]!.GetValue<string>() == "role")!;
        Assert.Equal("arn:aws:iam::999988887777:root", role["snapshot"]!["externalTrusts"]![0]!.GetValue<string>());
        Assert.Equal(("keep", "john@example.com"), (role["decision"]!.GetValue<string>(), role["decidedBy"]!.GetValue<string>()));
        Assert.Null(role["findingId"]);

        var csv = await IsmsServerless.Cli.ExportCommand.RunAsync(dynamo.Client, table, from, to, "csv", clock.GetUtcNow());
        var rows = csv.Split("\r\n").Where(r => r.StartsWith("access-review," + campaign.Id, StringComparison.Ordinal)).ToList();
        Assert.Equal(2, rows.Count);
        var userRow = Assert.Single(rows, r => r.Contains(Johndoe, StringComparison.Ordinal));
        Assert.Contains(findingId, userRow, StringComparison.Ordinal);
        Assert.Contains("finding open", userRow, StringComparison.Ordinal);
        Assert.Contains("\"'=HYPERLINK(\"\"http://evil\"\")", userRow, StringComparison.Ordinal); // formula neutralised, quotes doubled

        // Config shows johndoe stripped: the sweep resolves the finding, and the export says so with the effective time.
        var stripped = DriftPayloads.Item("ci-iam-user-rdk.json");
        stripped["configurationItemCaptureTime"] = "2026-11-24T08:00:00.000Z";
        stripped["configuration"]!["attachedManagedPolicies"] = new JsonArray();
        stripped["configuration"]!["userPolicyList"] = new JsonArray();
        stripped["configuration"]!["groupList"] = new JsonArray();
        clock.Advance(TimeSpan.FromDays(1));
        await pipeline.ProcessAsync(DriftPayloads.ItemChange(stripped), new EvaluationContext(Settings, clock));
        await new AccessReviewRecheckStep().RunAsync(new SweepContext(dynamo.Client, table, ledger, new EvaluationContext(Settings, clock)), CancellationToken.None);

        // The page's export (real HTTP, a reader's token) carries the same section, now resolved.
        await using var server = await StatusServer.StartAsync(StatusPageComposition.Create(dynamo.Client, table, Settings, clock), 0, clock);
        using var http = new HttpClient { BaseAddress = server.Url };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/export?from=2026-11-01&to=2026-11-30&format=json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", server.Issuer.Issue("reader@example.com", []));
        using var response = await http.SendAsync(request);
        var page = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var pageUser = Assert.Single(page["accessReviews"]!.AsArray())!["principals"]!.AsArray().Single(p => p!["key"]!.GetValue<string>() == Johndoe)!;
        Assert.Equal((findingId, "resolved"), (pageUser["findingId"]!.GetValue<string>(), pageUser["findingStatus"]!.GetValue<string>()));
        Assert.NotNull(pageUser["effectiveAt"]);

        // A period before the campaign exports none.
        var before = JsonNode.Parse(await IsmsServerless.Cli.ExportCommand.RunAsync(dynamo.Client, table, from.AddMonths(-3), from.AddMonths(-2), "json", clock.GetUtcNow()))!;
        Assert.Empty(before["accessReviews"]!.AsArray());
    }

    [Fact]
    public void A_campaign_of_thousands_of_principals_is_exported_whole_unlike_the_capped_attestation_note()
    {
        var principals = Enumerable.Range(0, 2000).Select(i => new AccessReviewDecision
        {
            CampaignId = "obl-000000000000000000000001", PrincipalKey = $"arn:aws:iam::112233445566:user/u{i}", Kind = "user", Name = $"u{i}",
            AccountId = "112233445566", Decision = "keep", Note = "still needed for the quarterly close", DecidedBy = "cto@example.com",
            DecidedAt = DateTimeOffset.Parse("2026-11-23T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture),
        }).ToList();
        var campaign = new AccessReviewCampaign
        {
            Id = "obl-000000000000000000000001", Period = "2026-Q4", DueAt = DateTimeOffset.Parse("2026-12-31T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture),
            OpenedBy = "cto@example.com", OpenedAt = DateTimeOffset.Parse("2026-11-23T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture), Principals = principals,
        };
        Assert.True(AccessReviewService.Summary(campaign).Length <= IsmsServerless.Obligations.AttestationRules.MaxNoteLength);
        var evidence = new AccessReviewEvidence(campaign, principals.Select(p => new AccessReviewEvidenceRow(p, null, null)).ToList());
        using var doc = JsonDocument.Parse(StatusJson.Write(w => AccessReviewExport.Write(w, evidence)));
        Assert.Equal(2000, doc.RootElement.GetProperty("principals").GetArrayLength());
        Assert.Equal(2000, AccessReviewExport.CsvRows(evidence, "1.0").Count());
    }
}

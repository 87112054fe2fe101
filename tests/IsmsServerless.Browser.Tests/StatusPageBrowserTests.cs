using System.Text.RegularExpressions;
using IsmsServerless.Cli.Local;
using IsmsServerless.Settings;
using IsmsServerless.StatusPage;
using IsmsServerless.Tests.StatusPage;
using IsmsServerless.Tests.Support;
using Microsoft.Playwright;

namespace IsmsServerless.Browser.Tests;

/// <summary>
/// The status page in headless Chromium against the local host and DynamoDB Local: sign-in through the development
/// issuer, overview, filters, the detail drawer, an acknowledge and a change review that then show in the history,
/// and a hostile resource name rendered as inert text.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class StatusPageBrowserTests(DynamoDbLocalFixture dynamo) : IAsyncLifetime
{
    private StatusServer _server = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private IReadOnlyList<string> _findings = [];
    private string _changeId = "";
    private string _table = "";
    private readonly List<string> _consoleErrors = [];
    private readonly List<string> _confirms = [];
    private bool _acceptConfirms = true;

    private static string ScreenshotDir
    {
        get
        {
            var dir = Path.Combine(RepositoryRoot.Find(), "test-artifacts", "screenshots");
            Directory.CreateDirectory(dir);
            return dir;
        }
    }

    public async Task InitializeAsync()
    {
        var table = _table = await dynamo.NewTableAsync("browser");
        // The duties calendar: the current period of every default duty, as the sweep opens them.
        await new IsmsServerless.Obligations.DutyScheduler(new IsmsServerless.Obligations.DynamoObligationStore(dynamo.Client, table, IsmsSettings.Default),
            IsmsSettings.Default, "123456789012", "eu-west-1").EnsureOpenAsync(DateTimeOffset.UtcNow);
        (_findings, _changeId) = await StatusSeed.SeedAsync(dynamo.Client, table, IsmsSettings.Default, TimeProvider.System);
        _server = await StatusServer.StartAsync(StatusPageComposition.Create(dynamo.Client, table, IsmsSettings.Default, TimeProvider.System), 0, TimeProvider.System);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            // Debian's Chromium; Playwright's browser download is never used (no `playwright install`).
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        });
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _server.DisposeAsync();
    }

    private async Task<IPage> SignInAsync(string user, bool reviewer)
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 }, Locale = "en-GB", TimezoneId = "UTC" });
        var page = await context.NewPageAsync();
        page.Console += (_, message) => { if (message.Type == "error") _consoleErrors.Add(message.Text); };
        page.PageError += (_, error) => _consoleErrors.Add(error);
        page.Dialog += async (_, dialog) =>
        {
            // The page's own confirmations (permanent reviews) are answered; any other dialog is an injected script's.
            if (dialog.Type == "confirm")
            {
                _confirms.Add(dialog.Message);
                if (_acceptConfirms) await dialog.AcceptAsync(); else await dialog.DismissAsync();
                return;
            }
            _consoleErrors.Add("dialog opened: " + dialog.Message);
            await dialog.DismissAsync();
        };
        await page.GotoAsync(_server.Url.ToString());
        await page.FillAsync("#local-user", user);
        if (!reviewer) await page.UncheckAsync("#local-reviewer");
        await page.ClickAsync("#local-form button[type=submit]");
        await Assertions.Expect(page.Locator("#who-name")).ToHaveTextAsync(user);
        return page;
    }

    [Fact]
    public async Task Page_loads_filters_work_and_an_acknowledge_shows_in_the_history()
    {
        var page = await SignInAsync("cto@example.com", reviewer: true);
        await Assertions.Expect(page.Locator("#who-role")).ToHaveTextAsync("reviewer");
        await Assertions.Expect(page.Locator(".area[data-area=drift] .big")).ToContainTextAsync("2");
        await Assertions.Expect(page.Locator("#trend svg path.line")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#controls-iso tbody tr")).Not.ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#overview-changes li[data-change]")).ToHaveCountAsync(1);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDir, "01-overview.png"), FullPage = true });

        await page.ClickAsync(".tab[data-view=findings]");
        var rows = page.Locator("#findings tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(4);
        await Assertions.Expect(rows.First.Locator(".sev")).ToHaveTextAsync("CRITICAL");
        await page.SelectOptionAsync("#f-category", "drift");
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        await page.SelectOptionAsync("#f-severity", "HIGH");
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await Assertions.Expect(rows.First).ToHaveAttributeAsync("data-id", _findings[1]);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDir, "02-findings-filtered.png") });

        await rows.First.ClickAsync();
        var drawer = page.Locator("#drawer");
        await Assertions.Expect(drawer).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#d-diff tbody tr")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#d-diff tbody")).ToContainTextAsync("<b>changed</b>");  // markup shown as text
        await page.FillAsync("#a-reason", "Platform team owns this; fix in sprint 48");
        await page.ClickAsync("#a-ack");
        var history = page.Locator("#d-history li");
        await Assertions.Expect(history.Filter(new LocatorFilterOptions { HasText = "Platform team owns this; fix in sprint 48" })).ToHaveCountAsync(1);
        await Assertions.Expect(history.First.Locator(".when")).ToContainTextAsync("cto@example.com");
        await Assertions.Expect(page.Locator("#d-status")).ToContainTextAsync("acknowledged");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDir, "03-detail-history.png") });

        // Acknowledged findings leave the open list and appear under their status.
        await page.ClickAsync("#drawer-close");
        await page.SelectOptionAsync("#f-status", "acknowledged");
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task A_change_review_is_made_and_then_shows_as_reviewed()
    {
        var page = await SignInAsync("cto@example.com", reviewer: true);
        await page.ClickAsync(".tab[data-view=changes]");
        var change = page.Locator($"#changes li[data-change='{_changeId}']");
        await Assertions.Expect(change).ToBeVisibleAsync();
        await Assertions.Expect(change.Locator(".countdown")).ToHaveTextAsync(new Regex(@"^\d\d:\d\d:\d\d left$"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDir, "04-changes-pending.png"), FullPage = true });
        await change.Locator(".review-note").FillAsync("Incident INC-42: opened SSH for the hotfix, closed again");
        await change.Locator(".review-ticket").FillAsync("https://tickets.example.com/INC-42");
        // A review is permanent: the button asks first, and declining records nothing.
        _acceptConfirms = false;
        await change.Locator("button.primary").ClickAsync();
        await Assertions.Expect(page.Locator("#toast")).ToBeHiddenAsync();
        Assert.Contains(_confirms, m => m.Contains("permanent", StringComparison.Ordinal) && m.Contains(_changeId, StringComparison.Ordinal));
        await Assertions.Expect(page.Locator($"#changes li[data-change='{_changeId}']")).ToHaveCountAsync(1);
        _acceptConfirms = true;
        await change.Locator("button.primary").ClickAsync();
        await Assertions.Expect(page.Locator($"#changes li[data-change='{_changeId}']")).ToHaveCountAsync(0);
        var reviewed = page.Locator($"#reviewed tr[data-change='{_changeId}']");
        await Assertions.Expect(reviewed.Locator(".reviewer")).ToHaveTextAsync("cto@example.com");
        await Assertions.Expect(reviewed.Locator(".verdict")).ToHaveTextAsync("approved");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDir, "05-change-reviewed.png"), FullPage = true });

        // Issue 19: the change detail from the reviewed row: every call (name, resources, time, source IP), risk, review.
        await reviewed.Locator("button.change-open").ClickAsync();
        var detail = page.Locator("#change-detail");
        await Assertions.Expect(detail).ToBeVisibleAsync();
        await Assertions.Expect(detail.Locator("table.calls tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(detail.Locator("table.calls tbody tr")).ToContainTextAsync("ec2:AuthorizeSecurityGroupIngress");
        await Assertions.Expect(detail.Locator(".risk-class")).ToHaveTextAsync("high");
        await Assertions.Expect(detail.Locator(".code-update")).ToHaveTextAsync("not-required");
        await Assertions.Expect(detail).ToContainTextAsync("https://tickets.example.com/INC-42");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDir, "05b-change-detail.png"), FullPage = true });
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task Right_to_left_overrides_in_user_text_are_isolated_and_ssh_to_the_world_offers_no_baseline_approval()
    {
        var page = await SignInAsync("cto@example.com", reviewer: true);
        await page.ClickAsync(".tab[data-view=findings]");
        // The seeded security-group finding (port 22 open to the world) is a drift finding that can never be approved.
        await page.Locator($"#findings tbody tr[data-id='{_findings[1]}']").ClickAsync();
        await Assertions.Expect(page.Locator("#d-actions")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#a-baseline")).ToBeHiddenAsync();
        // User text sits in isolating elements: an RLO in it cannot reverse the text around it.
        var isolation = await page.EvaluateAsync<string[]>(
            "() => [...document.querySelectorAll('#d-facts code, #d-history .when bdi, #d-diff td')].map(e => getComputedStyle(e).unicodeBidi)");
        Assert.NotEmpty(isolation);
        Assert.All(isolation, value => Assert.Equal("isolate", value));
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task A_script_payload_in_a_resource_name_renders_as_inert_text_and_readers_get_no_actions()
    {
        var page = await SignInAsync("auditor@example.com", reviewer: false);
        await Assertions.Expect(page.Locator("#who-role")).ToHaveTextAsync("read-only");
        await page.ClickAsync(".tab[data-view=findings]");
        var hostile = page.Locator("#findings tbody tr").Filter(new LocatorFilterOptions { HasText = StatusSeed.HostileResource });
        await Assertions.Expect(hostile).ToHaveCountAsync(1);
        await hostile.ClickAsync();
        await Assertions.Expect(page.Locator("#d-facts")).ToContainTextAsync(StatusSeed.HostileResource);
        await Assertions.Expect(page.Locator("#d-evidence")).ToContainTextAsync("<script>document.title='pwned'</script>");
        await Assertions.Expect(page.Locator("#d-actions")).ToBeHiddenAsync();
        // Nothing was parsed as markup: no injected elements, no script ran, the title is ours.
        Assert.Equal(0, await page.Locator("#drawer img, #findings img, main script, aside script").CountAsync());
        Assert.Equal("ISMS status", await page.TitleAsync());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDir, "06-hostile-text-inert.png") });
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task The_duties_calendar_shows_each_duty_and_a_reviewer_attests_one_with_evidence()
    {
        var page = await SignInAsync("cto@example.com", reviewer: true);
        await page.ClickAsync(".tab[data-view=duties]");
        await Assertions.Expect(page.Locator("#duties tbody tr").Filter(new LocatorFilterOptions { HasText = "duty." })).ToHaveCountAsync(IsmsSettings.Default.Duties.Count);
        // The seeded change's 24 h review is an obligation too, attested in the Changes view.
        var change = page.Locator("#duties tbody tr").Filter(new LocatorFilterOptions { HasText = "change.review" });
        await Assertions.Expect(change.Locator(".attestation")).ToHaveTextAsync("reviewed in Changes");
        var row = page.Locator("#duties tbody tr").Filter(new LocatorFilterOptions { HasText = "Quarterly backup restore test" });
        await Assertions.Expect(row.Locator("code").First).ToHaveTextAsync("ISO27001:2022 A.8.13");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDir, "07-duties-calendar.png"), FullPage = true });
        await row.Locator(".attest-evidence").FillAsync("https://runbooks.example.com/restore/orders-db");
        await row.Locator(".attest-note").FillAsync("orders-db restored to a scratch instance in 47 minutes");
        await row.Locator("button.attest").ClickAsync();
        var done = page.Locator("#duties tbody tr.done").Filter(new LocatorFilterOptions { HasText = "Quarterly backup restore test" });
        await Assertions.Expect(done.Locator(".duty-state")).ToHaveTextAsync("Done");
        await Assertions.Expect(done.Locator(".attestation")).ToContainTextAsync("by cto@example.com");
        await Assertions.Expect(done.Locator(".attestation a")).ToHaveAttributeAsync("href", "https://runbooks.example.com/restore/orders-db");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDir, "08-duty-attested.png"), FullPage = true });
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task The_controls_view_shows_ISO_and_SOC2_side_by_side_and_drills_down_to_rules_resources_findings_and_attestations()
    {
        // Passing evidence as the ingest path records it: one bucket passes its baseline, the seeded one fails it.
        var registry = IsmsServerless.Engine.RuleRegistry.CreateDefault();
        var s3 = registry.Find("drift.s3-bucket-baseline")!.Metadata;
        var context = new IsmsServerless.Engine.EvaluationContext(IsmsSettings.Default, TimeProvider.System);
        var evidence = new IsmsServerless.Evidence.DynamoDbEvidenceStore(dynamo.Client, _table, IsmsServerless.Policy.PolicyDocument.Embedded.Version);
        IsmsServerless.Model.Evaluation Bucket(string arn, IsmsServerless.Model.Outcome outcome) => new()
        {
            Rule = s3, Outcome = outcome, ResourceId = arn, ResourceType = "AWS::S3::Bucket", AccountId = "111122223333", Region = "eu-west-1",
            Message = "bucket baseline", ObservedAt = DateTimeOffset.UtcNow.AddHours(-1),
        };
        await evidence.RecordAsync([Bucket("arn:aws:s3:::audit-logs", IsmsServerless.Model.Outcome.Compliant), Bucket("arn:aws:s3:::evidence-bucket", IsmsServerless.Model.Outcome.Finding)],
            "aws.config", context);
        // And a duty attested with evidence (restore test evidences A.8.13).
        var obligations = new IsmsServerless.Obligations.DynamoObligationStore(dynamo.Client, _table, IsmsSettings.Default);
        await new IsmsServerless.Obligations.AttestationService(obligations, IsmsSettings.Default, TimeProvider.System, "123456789012", "eu-west-1")
            .AttestAsync(new IsmsServerless.Obligations.AttestRequest("restore-test", "it-team@example.com", "", ["https://runbooks.example.com/restore/q4"], "restored in 40 minutes"));

        var page = await SignInAsync("auditor@example.com", reviewer: false);
        await page.ClickAsync(".tab[data-view=controls]");
        var catalog = IsmsServerless.Policy.PolicyDocument.Embedded.Controls;
        // Both frameworks side by side, every control of the policy's catalog, and the policy version in force.
        await Assertions.Expect(page.Locator("#controls-table-iso tbody tr")).ToHaveCountAsync(catalog.Count(c => c.Framework == "ISO27001:2022"));
        await Assertions.Expect(page.Locator("#controls-table-soc2 tbody tr")).ToHaveCountAsync(catalog.Count(c => c.Framework == "SOC2"));
        await Assertions.Expect(page.Locator("#controls-policy")).ToContainTextAsync("policy " + IsmsServerless.Policy.PolicyDocument.Embedded.Version);
        var box = await page.Locator("#controls-table-iso").BoundingBoxAsync();
        var soc2Box = await page.Locator("#controls-table-soc2").BoundingBoxAsync();
        Assert.True(box is not null && soc2Box is not null && soc2Box.X > box.X + box.Width - 1 && Math.Abs(soc2Box.Y - box.Y) < 5, "ISO and SOC 2 tables are not side by side");
        // Statuses from the stored evidence: the S3 baseline's control fails (one bucket fails); the not-applicable one says so.
        var control = s3.Controls.First(c => c.StartsWith("ISO27001:2022 ", StringComparison.Ordinal));
        var row = page.Locator($"#controls-table-iso tbody tr[data-control='{control}']");
        await Assertions.Expect(row.Locator(".cstatus")).ToHaveTextAsync("fail");
        await Assertions.Expect(page.Locator("#controls-table-soc2 tbody tr[data-control='SOC2 CC6.4'] .cstatus")).ToHaveTextAsync("not-applicable");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDir, "09-controls.png"), FullPage = true });

        // Drill-down: rules, each resource's latest result, the control's findings.
        await row.ClickAsync();
        await Assertions.Expect(page.Locator("#control-detail")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#cd-title")).ToContainTextAsync(control.Split(' ')[1]);
        var rules = page.Locator("#cd-rules");
        await Assertions.Expect(rules.Locator("h4").Filter(new LocatorFilterOptions { HasText = "drift.s3-bucket-baseline" })).ToHaveCountAsync(1);
        var resources = rules.Locator("tr").Filter(new LocatorFilterOptions { HasText = "arn:aws:s3:::" });
        await Assertions.Expect(resources).ToHaveCountAsync(2);
        await Assertions.Expect(resources.Filter(new LocatorFilterOptions { HasText = "audit-logs" }).Locator(".cstatus")).ToHaveTextAsync("pass");
        await Assertions.Expect(resources.Filter(new LocatorFilterOptions { HasText = "evidence-bucket" }).Locator(".cstatus")).ToHaveTextAsync("fail");
        await Assertions.Expect(resources.Filter(new LocatorFilterOptions { HasText = "audit-logs" })).ToContainTextAsync("aws.config");
        var finding = page.Locator("#cd-findings li").Filter(new LocatorFilterOptions { HasText = "arn:aws:s3:::evidence-bucket" });
        await Assertions.Expect(finding).ToHaveCountAsync(1);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDir, "10-control-detail.png"), FullPage = true });
        // A finding of the control opens its detail.
        await finding.ClickAsync();
        await Assertions.Expect(page.Locator("#drawer")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#d-facts")).ToContainTextAsync("arn:aws:s3:::evidence-bucket");
        await page.ClickAsync("#drawer-close");

        // A duty-evidenced control: its attestations with who, the note and the evidence link.
        await page.Locator("#controls-table-iso tbody tr[data-control='ISO27001:2022 A.8.13']").ClickAsync();
        var attestation = page.Locator("#cd-attestations li[data-duty='restore-test']");
        await Assertions.Expect(attestation).ToContainTextAsync("it-team@example.com");
        await Assertions.Expect(attestation).ToContainTextAsync("restored in 40 minutes");
        await Assertions.Expect(attestation.Locator("a")).ToHaveAttributeAsync("href", "https://runbooks.example.com/restore/q4");
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task The_duties_calendar_groups_open_duties_by_the_month_they_fall_due()
    {
        var page = await SignInAsync("auditor@example.com", reviewer: false);
        await page.ClickAsync(".tab[data-view=duties]");
        var months = page.Locator("#duties tbody tr.month");
        await Assertions.Expect(months.First).ToBeVisibleAsync();
        // Each month header is followed by the duties due in it: the month named is the month of each row's due date.
        var rows = await page.EvaluateAsync<string[][]>(
            "() => { let m = ''; const out = []; for (const tr of document.querySelectorAll('#duties tbody tr')) { if (tr.classList.contains('month')) { m = tr.textContent; continue; } out.push([m, tr.dataset.dueAt]); } return out; }");
        Assert.NotEmpty(rows);
        foreach (var pair in rows)
        {
            var month = pair[0];
            Assert.False(string.IsNullOrEmpty(month), "a duty row has no month header above it");
            if (month == "Attested") continue;
            var due = DateTimeOffset.Parse(pair[1], System.Globalization.CultureInfo.InvariantCulture).ToUniversalTime();
            Assert.Equal(due.ToString("MMMM yyyy", System.Globalization.CultureInfo.InvariantCulture), month);
        }
        Assert.Empty(_consoleErrors);
    }
}


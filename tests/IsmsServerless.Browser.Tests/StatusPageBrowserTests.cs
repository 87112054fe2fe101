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
        var table = await dynamo.NewTableAsync("browser");
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
}

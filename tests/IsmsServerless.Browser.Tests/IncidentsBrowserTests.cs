using IsmsServerless.Cli.Local;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Pipeline;
using IsmsServerless.Settings;
using IsmsServerless.StatusPage;
using IsmsServerless.Tests.Support;
using Microsoft.Playwright;

namespace IsmsServerless.Browser.Tests;

/// <summary>
/// The Incidents tab in headless Chromium: a real GuardDuty finding (the licensed fixture, ingested now) opens an
/// incident; the tab lists it with its three clocks; the drill-down shows the clocks and the incident finding; a reviewer
/// closes the acknowledge clock with the impact assessment, and the page shows who closed it.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class IncidentsBrowserTests(DynamoDbLocalFixture dynamo) : IAsyncLifetime
{
    private StatusServer _server = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private readonly List<string> _consoleErrors = [];

    public async Task InitializeAsync()
    {
        var table = await dynamo.NewTableAsync("browser-incidents");
        var settings = IsmsSettings.Default;
        var payload = File.ReadAllText(Path.Combine(RepositoryRoot.Find(), "tests", "IsmsServerless.Tests", "Fixtures", "incident", "eb-guardduty-sshbruteforce-sev8-derived.json"));
        // The sample's own time is 2017: move it to now so the clocks run in the page's present.
        var node = System.Text.Json.Nodes.JsonNode.Parse(payload)!;
        node["time"] = DateTimeOffset.UtcNow.AddMinutes(-5).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), [], new DynamoDbFindingLedger(dynamo.Client, table, settings), null, RecordedHooks.Default(dynamo.Client, table, settings));
        await pipeline.ProcessAsync(System.Text.Encoding.UTF8.GetBytes(node.ToJsonString()), new EvaluationContext(settings, TimeProvider.System));
        _server = await StatusServer.StartAsync(StatusPageComposition.Create(dynamo.Client, table, settings, TimeProvider.System), 0, TimeProvider.System);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
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

    [Fact]
    public async Task The_incidents_tab_lists_the_clocks_drills_down_and_a_reviewer_closes_the_acknowledge_clock()
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 }, Locale = "en-GB", TimezoneId = "UTC" });
        var page = await context.NewPageAsync();
        page.Console += (_, message) => { if (message.Type == "error") _consoleErrors.Add(message.Text); };
        page.PageError += (_, error) => _consoleErrors.Add(error);
        await page.GotoAsync(_server.Url.ToString());
        await page.FillAsync("#local-user", "ana@example.com");
        await page.ClickAsync("#local-form button[type=submit]");
        await Assertions.Expect(page.Locator("#who-name")).ToHaveTextAsync("ana@example.com");

        await page.ClickAsync(".tab[data-view=incidents]");
        var row = page.Locator("#incidents tbody tr.incident");
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row.Locator(".countdown")).ToHaveCountAsync(3);
        await Assertions.Expect(page.Locator("#incidents-count")).ToHaveTextAsync("1");
        await row.ClickAsync();
        await Assertions.Expect(page.Locator("#incident-clocks tbody tr")).ToHaveCountAsync(3);
        await Assertions.Expect(page.Locator("#incident-findings li[data-id]")).ToHaveCountAsync(1);

        var ack = page.Locator("#incident-clocks tbody tr[data-clock=acknowledge]");
        await ack.Locator(".incident-note").FillAsync("one host brute-forced; SG closed; #sec notified");
        await ack.Locator("button.close-clock").ClickAsync();
        await Assertions.Expect(page.Locator("#incident-clocks tbody tr[data-clock=acknowledge] .duty-state")).ToHaveTextAsync("Done");
        await Assertions.Expect(page.Locator("#incident-clocks tbody tr[data-clock=acknowledge] .attestation")).ToContainTextAsync("ana@example.com");
        Assert.Empty(_consoleErrors);
    }
}

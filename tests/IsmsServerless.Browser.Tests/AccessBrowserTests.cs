using System.Text.Json.Nodes;
using IsmsServerless.Access;
using IsmsServerless.Cli.Local;
using IsmsServerless.Engine;
using IsmsServerless.Identity;
using IsmsServerless.Ledger;
using IsmsServerless.Pipeline;
using IsmsServerless.Settings;
using IsmsServerless.StatusPage;
using IsmsServerless.Tests.Support;
using Microsoft.Playwright;

namespace IsmsServerless.Browser.Tests;

/// <summary>
/// The Access tab in headless Chromium (issue 18): the access review campaign lists the real aws-config-rdk user with its
/// admin rights; a reviewer records a decision (confirmed first) as the signed-in person; the People table marks a leaver
/// and shows the mark beside the policy file's (empty) date.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class AccessBrowserTests(DynamoDbLocalFixture dynamo) : IAsyncLifetime
{
    private StatusServer _server = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private readonly List<string> _consoleErrors = [];

    private static readonly IsmsSettings Settings = IsmsSettings.Default with
    {
        People =
        [
            new Person { Email = "cto@example.com", Name = "CTO", Roles = ["cto"] },
            new Person { Email = "john@example.com", Name = "John", Roles = ["engineer"], Principals = new PersonPrincipals { IamUsers = ["johndoe"] } },
        ],
    };

    public async Task InitializeAsync()
    {
        var table = await dynamo.NewTableAsync("browser-access");
        var item = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot.Find(), "tests", "IsmsServerless.Tests", "Fixtures", "drift", "ci-iam-user-rdk.json")))!;
        var change = new JsonObject
        {
            ["version"] = "0", ["id"] = "11111111-2222-3333-4444-555555555555", ["detail-type"] = "Config Configuration Item Change",
            ["source"] = "aws.config", ["account"] = "112233445566", ["time"] = "2026-11-23T12:00:00Z", ["region"] = "us-east-1", ["resources"] = new JsonArray(),
            ["detail"] = new JsonObject
            {
                ["recordVersion"] = "1.3", ["messageType"] = "ConfigurationItemChangeNotification",
                ["configurationItemDiff"] = new JsonObject { ["changedProperties"] = new JsonObject(), ["changeType"] = "UPDATE" },
                ["notificationCreationTime"] = "2026-11-23T12:00:00.000Z", ["configurationItem"] = item,
            },
        };
        var pipeline = new IngestPipeline(RuleEngine.CreateDefault(), InputEnrichers.Default(dynamo.Client, table), new DynamoDbFindingLedger(dynamo.Client, table, Settings));
        await pipeline.ProcessAsync(System.Text.Encoding.UTF8.GetBytes(change.ToJsonString()), new EvaluationContext(Settings, TimeProvider.System));
        await new AccessReviewService(dynamo.Client, table, Settings, TimeProvider.System).OpenAsync("cto@example.com");
        LeaveMarkStore.Invalidate();
        _server = await StatusServer.StartAsync(StatusPageComposition.Create(dynamo.Client, table, Settings, TimeProvider.System), 0, TimeProvider.System);
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
    public async Task A_reviewer_decides_on_a_principal_and_marks_a_leaver()
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 }, Locale = "en-GB", TimezoneId = "UTC" });
        var page = await context.NewPageAsync();
        var confirms = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") _consoleErrors.Add(message.Text); };
        page.PageError += (_, error) => _consoleErrors.Add(error);
        page.Dialog += async (_, dialog) =>
        {
            if (dialog.Type == "confirm")
            {
                confirms.Add(dialog.Message);
                await dialog.AcceptAsync();
                return;
            }
            _consoleErrors.Add("dialog opened: " + dialog.Message);
            await dialog.DismissAsync();
        };
        await page.GotoAsync(_server.Url.ToString());
        await page.FillAsync("#local-user", "cto@example.com");
        await page.ClickAsync("#local-form button[type=submit]");
        await Assertions.Expect(page.Locator("#who-name")).ToHaveTextAsync("cto@example.com");

        await page.ClickAsync(".tab[data-view=access]");
        var row = page.Locator("#access-review tbody tr[data-principal='arn:aws:iam::112233445566:user/johndoe']");
        await Assertions.Expect(row).ToContainTextAsync("AdministratorAccess (attached AdministratorAccess)");
        await Assertions.Expect(row).ToContainTextAsync("john@example.com");
        await row.Locator("select.access-decision").SelectOptionAsync("reduce");
        await row.Locator("input.access-note").FillAsync("codedeploy only");
        await row.Locator("button", new() { HasText = "Decide" }).ClickAsync();
        await Assertions.Expect(row.Locator("td.decision")).ToContainTextAsync("reduce by cto@example.com");
        await Assertions.Expect(page.Locator("#access-campaign")).ToContainTextAsync("0 undecided");

        var john = page.Locator("#people tbody tr[data-person='john@example.com']");
        await john.Locator("input.leave-day").FillAsync("2026-11-20");
        await john.Locator("button", new() { HasText = "Mark as left" }).ClickAsync();
        await Assertions.Expect(john).ToContainTextAsync("by cto@example.com");
        await Assertions.Expect(john.Locator("td").Nth(3)).ToHaveTextAsync("2026-11-20");
        Assert.Equal(2, confirms.Count);
        Assert.Empty(_consoleErrors);
    }
}

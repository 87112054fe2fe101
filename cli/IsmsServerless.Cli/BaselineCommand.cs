using System.CommandLine;
using System.Text.Json;
using Amazon.DynamoDBv2;
using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Settings;

namespace IsmsServerless.Cli;

/// <summary>
/// <c>./isms baseline approve|show</c>: approve a resource's latest recorded configuration as its baseline, or show
/// the baseline in force with its version history and the current drift from it. Output is JSON on stdout.
/// </summary>
internal static class BaselineCommand
{
    public static Command Create()
    {
        var command = new Command("baseline", "Approve a resource's current configuration as its baseline, or show its approved baselines.");
        command.Subcommands.Add(Approve());
        command.Subcommands.Add(Show());
        return command;
    }

    private static Command Approve()
    {
        var resource = new Argument<string>("resourceId") { Description = "The resource's ARN (as findings show it) or its Config resource id (e.g. sg-0123...)." };
        var actor = new Option<string>("--actor") { Description = "Who approves (recorded in the baseline and the finding history).", Required = true };
        var reason = new Option<string>("--reason") { Description = "Why this configuration is approved (change ticket, review link).", Required = true };
        var seen = new Option<string>("--configuration-version")
        {
            Description = "The configuration version you reviewed (configurationVersion from `./isms baseline show` or the finding's detail). "
                + "If a newer configuration arrived since, nothing is approved and the new diff is shown (exit 3).",
            Required = true,
        };
        var at = CliOptions.At();
        var config = CliOptions.Config();
        var endpoint = CliOptions.DynamoDbEndpoint();
        var table = StoreOptions.Table();
        var command = new Command("approve", "Approve the latest recorded configuration of a resource as its next baseline version.") { resource, actor, reason, seen, at, config, endpoint, table };
        command.SetAction(async (parse, cancellationToken) =>
        {
            IsmsSettings settings;
            try
            {
                settings = CliOptions.LoadSettings(parse.GetValue(config));
            }
            catch (Exception ex) when (ex is InvalidSettingsException or JsonException or IOException)
            {
                await Console.Error.WriteLineAsync($"isms baseline approve: {ex.Message}").ConfigureAwait(false);
                return 2;
            }
            var context = new EvaluationContext(settings, CliOptions.ClockFor(parse.GetValue(at)));
            return await StoreCommand.WithStoreAsync("baseline approve", parse.GetValue(endpoint), parse.GetValue(table), store =>
                RunApproveAsync(store.Client, store.TableName, parse.GetValue(resource)!, parse.GetValue(actor)!, parse.GetValue(reason)!, context, Console.Out, Console.Error,
                    parse.GetValue(seen), cancellationToken),
                cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static Command Show()
    {
        var resource = new Argument<string>("resourceId") { Description = "The resource's ARN or its Config resource id." };
        var endpoint = CliOptions.DynamoDbEndpoint();
        var table = StoreOptions.Table();
        var command = new Command("show", "Show the approved baseline in force, its versions, and the current drift from it.") { resource, endpoint, table };
        command.SetAction(async (parse, cancellationToken) =>
            await StoreCommand.WithStoreAsync("baseline show", parse.GetValue(endpoint), parse.GetValue(table), store =>
                RunShowAsync(store.Client, store.TableName, parse.GetValue(resource)!, Console.Out, Console.Error, cancellationToken), cancellationToken).ConfigureAwait(false));
        return command;
    }

    /// <summary>Exit code when the configuration changed since the approver looked (the CLI's 409).</summary>
    public const int StaleExitCode = 3;

    /// <param name="configurationVersion">The version the approver reviewed (the CLI requires it); when the latest
    /// configuration is another, nothing is approved: exit <see cref="StaleExitCode"/>, with the new version and its diff
    /// from the baseline in force as JSON on <paramref name="output"/>.</param>
    internal static async Task<int> RunApproveAsync(IAmazonDynamoDB dynamo, string tableName, string resourceId, string actor, string reason,
        EvaluationContext context, TextWriter output, TextWriter errors, string? configurationVersion = null, CancellationToken cancellationToken = default)
    {
        var service = new BaselineService(new DriftStore(dynamo, tableName), new DynamoDbFindingLedger(dynamo, tableName, context.Settings));
        // The page's four-eyes, through the same service (Review/FindingActions): the approver is resolved to a person and
        // may not approve away a drift their own change produced.
        var actions = new Review.FindingActions(new DynamoDbFindingLedger(dynamo, tableName, context.Settings), Identity.IdentityResolver.For(context.Settings));
        try
        {
            var who = actions.Actor(actor);
            await actions.CheckBaselineApprovalAsync(resourceId, who, cancellationToken).ConfigureAwait(false);
            if (who.Mapped) actor = who.Display;
        }
        catch (Review.FindingActionException ex)
        {
            await errors.WriteLineAsync($"isms baseline approve: refused ({ex.Error}): {ex.Message}").ConfigureAwait(false);
            return 1;
        }
        BaselineApproval approval;
        try
        {
            approval = await service.ApproveAndRecordAsync(resourceId, actor, reason, context, configurationVersion?.Trim(), cancellationToken).ConfigureAwait(false);
        }
        catch (BaselineStaleException ex)
        {
            var latest = await service.GetLatestAsync(resourceId, cancellationToken).ConfigureAwait(false);
            var baseline = await service.GetAsync(resourceId, cancellationToken).ConfigureAwait(false);
            var diff = latest is null || baseline is null
                ? []
                : ConfigurationDiff.Compare("configuration", baseline.Configuration, latest.Configuration, null);
            await errors.WriteLineAsync($"isms baseline approve: the configuration changed since you reviewed it (you saw {configurationVersion}, "
                + $"the latest is {ex.CurrentVersion}); nothing was approved. Review the diff and approve again with --configuration-version {ex.CurrentVersion}").ConfigureAwait(false);
            await output.WriteLineAsync(Write(json =>
            {
                json.WriteStartObject();
                json.WriteString("error", "stale-configuration");
                json.WriteString("seenVersion", configurationVersion);
                json.WriteString("configurationVersion", ex.CurrentVersion);
                if (latest?.CaptureTime is { } captured) json.WriteString("latestCapturedAt", Timestamps.ToWire(captured));
                if (baseline is null) json.WriteNull("approvedVersion");
                else json.WriteNumber("approvedVersion", baseline.Version);
                json.WriteStartArray("diff");
                foreach (var d in diff)
                {
                    json.WriteStartObject();
                    json.WriteString("path", d.Path);
                    json.WriteString("expected", d.Expected);
                    json.WriteString("actual", d.Actual);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteEndObject();
            })).ConfigureAwait(false);
            return StaleExitCode;
        }
        catch (BaselineApprovalException ex)
        {
            await errors.WriteLineAsync($"isms baseline approve: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
        await output.WriteLineAsync(Write(json =>
        {
            json.WriteStartObject();
            json.WriteString("resourceKey", approval.Baseline.ResourceKey);
            json.WriteString("resourceType", approval.Baseline.ResourceType);
            json.WriteNumber("version", approval.Baseline.Version);
            json.WriteString("approvedBy", approval.Baseline.ApprovedBy);
            json.WriteString("reason", approval.Baseline.Reason);
            json.WriteString("approvedAt", Timestamps.ToWire(approval.Baseline.ApprovedAt));
            if (approval.Baseline.CaptureTime is { } captured) json.WriteString("configurationCapturedAt", Timestamps.ToWire(captured));
            json.WriteNumber("findingsResolved", approval.Ledger.Resolved);
            json.WriteEndObject();
        })).ConfigureAwait(false);
        return 0;
    }

    internal static async Task<int> RunShowAsync(IAmazonDynamoDB dynamo, string tableName, string resourceId, TextWriter output, TextWriter errors,
        CancellationToken cancellationToken = default)
    {
        var service = new BaselineService(new DriftStore(dynamo, tableName));
        string key;
        try
        {
            key = await service.ResolveAsync(resourceId, cancellationToken).ConfigureAwait(false);
        }
        catch (BaselineApprovalException ex)
        {
            await errors.WriteLineAsync($"isms baseline show: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
        var versions = await service.Store.ListBaselinesAsync(key, cancellationToken: cancellationToken).ConfigureAwait(false);
        var latest = await service.Store.GetLatestAsync(key, cancellationToken).ConfigureAwait(false);
        if (versions.Count == 0 && latest is null)
        {
            await errors.WriteLineAsync($"isms baseline show: nothing is recorded for '{key}'").ConfigureAwait(false);
            return 1;
        }
        var current = versions.Count > 0 ? versions[^1] : null;
        List<FieldDiff> drift = [];
        if (current is not null && latest is not null)
        {
            var tracked = TrackedProperties.For(latest.ResourceType);
            drift = ConfigurationDiff.Compare("configuration", current.Configuration, latest.Configuration, tracked.Configuration)
                .Concat(ConfigurationDiff.Compare("supplementaryConfiguration", current.SupplementaryConfiguration, latest.SupplementaryConfiguration, tracked.Supplementary))
                .ToList();
        }
        await output.WriteLineAsync(Write(json =>
        {
            json.WriteStartObject();
            json.WriteString("resourceKey", key);
            if (latest is not null)
            {
                json.WriteString("resourceType", latest.ResourceType);
                if (latest.CaptureTime is { } captured) json.WriteString("latestCapturedAt", Timestamps.ToWire(captured));
                // What `baseline approve --configuration-version` names: the configuration this output shows.
                json.WriteString("configurationVersion", ConfigurationVersion.Of(latest));
            }
            if (current is null) json.WriteNull("approvedVersion");
            else json.WriteNumber("approvedVersion", current.Version);
            json.WriteStartArray("versions");
            foreach (var v in versions)
            {
                json.WriteStartObject();
                json.WriteNumber("version", v.Version);
                json.WriteString("approvedBy", v.ApprovedBy);
                json.WriteString("reason", v.Reason);
                json.WriteString("approvedAt", Timestamps.ToWire(v.ApprovedAt));
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteBoolean("drifted", drift.Count > 0);
            json.WriteStartArray("diff");
            foreach (var d in drift)
            {
                json.WriteStartObject();
                json.WriteString("path", d.Path);
                json.WriteString("expected", d.Expected);
                json.WriteString("actual", d.Actual);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        })).ConfigureAwait(false);
        return 0;
    }

    private static string Write(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer)) body(json);
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}

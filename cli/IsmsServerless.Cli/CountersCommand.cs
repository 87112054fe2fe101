using System.CommandLine;
using System.Globalization;
using IsmsServerless.CounterProjection;

namespace IsmsServerless.Cli;

/// <summary>
/// <c>./isms counters rebuild</c>: the repair for the stream-maintained rule counters (docs/data-model.md, "Counters from
/// the stream"): every counter item rebuilt from the findings through the indexes, and every passing-evidence counter item
/// from the evidence result items (<see cref="CounterRebuild"/>). Run it
/// with the counter projector caught up and ingestion quiet. Exit 0 with one JSON line; 3 when the store fails.
/// </summary>
internal static class CountersCommand
{
    public static Command Create()
    {
        var endpoint = CliOptions.DynamoDbEndpoint();
        var table = StoreOptions.Table();
        var rebuild = new Command("rebuild", "Rebuild every rule counter item from the findings and evidence results (after a lost stream record).") { endpoint, table };
        rebuild.SetAction(async (parse, cancellationToken) =>
            await StoreCommand.WithStoreAsync("counters rebuild", parse.GetValue(endpoint), parse.GetValue(table), async store =>
            {
                var result = await CounterRebuild.RebuildAsync(store.Client, store.TableName, cancellationToken).ConfigureAwait(false);
                await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{{\"findings\":{result.Findings},\"counterItems\":{result.CounterItems},\"removed\":{result.Removed},\"evidenceResults\":{result.EvidenceResults},\"evidenceCounterItems\":{result.EvidenceCounterItems},\"evidenceRemoved\":{result.EvidenceRemoved}}}")).ConfigureAwait(false);
                return 0;
            }, cancellationToken).ConfigureAwait(false));
        return new Command("counters", "The findings ledger's rule counters (maintained from the table's stream).") { rebuild };
    }
}

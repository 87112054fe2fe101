using System.CommandLine;
using System.Text.Json;
using Amazon.DynamoDBv2;
using IsmsServerless.Cli.Local;
using IsmsServerless.Ledger;
using IsmsServerless.Settings;
using IsmsServerless.StatusPage;

namespace IsmsServerless.Cli;

/// <summary>
/// <c>./isms serve</c>: the status page on http://127.0.0.1:PORT against DynamoDB Local (started here with a persistent
/// data folder, or the one at <c>--dynamodb-endpoint</c>), with the development sign-in.
/// </summary>
internal static class ServeCommand
{
    public const string DefaultTable = "isms-ledger";

    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "Port on 127.0.0.1 (default 8080; 0 picks a free one).", DefaultValueFactory = _ => 8080 };
        var endpoint = CliOptions.DynamoDbEndpoint();
        var table = new Option<string>("--table") { Description = "Ledger table name.", DefaultValueFactory = _ => DefaultTable };
        var dataDir = new Option<DirectoryInfo?>("--data-dir") { Description = "DynamoDB Local data folder when no endpoint is given (default .isms/dynamodb)." };
        var config = CliOptions.Config();
        var command = new Command("serve", "Serve the status page on 127.0.0.1 against DynamoDB Local, with a local sign-in.") { port, endpoint, table, dataDir, config };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var chosenPort = parse.GetValue(port);
            if (chosenPort is < 0 or > 65535)
            {
                Console.Error.WriteLine("isms serve: --port must be 0-65535");
                return 2;
            }
            IsmsSettings settings;
            try
            {
                settings = CliOptions.LoadSettings(parse.GetValue(config));
            }
            catch (Exception ex) when (ex is InvalidSettingsException or JsonException or IOException)
            {
                Console.Error.WriteLine($"isms serve: {ex.Message}");
                return 2;
            }
            DynamoDbLocal? local = null;
            IAmazonDynamoDB dynamo;
            if (parse.GetValue(endpoint) is { Length: > 0 } url)
            {
                if (!Uri.TryCreate(url, UriKind.Absolute, out _))
                {
                    Console.Error.WriteLine($"isms serve: --dynamodb-endpoint '{url}' is not a URL");
                    return 2;
                }
                dynamo = DynamoDbLocal.CreateClient(url);
            }
            else
            {
                var folder = parse.GetValue(dataDir)?.FullName ?? Path.Combine(RepositoryRoot.Find(), ".isms", "dynamodb");
                Console.Error.WriteLine($"isms serve: starting DynamoDB Local (data in {folder})");
                local = await DynamoDbLocal.StartAsync(folder, cancellationToken).ConfigureAwait(false);
                dynamo = local.CreateClient();
            }
            try
            {
                var tableName = parse.GetValue(table) ?? DefaultTable;
                await LedgerTable.CreateIfMissingAsync(dynamo, tableName, cancellationToken).ConfigureAwait(false);
                var services = StatusPageComposition.Create(dynamo, tableName, settings, TimeProvider.System);
                // The deployed sweep writes the daily trend snapshot; locally, serve writes today's on start.
                await services.Ledger.WriteTrendSnapshotAsync(TimeProvider.System.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                await using var server = await StatusServer.StartAsync(services, chosenPort, TimeProvider.System, cancellationToken).ConfigureAwait(false);
                Console.Error.WriteLine($"isms serve: status page at {server.Url} (table {tableName}); sign in with any name, Ctrl+C to stop");
                await server.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
                Console.Error.WriteLine("isms serve: stopped");
                return 0;
            }
            finally
            {
                dynamo.Dispose();
                if (local is not null) await local.DisposeAsync().ConfigureAwait(false);
            }
        });
        return command;
    }
}

using Amazon.DynamoDBv2;
using IsmsServerless.Ledger;

namespace IsmsServerless.Cli.Local;

/// <summary>
/// The store a store-backed command works on: the given endpoint, or a DynamoDB Local this process starts on a
/// persistent data folder (<c>.isms/dynamodb</c> under the repository root, git-ignored; <c>ISMS_DATA_DIR</c>
/// overrides), with the ledger table created when missing.
/// </summary>
internal sealed class LedgerStore : IAsyncDisposable
{
    public const string DefaultTableName = "isms-ledger";

    private readonly DynamoDbLocal? _local;

    private LedgerStore(IAmazonDynamoDB client, string tableName, string endpoint, DynamoDbLocal? local)
    {
        Client = client;
        TableName = tableName;
        Endpoint = endpoint;
        _local = local;
    }

    public IAmazonDynamoDB Client { get; }

    public string TableName { get; }

    public string Endpoint { get; }

    public static string DataDirectory =>
        Environment.GetEnvironmentVariable("ISMS_DATA_DIR") is { Length: > 0 } custom
            ? Path.Combine(custom, "dynamodb")
            : Path.Combine(RepositoryRoot.Find(), ".isms", "dynamodb");

    public static async Task<LedgerStore> OpenAsync(string? endpoint, string? tableName, CancellationToken cancellationToken = default)
    {
        tableName = string.IsNullOrWhiteSpace(tableName) ? DefaultTableName : tableName;
        DynamoDbLocal? local = null;
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            local = await DynamoDbLocal.StartAsync(DataDirectory, cancellationToken).ConfigureAwait(false);
            endpoint = local.Endpoint;
        }
        else if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"--dynamodb-endpoint '{endpoint}' is not an http(s) URL");
        }
        var client = DynamoDbLocal.CreateClient(endpoint);
        try
        {
            await LedgerTable.CreateIfMissingAsync(client, tableName, cancellationToken).ConfigureAwait(false);
            await WaitActiveAsync(client, tableName, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            client.Dispose();
            if (local is not null) await local.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return new LedgerStore(client, tableName, endpoint, local);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (_local is not null) await _local.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task WaitActiveAsync(IAmazonDynamoDB client, string tableName, CancellationToken cancellationToken)
    {
        for (var i = 0; i < 120; i++)
        {
            var table = await client.DescribeTableAsync(tableName, cancellationToken).ConfigureAwait(false);
            if (table.Table.TableStatus == TableStatus.ACTIVE) return;
            await Task.Delay(250, cancellationToken).ConfigureAwait(false);
        }
        throw new TimeoutException($"table {tableName} did not become ACTIVE");
    }
}

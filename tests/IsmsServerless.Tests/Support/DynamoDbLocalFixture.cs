using Amazon.DynamoDBv2;
using IsmsServerless.Cli.Local;
using IsmsServerless.Ledger;

namespace IsmsServerless.Tests.Support;

/// <summary>
/// One DynamoDB Local process (the official jar) per test collection; every test creates its own table with
/// <see cref="NewTableAsync"/>, so tests never see each other's data. No test uses a fake DynamoDB.
/// </summary>
public sealed class DynamoDbLocalFixture : IAsyncLifetime
{
    private DynamoDbLocal? _local;
    private int _tables;

    public IAmazonDynamoDB Client { get; private set; } = null!;

    public string Endpoint => _local?.Endpoint ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        _local = await DynamoDbLocal.StartAsync();
        Client = _local.CreateClient();
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (_local is not null) await _local.DisposeAsync();
    }

    /// <summary>Creates a fresh ledger table with the stack's schema and returns its name.</summary>
    public async Task<string> NewTableAsync(string prefix = "ledger")
    {
        var name = $"{prefix}-{Interlocked.Increment(ref _tables)}-{Guid.NewGuid():N}";
        if (name.Length > 200) name = name[..200];
        await LedgerTable.CreateIfMissingAsync(Client, name);
        return name;
    }
}

[CollectionDefinition(Name)]
public sealed class DynamoDbCollection : ICollectionFixture<DynamoDbLocalFixture>
{
    public const string Name = "DynamoDB Local";
}

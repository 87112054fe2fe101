using System.CommandLine;
using Amazon.DynamoDBv2;
using IsmsServerless.Cli.Local;
using IsmsServerless.Ledger;

namespace IsmsServerless.Cli;

/// <summary>Where <c>./isms changes</c> and <c>./isms review</c> find the ledger table.</summary>
internal static class ChangeStore
{
    public static Option<string> Table() => new("--table")
    {
        Description = "Ledger table name. Default: $ISMS_TABLE_NAME, else 'isms-ledger'.",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ISMS_TABLE_NAME") is { Length: > 0 } name ? name : "isms-ledger",
    };

    /// <summary>
    /// A client for <paramref name="endpoint"/> (DynamoDB Local: the table is created if missing, so an empty store
    /// lists nothing instead of failing), or for AWS with the default credential chain when no endpoint is given.
    /// </summary>
    public static async Task<IAmazonDynamoDB> ConnectAsync(string? endpoint, string table, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(endpoint)) return new AmazonDynamoDBClient();
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new ArgumentException($"--dynamodb-endpoint '{endpoint}' is not an http(s) URL");
        var client = DynamoDbLocal.CreateClient(endpoint);
        await LedgerTable.CreateIfMissingAsync(client, table, cancellationToken).ConfigureAwait(false);
        return client;
    }
}

namespace IsmsServerless.Ledger;

/// <summary>
/// The ledger table's physical shape, shared by the CDK stack (which creates it), the code (which reads and writes it)
/// and the tests (which create it in DynamoDB Local). One table, overloaded keys and four overloaded GSIs
/// (single-table design); what each item type puts in which key is documented in <c>docs/data-model.md</c>.
/// </summary>
public static class LedgerSchema
{
    public const string PartitionKey = "PK";
    public const string SortKey = "SK";

    /// <summary>
    /// Obligations by kind, drift's resource inventory, access reviews and access activity. Finding items no longer carry
    /// GSI1 keys (issue 20: the status view merges GSI2 rule partitions); those written before keep theirs until rewritten.
    /// </summary>
    public const string Gsi1 = "GSI1";
    public const string Gsi1PartitionKey = "GSI1PK";
    public const string Gsi1SortKey = "GSI1SK";

    public const string Gsi2 = "GSI2";
    public const string Gsi2PartitionKey = "GSI2PK";
    public const string Gsi2SortKey = "GSI2SK";

    public const string Gsi3 = "GSI3";
    public const string Gsi3PartitionKey = "GSI3PK";
    public const string Gsi3SortKey = "GSI3SK";

    public const string Gsi4 = "GSI4";
    public const string Gsi4PartitionKey = "GSI4PK";
    public const string Gsi4SortKey = "GSI4SK";

    /// <summary>Epoch seconds after which DynamoDB TTL may delete the item. Never set on an open finding.</summary>
    public const string TimeToLive = "expiresAt";

    /// <summary>Item type discriminator (FINDING, HISTORY, OUTBOX, ...), used by stream filters and readers.</summary>
    public const string EntityType = "entityType";

    /// <summary>
    /// What every GSI projects: keys only (the table's PK/SK and the index's own keys). An indexed write then costs one
    /// small index entry per GSI, not a second copy of a 1–3 KB item; readers fetch the items of a page from the table
    /// (<see cref="LedgerIndex.QueryItemsAsync"/>). The stack and <see cref="LedgerTable"/> both read this value.
    /// </summary>
    public const string IndexProjection = "KEYS_ONLY";

    /// <summary>Every GSI as (name, partition key, sort key): the stack and the test table builder iterate this.</summary>
    public static IReadOnlyList<(string Name, string PartitionKey, string SortKey)> GlobalSecondaryIndexes { get; } =
    [
        (Gsi1, Gsi1PartitionKey, Gsi1SortKey),
        (Gsi2, Gsi2PartitionKey, Gsi2SortKey),
        (Gsi3, Gsi3PartitionKey, Gsi3SortKey),
        (Gsi4, Gsi4PartitionKey, Gsi4SortKey),
    ];
}

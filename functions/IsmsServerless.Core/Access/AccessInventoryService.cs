using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.Drift;
using IsmsServerless.Settings;

namespace IsmsServerless.Access;

/// <summary>
/// Reads the access inventory from the store: the latest Config item of every IAM user, group, role and customer managed
/// policy (the drift store keeps them current from every Config change and the daily snapshot back-fill; one Query per
/// type on the drift index, paged) and every principal's recorded activity (one Query), then builds it with
/// <see cref="AccessInventory.Build"/>.
/// </summary>
public sealed class AccessInventoryService(IAmazonDynamoDB dynamo, string tableName, IsmsSettings settings)
{
    /// <summary>Largest inventory read (principals + policies); beyond it the read stops and says so in the log.</summary>
    public const int MaxItems = 50_000;

    public async Task<AccessInventorySnapshot> ReadAsync(CancellationToken cancellationToken = default)
    {
        var drift = new DriftStore(dynamo, tableName);
        var items = new List<StoredConfiguration>();
        foreach (var type in AccessInventory.ResourceTypes)
        {
            Dictionary<string, AttributeValue>? cursor = null;
            do
            {
                var (page, next) = await drift.QueryLatestOfTypeAsync(type, cursor, 200, cancellationToken).ConfigureAwait(false);
                items.AddRange(page);
                cursor = next;
            }
            while (cursor is not null && items.Count < MaxItems);
        }
        if (items.Count >= MaxItems) Observability.Log.Warn("access.inventory-truncated", ("items", items.Count));
        var activity = await new AccessActivityStore(dynamo, tableName).ReadAllAsync(MaxItems, cancellationToken).ConfigureAwait(false);
        return AccessInventory.Build(items, activity, InternalAccounts(settings));
    }

    public static IReadOnlySet<string> InternalAccounts(IsmsSettings settings) =>
        new HashSet<string>(settings?.Access?.InternalAccounts ?? [], StringComparer.Ordinal);
}

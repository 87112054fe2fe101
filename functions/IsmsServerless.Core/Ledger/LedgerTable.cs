using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;

namespace IsmsServerless.Ledger;

/// <summary>Creates the ledger table as the stack defines it, for DynamoDB Local (tests, local run).</summary>
public static class LedgerTable
{
    public static async Task CreateIfMissingAsync(IAmazonDynamoDB dynamo, string tableName, CancellationToken cancellationToken = default)
    {
        try
        {
            await dynamo.DescribeTableAsync(tableName, cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (ResourceNotFoundException)
        {
        }
        var attributes = new List<AttributeDefinition>
        {
            new(LedgerSchema.PartitionKey, ScalarAttributeType.S),
            new(LedgerSchema.SortKey, ScalarAttributeType.S),
        };
        var indexes = new List<GlobalSecondaryIndex>();
        foreach (var (name, pk, sk) in LedgerSchema.GlobalSecondaryIndexes)
        {
            attributes.Add(new AttributeDefinition(pk, ScalarAttributeType.S));
            attributes.Add(new AttributeDefinition(sk, ScalarAttributeType.S));
            indexes.Add(new GlobalSecondaryIndex
            {
                IndexName = name,
                KeySchema = [new KeySchemaElement(pk, KeyType.HASH), new KeySchemaElement(sk, KeyType.RANGE)],
                Projection = new Projection { ProjectionType = ProjectionType.FindValue(LedgerSchema.IndexProjection) },
            });
        }
        try
        {
            await dynamo.CreateTableAsync(new CreateTableRequest
            {
                TableName = tableName,
                BillingMode = BillingMode.PAY_PER_REQUEST,
                AttributeDefinitions = attributes,
                KeySchema = [new KeySchemaElement(LedgerSchema.PartitionKey, KeyType.HASH), new KeySchemaElement(LedgerSchema.SortKey, KeyType.RANGE)],
                GlobalSecondaryIndexes = indexes,
                StreamSpecification = new StreamSpecification { StreamEnabled = true, StreamViewType = StreamViewType.NEW_AND_OLD_IMAGES },
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ResourceInUseException)
        {
            // Created concurrently by another process: fine.
        }
    }
}

using IsmsServerless.Ledger;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Engine;

[Collection(DynamoDbCollection.Name)]
public sealed class DynamoDbLocalSmokeTests(DynamoDbLocalFixture dynamo)
{
    [Fact]
    public async Task Ledger_table_is_created_with_the_stack_schema()
    {
        var table = await dynamo.NewTableAsync();
        var description = (await dynamo.Client.DescribeTableAsync(table)).Table;
        Assert.Equal(LedgerSchema.GlobalSecondaryIndexes.Select(i => i.Name).Order(), description.GlobalSecondaryIndexes.Select(i => i.IndexName).Order());
        Assert.True(description.StreamSpecification?.StreamEnabled);
        // Keys only: an indexed write must not pay for a second copy of the item in every GSI (issue 20).
        Assert.All(description.GlobalSecondaryIndexes, i => Assert.Equal("KEYS_ONLY", i.Projection.ProjectionType.Value));
    }
}

using Amazon.DynamoDBv2.Model;

namespace IsmsServerless.Tests.Support;

/// <summary>The tests' name for <see cref="IsmsServerless.Storage.ItemSize"/>: an item's size as DynamoDB counts it for write units.</summary>
public static class ItemSize
{
    public static int Of(Dictionary<string, AttributeValue> item) => IsmsServerless.Storage.ItemSize.Of(item);
}

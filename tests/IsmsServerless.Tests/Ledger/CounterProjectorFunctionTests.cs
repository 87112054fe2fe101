using System.Text;
using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using IsmsServerless.CounterProjection;
using IsmsServerless.Functions;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Tests.Support;
using static IsmsServerless.Tests.Ledger.LedgerTestKit;

namespace IsmsServerless.Tests.Ledger;

/// <summary>
/// The Lambda handler of the counter projector: AWS's documented DynamoDB stream event read by the projector's JSON reader,
/// and the handler run on the real stream records of a ledger table as Lambda would deliver them (the same batch twice
/// counts once), answering with a partial batch response.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class CounterProjectorFunctionTests(DynamoDbLocalFixture dynamo)
{
    [Fact]
    public void The_documented_stream_event_is_read_record_by_record_and_none_of_it_is_a_finding()
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "projection", "dynamodb-stream-event.json")));
        var (records, problems) = StreamRecordJson.ReadEvent(document.RootElement);

        Assert.Empty(problems);
        Assert.Equal(["INSERT", "MODIFY", "REMOVE"], records.Select(r => r.EventName));
        Assert.Equal("4421584500000000017450439092", records[1].SequenceNumber);
        Assert.Equal("New item!", records[1].OldImage!["Message"].S);
        Assert.Null(records[0].OldImage);
        Assert.Null(records[2].NewImage);
        Assert.Equal("101", records[2].Keys!["Id"].N);
        Assert.Equal("2015-06-27T00:48:05.899", CounterProjector.StreamKey(records[0].EventSourceArn));
        Assert.All(records, r => Assert.False(FindingCounterSource.IsFinding(r)));
    }

    [Fact]
    public async Task The_handler_counts_a_real_batch_once_and_answers_with_an_empty_partial_batch_response()
    {
        var kit = await CreateAsync(dynamo);
        var ledger = new DynamoDbFindingLedger(dynamo.Client, kit.Table, kit.Settings) { Clock = kit.Clock, CounterCatchUp = null };
        var at = kit.Now.AddHours(-1);
        await ledger.RecordAsync([Finding(PatchRule, "i-1", at), Finding(PatchRule, "i-2", at), Finding(MonitoringRule, "arn:aws:iam::123456789012:root", at)], kit.Context);
        await ledger.RecordAsync([Compliant(PatchRule, "i-2", at.AddMinutes(5))], kit.Context);
        var lambdaEvent = await LocalStreamProjection.ForEndpoint(dynamo.Client, kit.Table)!.ReadAllAsLambdaEventAsync();

        Environment.SetEnvironmentVariable(FunctionHost.TableNameVariable, kit.Table);
        Environment.SetEnvironmentVariable(FunctionHost.DynamoDbEndpointVariable, dynamo.Endpoint);
        try
        {
            FunctionHost.ResetForTests();
            var handler = new CounterProjectorFunction();
            string first, second;
            using (var answer = new StreamReader(await handler.HandleAsync(new MemoryStream(Encoding.UTF8.GetBytes(lambdaEvent))))) first = await answer.ReadToEndAsync();
            using (var answer = new StreamReader(await handler.HandleAsync(new MemoryStream(Encoding.UTF8.GetBytes(lambdaEvent))))) second = await answer.ReadToEndAsync();

            Assert.Equal("{\"batchItemFailures\":[]}", first);
            Assert.Equal(first, second);
            var stats = await dynamo.Client.QueryAsync(new QueryRequest
            {
                TableName = kit.Table,
                KeyConditionExpression = "PK = :pk",
                ExpressionAttributeValues = new() { [":pk"] = new AttributeValue { S = "STATS" } },
                ConsistentRead = true,
            });
            var overview = LedgerCounters.Overview(stats.Items);
            Assert.Equal(2, overview.Total.Open);
            Assert.Equal(1, overview.Total.Resolved);
        }
        finally
        {
            Environment.SetEnvironmentVariable(FunctionHost.TableNameVariable, null);
            Environment.SetEnvironmentVariable(FunctionHost.DynamoDbEndpointVariable, null);
            FunctionHost.ResetForTests();
        }
    }

    [Fact]
    public void A_failed_sub_range_is_answered_with_its_first_sequence_number()
    {
        using var answer = new StreamReader(CounterProjectorFunction.Answer("4421584500000000017450439092"));
        using var json = JsonDocument.Parse(answer.ReadToEnd());
        Assert.Equal("4421584500000000017450439092", json.RootElement.GetProperty("batchItemFailures")[0].GetProperty("itemIdentifier").GetString());
    }
}

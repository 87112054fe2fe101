using IsmsServerless.Functions;
using IsmsServerless.Heartbeats;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Monitoring;

/// <summary>
/// The deployed path: the ingest Lambda handler records a heartbeat for a real CloudTrail event, the sweep Lambda
/// handler later finds CloudTrail silent and opens the finding in the DynamoDB ledger, and the next event resolves it.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class HeartbeatHandlersTests(DynamoDbLocalFixture dynamo)
{
    private const string SignIn = "cloudtrail/eb-console-signin-root-success-nomfa.json";
    private const string Account = "123456789012";
    private const string Region = "us-east-1";

    [Fact]
    public async Task Ingest_records_the_heartbeat_and_the_sweep_turns_silence_into_a_finding_that_the_next_event_resolves()
    {
        var table = await dynamo.NewTableAsync();
        var clock = TestContexts.ClockAt("2026-01-01T00:00:00Z");
        Environment.SetEnvironmentVariable(FunctionHost.TableNameVariable, table);
        Environment.SetEnvironmentVariable(FunctionHost.DynamoDbEndpointVariable, dynamo.Endpoint);
        Environment.SetEnvironmentVariable("ISMS_ACCOUNT_ID", Account);
        Environment.SetEnvironmentVariable("AWS_REGION", Region);
        try
        {
            FunctionHost.ResetForTests();
            FunctionHost.Clock = clock;
            await SweepAsync();
            await IngestAsync();
            var heartbeat = Assert.Single((await HeartbeatReader.ReadAsync(dynamo.Client, table)).Heartbeats, h => h.Source == HeartbeatSources.CloudTrail);
            Assert.Equal((Account, Region), (heartbeat.AccountId, heartbeat.Region));

            clock.Advance(TimeSpan.FromHours(30));
            await SweepAsync();
            var ledger = new DynamoDbFindingLedger(dynamo.Client, table, IsmsSettings.Default);
            var findingId = FindingIdentity.Compute("monitoring.cloud-trail-silent", Account, Region, $"heartbeat/cloudtrail/{Account}/{Region}", "");
            Assert.Equal(FindingStatus.Open, (await ledger.GetAsync(findingId))!.Status);

            clock.Advance(TimeSpan.FromMinutes(10));
            await IngestAsync();
            await SweepAsync();
            Assert.Equal(FindingStatus.Resolved, (await ledger.GetAsync(findingId))!.Status);
        }
        finally
        {
            Environment.SetEnvironmentVariable(FunctionHost.TableNameVariable, null);
            Environment.SetEnvironmentVariable(FunctionHost.DynamoDbEndpointVariable, null);
            Environment.SetEnvironmentVariable("ISMS_ACCOUNT_ID", null);
            Environment.SetEnvironmentVariable("AWS_REGION", null);
            FunctionHost.Clock = TimeProvider.System;
            FunctionHost.ResetForTests();
        }
    }

    private static async Task IngestAsync()
    {
        using var input = File.OpenRead(Fixtures.SharedPath(SignIn));
        await (await new EventIngestFunction().HandleAsync(input)).DisposeAsync();
    }

    private static async Task SweepAsync()
    {
        using var input = new MemoryStream("{\"detail-type\":\"Scheduled Event\",\"source\":\"aws.events\",\"detail\":{}}"u8.ToArray());
        await (await new SweepFunction().HandleAsync(input)).DisposeAsync();
    }
}

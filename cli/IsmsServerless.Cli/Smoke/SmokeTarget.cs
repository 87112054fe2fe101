using Amazon.DynamoDBv2;

namespace IsmsServerless.Cli.Smoke;

/// <summary>What the smoke check needs to know about a deployed stack: its CloudFormation outputs.</summary>
public sealed record SmokeStack(
    string TableName,
    string IngestFunction,
    string AlertQueueUrl,
    IReadOnlyList<string> DeadLetterQueueUrls,
    string StatusPageUrl,
    int SweepIntervalMinutes);

/// <summary>
/// The one seam between the smoke check and AWS. <see cref="AwsCliSmokeTarget"/> talks to the deployed stack with the
/// caller's AWS CLI credentials; the tests put DynamoDB Local and the local ingest pipeline behind it.
/// </summary>
public interface ISmokeTarget
{
    /// <summary>The stack's outputs; throws <see cref="SmokeException"/> when the stack or an output is missing.</summary>
    Task<SmokeStack> DescribeStackAsync(string stackName, CancellationToken cancellationToken);

    /// <summary>Invokes a function synchronously with <paramref name="payload"/>; returns its response, throws <see cref="SmokeException"/> on a function error.</summary>
    Task<string> InvokeAsync(string functionName, byte[] payload, CancellationToken cancellationToken);

    /// <summary>The ledger table's client (the regional endpoint, or DynamoDB Local in tests).</summary>
    IAmazonDynamoDB Dynamo { get; }

    /// <summary>Approximate number of visible messages.</summary>
    Task<long> QueueDepthAsync(string queueUrl, CancellationToken cancellationToken);

    /// <summary>HTTP status of a GET on <paramref name="url"/>.</summary>
    Task<int> HttpGetAsync(string url, CancellationToken cancellationToken);
}

public sealed class SmokeException(string message) : Exception(message);

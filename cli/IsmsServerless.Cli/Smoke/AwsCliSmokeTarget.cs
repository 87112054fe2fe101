using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Amazon.DynamoDBv2;

namespace IsmsServerless.Cli.Smoke;

/// <summary>
/// The deployed stack, reached with the caller's AWS CLI credentials and region (AWS_PROFILE, AWS_REGION, ...):
/// CloudFormation, Lambda and SQS through the <c>aws</c> CLI (their .NET SDK packages are not used by this project),
/// the ledger through the DynamoDB SDK, which reads the same credential chain.
/// </summary>
public sealed class AwsCliSmokeTarget : ISmokeTarget, IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(15) };
    private readonly Lazy<AmazonDynamoDBClient> _dynamo = new(() => new AmazonDynamoDBClient());

    public IAmazonDynamoDB Dynamo => _dynamo.Value;

    public async Task<SmokeStack> DescribeStackAsync(string stackName, CancellationToken cancellationToken)
    {
        var json = await AwsAsync(["cloudformation", "describe-stacks", "--stack-name", stackName, "--query", "Stacks[0].Outputs", "--output", "json"], cancellationToken).ConfigureAwait(false);
        var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
        using (var document = JsonDocument.Parse(json))
        {
            if (document.RootElement.ValueKind == JsonValueKind.Array)
                foreach (var output in document.RootElement.EnumerateArray())
                    outputs[output.GetProperty("OutputKey").GetString()!] = output.GetProperty("OutputValue").GetString()!;
        }
        return SmokeOutputs.Parse(stackName, outputs);
    }

    public async Task<string> InvokeAsync(string functionName, byte[] payload, CancellationToken cancellationToken)
    {
        var input = Path.GetTempFileName();
        var output = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(input, payload, cancellationToken).ConfigureAwait(false);
            var meta = await AwsAsync(["lambda", "invoke", "--function-name", functionName, "--cli-binary-format", "raw-in-base64-out",
                "--payload", "fileb://" + input, output, "--output", "json"], cancellationToken).ConfigureAwait(false);
            var response = await File.ReadAllTextAsync(output, cancellationToken).ConfigureAwait(false);
            using var document = JsonDocument.Parse(meta);
            if (document.RootElement.TryGetProperty("FunctionError", out var error))
                throw new SmokeException($"{functionName} returned a {error.GetString()} error: {response}");
            return response;
        }
        finally
        {
            File.Delete(input);
            File.Delete(output);
        }
    }

    public async Task<long> QueueDepthAsync(string queueUrl, CancellationToken cancellationToken)
    {
        var text = await AwsAsync(["sqs", "get-queue-attributes", "--queue-url", queueUrl, "--attribute-names", "ApproximateNumberOfMessages",
            "--query", "Attributes.ApproximateNumberOfMessages", "--output", "text"], cancellationToken).ConfigureAwait(false);
        return long.Parse(text.Trim(), CultureInfo.InvariantCulture);
    }

    public async Task<int> HttpGetAsync(string url, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri(url), cancellationToken).ConfigureAwait(false);
        return (int)response.StatusCode;
    }

    private static async Task<string> AwsAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("aws") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["AWS_PAGER"] = "";
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new SmokeException("could not start the aws CLI");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new SmokeException($"the aws CLI is not installed or not on PATH ({ex.Message}); install AWS CLI v2 and configure credentials");
        }
        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (process.ExitCode != 0)
                throw new SmokeException($"aws {arguments[0]} {arguments[1]} failed: {(await stderr.ConfigureAwait(false)).Trim()}");
            return await stdout.ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        if (_dynamo.IsValueCreated) _dynamo.Value.Dispose();
    }
}

/// <summary>The output names IsmsStack writes for the smoke check (see IsmsStack: "Smoke check outputs").</summary>
public static class SmokeOutputs
{
    public const string Table = "LedgerTableName";
    public const string Ingest = "IngestFunctionName";
    public const string AlertQueue = "AlertQueueUrl";
    public const string DeadLetterQueues = "DeadLetterQueueUrls";
    public const string SweepInterval = "SweepIntervalMinutes";
    public const string StatusPage = "StatusPageUrl";

    public static SmokeStack Parse(string stackName, IReadOnlyDictionary<string, string> outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        string Need(string key) => outputs.TryGetValue(key, out var v) && v.Length > 0 ? v
            : throw new SmokeException($"stack {stackName} has no output {key}; deploy this version of the stack (cdk deploy) first");
        return new SmokeStack(Need(Table), Need(Ingest), Need(AlertQueue),
            Need(DeadLetterQueues).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            Need(StatusPage), int.Parse(Need(SweepInterval), CultureInfo.InvariantCulture));
    }
}

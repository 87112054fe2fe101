using Amazon.SimpleSystemsManagement;
using IsmsServerless.Alerts;

namespace IsmsServerless.Functions.Slack;

/// <summary>
/// The Slack channel of functions other than the notifier (the sweep's daily digest): webhook from the SSM
/// SecureString named by <c>SLACK_WEBHOOK_PARAMETER</c>, same notifier limits, delivery records in the ledger table.
/// Returns null when the stack gave this function no webhook parameter.
/// </summary>
internal static class SlackEnvironment
{
    public const string ParameterVariable = "SLACK_WEBHOOK_PARAMETER";

    private static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private static WebhookSource? _source;
    private static SlackNotifier? _notifier;
    private static Uri? _notifierUri;

    public static async Task<AlertDelivery?> OpenAsync(CancellationToken cancellationToken)
    {
        var parameter = Environment.GetEnvironmentVariable(ParameterVariable);
        if (string.IsNullOrWhiteSpace(parameter)) return null;
        _source ??= new WebhookSource(new AmazonSimpleSystemsManagementClient(), parameter);
        var uri = await _source.GetAsync(cancellationToken).ConfigureAwait(false);
        if (_notifier is null || _notifierUri != uri)
        {
            _notifier = new SlackNotifier(Http, uri, FunctionHost.Clock);
            _notifierUri = uri;
        }
        return new AlertDelivery(_notifier, new DeliveryRecords(FunctionHost.Dynamo, FunctionHost.TableName, TimeProvider.System));
    }
}

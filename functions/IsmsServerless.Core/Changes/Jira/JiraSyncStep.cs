using Amazon.SimpleSystemsManagement;
using IsmsServerless.Sweep;

namespace IsmsServerless.Changes.Jira;

/// <summary>
/// The sweep step that drains the Jira queue when <c>changeManagement.jira.enabled</c> (nothing otherwise). The HTTP
/// client and the SSM token source are built once per process.
/// </summary>
public sealed class JiraSyncStep(Func<SweepContext, JiraClient>? clientFactory = null) : ISweepStep
{
    private const int BatchSize = 20;
    private static readonly Lazy<HttpClient> Http = new(() => new HttpClient { Timeout = Timeout.InfiniteTimeSpan });
    private static SsmJiraTokenSource? _tokens;

    public string Name => "jira-sync";

    public async Task<SweepStepResult> RunAsync(SweepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Evaluation.Settings;
        if (!settings.ChangeManagement.Jira.Enabled) return SweepStepResult.Empty(Name);
        var client = clientFactory?.Invoke(context) ?? DefaultClient(context);
        var sync = new JiraSync(new DynamoChangeRegister(context.Dynamo, context.TableName, settings), new JiraOutbox(context.Dynamo, context.TableName),
            client, settings, context.Evaluation.Clock);
        var result = await sync.RunAsync(BatchSize, cancellationToken).ConfigureAwait(false);
        return new SweepStepResult(Name, result.Examined, 0, 0, [.. result.Notes, $"delivered {result.Delivered}, deferred {result.Deferred}"]);
    }

    private static JiraClient DefaultClient(SweepContext context)
    {
        var jira = context.Evaluation.Settings.ChangeManagement.Jira;
        _tokens ??= new SsmJiraTokenSource(new AmazonSimpleSystemsManagementClient(), jira.TokenParameterName, context.Evaluation.Clock);
        return new JiraClient(Http.Value, jira, _tokens);
    }
}

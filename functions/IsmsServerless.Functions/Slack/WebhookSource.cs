using Amazon.SimpleSystemsManagement;
using Amazon.SimpleSystemsManagement.Model;

namespace IsmsServerless.Functions.Slack;

/// <summary>
/// Reads the webhook URL from an SSM Parameter Store SecureString once per process (warm invocations reuse it).
/// The value is never logged: errors name the parameter, not its contents.
/// </summary>
public sealed class WebhookSource(IAmazonSimpleSystemsManagement ssm, string parameterName)
{
    private Uri? _cached;

    public string ParameterName => parameterName;

    public async Task<Uri> GetAsync(CancellationToken cancellationToken)
    {
        if (_cached is not null) return _cached;
        // No lock: two concurrent first calls would both read the parameter, which is harmless.
        var response = await ssm.GetParameterAsync(new GetParameterRequest { Name = parameterName, WithDecryption = true }, cancellationToken).ConfigureAwait(false);
        var value = response.Parameter?.Value?.Trim();
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
            throw new InvalidOperationException($"SSM parameter {parameterName} does not hold an https webhook URL (value not shown)");
        _cached = uri;
        return uri;
    }
}

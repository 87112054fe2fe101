using Amazon.SimpleSystemsManagement;
using Amazon.SimpleSystemsManagement.Model;

namespace IsmsServerless.Changes.Jira;

/// <summary>Where the Jira API token comes from.</summary>
public interface IJiraTokenSource
{
    Task<string> GetAsync(CancellationToken cancellationToken);
}

/// <summary>
/// The token as an SSM Parameter Store SecureString, read with decryption (the stack grants <c>ssm:GetParameter</c> on
/// this one parameter and <c>kms:Decrypt</c> through SSM only). Cached for a few minutes per process; never logged.
/// </summary>
public sealed class SsmJiraTokenSource(IAmazonSimpleSystemsManagement ssm, string parameterName, TimeProvider clock) : IJiraTokenSource
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromMinutes(5);
    private string? _token;
    private DateTimeOffset _readAt;

    public async Task<string> GetAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (_token is { } cached && now - _readAt < CacheFor) return cached;
        try
        {
            var response = await ssm.GetParameterAsync(new GetParameterRequest { Name = parameterName, WithDecryption = true }, cancellationToken).ConfigureAwait(false);
            var value = response.Parameter?.Value;
            if (string.IsNullOrWhiteSpace(value))
                throw new JiraException(JiraFailure.Unauthorized, null, null, $"SSM parameter {parameterName} holds no Jira token");
            (_token, _readAt) = (value.Trim(), now);
            return _token;
        }
        catch (ParameterNotFoundException)
        {
            throw new JiraException(JiraFailure.Unauthorized, null, null, $"SSM parameter {parameterName} (the Jira token) does not exist");
        }
        catch (AmazonSimpleSystemsManagementException ex)
        {
            // The SDK's message names the parameter and the error code, never the value.
            throw new JiraException(JiraFailure.Unavailable, null, null, $"SSM could not read {parameterName}: {ex.ErrorCode}");
        }
    }
}

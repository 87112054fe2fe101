using System.Text;
using Amazon.DynamoDBv2;
using IsmsServerless.Functions.StatusPage;
using IsmsServerless.Observability;
using IsmsServerless.StatusPage;
using IsmsServerless.StatusPage.Auth;

namespace IsmsServerless.Functions;

/// <summary>
/// The status page behind API Gateway (HTTP API, payload format 2.0). Handler:
/// <c>IsmsServerless.Functions::IsmsServerless.Functions.StatusPageFunction::HandleAsync</c>. The router, the token
/// validator (with its JWKS cache) and the DynamoDB client are built once per process.
/// </summary>
public sealed class StatusPageFunction
{
    private static readonly Lazy<StatusRouter> LazyRouter = new(BuildRouter);

    /// <summary>Tests and the CLI inject a router; Lambda builds one from the environment the stack sets.</summary>
    internal static StatusRouter? RouterOverride { get; set; }

    public async Task<Stream> HandleAsync(Stream input)
    {
        var payload = await FunctionHost.ReadAllAsync(input).ConfigureAwait(false);
        var (request, error) = HttpApiTranslator.ToRequest(payload);
        StatusResponse response;
        if (request is null)
        {
            Log.Warn("statuspage.bad-payload", ("error", error), ("bytes", payload.Length));
            response = StatusResponse.Error(400, "bad-request", "unreadable request");
        }
        else
        {
            response = await (RouterOverride ?? LazyRouter.Value).HandleAsync(request).ConfigureAwait(false);
        }
        return new MemoryStream(HttpApiTranslator.ToPayload(response));
    }

    private static StatusRouter BuildRouter()
    {
        var issuer = FunctionHost.RequiredEnvironment("STATUS_ISSUER");
        var auth = new AuthOptions
        {
            Issuer = issuer,
            ClientId = FunctionHost.RequiredEnvironment("STATUS_CLIENT_ID"),
            JwksUri = new Uri(issuer.TrimEnd('/') + "/.well-known/jwks.json"),
            ReviewersGroup = Environment.GetEnvironmentVariable("STATUS_REVIEWERS_GROUP") is { Length: > 0 } group ? group : "reviewers",
        };
        var options = new StatusPageOptions
        {
            Auth = auth,
            PublicScheme = "https",
            HostedUi = new Uri(FunctionHost.RequiredEnvironment("STATUS_HOSTED_UI")),
        };
        var services = StatusPageComposition.Create(new AmazonDynamoDBClient(), FunctionHost.RequiredEnvironment("TABLE_NAME"), FunctionHost.Settings, FunctionHost.Clock);
        var keys = new JwksKeySource(new HttpClient { Timeout = TimeSpan.FromSeconds(5) }, auth.JwksUri, FunctionHost.Clock);
        return new StatusRouter(services, options, new TokenValidator(auth, keys, FunctionHost.Clock), FunctionHost.Clock);
    }
}

using System.Text;
using System.Text.Json;
using IsmsServerless.Functions;
using IsmsServerless.Functions.StatusPage;
using IsmsServerless.Settings;
using IsmsServerless.StatusPage;
using IsmsServerless.StatusPage.Auth;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.StatusPage;

/// <summary>The Lambda entry point: HTTP API 2.0 payloads (AWS's documented shape) in, 2.0 responses out.</summary>
[Collection(DynamoDbCollection.Name)]
public sealed class StatusPageFunctionTests(DynamoDbLocalFixture dynamo)
{
    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "statuspage", name));

    [Fact]
    public void Translator_reads_path_query_headers_and_base64_bodies_as_api_gateway_sends_them()
    {
        var (get, error) = HttpApiTranslator.ToRequest(Encoding.UTF8.GetBytes(Fixture("apigw-httpapi-v2-get-findings.json")));
        Assert.Null(error);
        Assert.Equal("GET", get!.Method);
        Assert.Equal("/api/findings", get.Path);
        Assert.Equal("HIGH", get.QueryValue("severity"));  // rawQueryString repeats the key; the first wins
        Assert.Equal("ISO27001:2022 A.8.9", get.QueryValue("control"));
        Assert.Equal("abc123.execute-api.eu-west-1.amazonaws.com", get.Header("Host"));

        var (post, _) = HttpApiTranslator.ToRequest(Encoding.UTF8.GetBytes(Fixture("apigw-httpapi-v2-post-acknowledge-base64.json")));
        Assert.Equal("{\"reason\":\"owned\"}", Encoding.UTF8.GetString(post!.Body));
        Assert.Equal("application/json", post.Header("Content-Type"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{not json")]
    [InlineData("{\"version\":\"1.0\",\"httpMethod\":\"GET\"}")]
    [InlineData("{\"version\":\"2.0\",\"requestContext\":{\"http\":{\"method\":\"GET\"}},\"body\":\"%%%\",\"isBase64Encoded\":true}")]
    public void Translator_rejects_what_is_not_a_usable_2_0_request(string payload)
    {
        var (request, error) = HttpApiTranslator.ToRequest(Encoding.UTF8.GetBytes(payload));
        Assert.Null(request);
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public async Task Handler_answers_401_without_a_token_serves_the_page_and_400s_garbage()
    {
        var table = await dynamo.NewTableAsync("statusfn");
        var clock = TimeProvider.System;
        var auth = new AuthOptions { Issuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_example", ClientId = "client", JwksUri = new Uri("http://127.0.0.1:9/unused") };
        using var http = new HttpClient();
        using var keys = new JwksKeySource(http, auth.JwksUri, clock);
        StatusPageFunction.RouterOverride = new StatusRouter(StatusPageComposition.Create(dynamo.Client, table, IsmsSettings.Default, clock),
            new StatusPageOptions { Auth = auth, HostedUi = new Uri("https://isms-status.auth.eu-west-1.amazoncognito.com") }, new TokenValidator(auth, keys, clock), clock);
        try
        {
            var function = new StatusPageFunction();
            var unauthorized = await InvokeAsync(function, Fixture("apigw-httpapi-v2-get-findings.json"));
            Assert.Equal(401, unauthorized.GetProperty("statusCode").GetInt32());
            Assert.True(unauthorized.GetProperty("isBase64Encoded").GetBoolean());
            Assert.Contains("unauthenticated", Encoding.UTF8.GetString(Convert.FromBase64String(unauthorized.GetProperty("body").GetString()!)), StringComparison.Ordinal);

            var page = await InvokeAsync(function, Fixture("apigw-httpapi-v2-get-findings.json").Replace("\"rawPath\": \"/api/findings\"", "\"rawPath\": \"/\"", StringComparison.Ordinal));
            Assert.Equal(200, page.GetProperty("statusCode").GetInt32());
            var headers = page.GetProperty("headers");
            Assert.Equal("text/html; charset=utf-8", headers.GetProperty("Content-Type").GetString());
            Assert.Contains("connect-src 'self' https://isms-status.auth.eu-west-1.amazoncognito.com", headers.GetProperty("Content-Security-Policy").GetString(), StringComparison.Ordinal);
            Assert.Contains("max-age=31536000", headers.GetProperty("Strict-Transport-Security").GetString(), StringComparison.Ordinal);

            var config = await InvokeAsync(function, Fixture("apigw-httpapi-v2-get-findings.json").Replace("\"rawPath\": \"/api/findings\"", "\"rawPath\": \"/api/config\"", StringComparison.Ordinal));
            using var configBody = JsonDocument.Parse(Convert.FromBase64String(config.GetProperty("body").GetString()!));
            Assert.Equal("cognito", configBody.RootElement.GetProperty("mode").GetString());
            Assert.Equal("https://isms-status.auth.eu-west-1.amazoncognito.com/oauth2/authorize", configBody.RootElement.GetProperty("authorizeUrl").GetString());

            var garbage = await InvokeAsync(function, "{\"hello\":1}");
            Assert.Equal(400, garbage.GetProperty("statusCode").GetInt32());
        }
        finally
        {
            StatusPageFunction.RouterOverride = null;
        }
    }

    private static async Task<JsonElement> InvokeAsync(StatusPageFunction function, string payload)
    {
        await using var output = await function.HandleAsync(new MemoryStream(Encoding.UTF8.GetBytes(payload)));
        using var doc = await JsonDocument.ParseAsync(output);
        return doc.RootElement.Clone();
    }
}

using System.Text.Json;
using Amazon.CDK.Assertions;

namespace IsmsServerless.Infra.Tests;

/// <summary>
/// Runs alone: two classes synthesizing in parallel start two jsii runtimes that unpack the same assemblies at once
/// ("zlib: unexpected end of file").
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StatusPageSynthCollection
{
    public const string Name = "Status page synth (serial)";
}

[Collection(StatusPageSynthCollection.Name)]
public sealed class StatusPageStackTests(StackTemplate stack) : IClassFixture<StackTemplate>
{
    private readonly Template _template = stack.Template;

    private Dictionary<string, JsonElement> Resources(string type) =>
        JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(JsonSerializer.Serialize(_template.FindResources(type)))!;

    [Fact]
    public void User_pool_requires_mfa_refuses_self_sign_up_and_has_a_reviewers_group()
    {
        _template.HasResourceProperties("AWS::Cognito::UserPool", new Dictionary<string, object>
        {
            ["MfaConfiguration"] = "ON",
            ["EnabledMfas"] = new[] { "SOFTWARE_TOKEN_MFA" },
            ["AdminCreateUserConfig"] = new Dictionary<string, object> { ["AllowAdminCreateUserOnly"] = true },
            ["Policies"] = Match.ObjectLike(new Dictionary<string, object>
            {
                ["PasswordPolicy"] = Match.ObjectLike(new Dictionary<string, object> { ["MinimumLength"] = 14 }),
            }),
        });
        _template.HasResourceProperties("AWS::Cognito::UserPoolGroup", new Dictionary<string, object> { ["GroupName"] = "reviewers" });
        _template.HasResourceProperties("AWS::Cognito::UserPoolDomain", new Dictionary<string, object> { ["Domain"] = "isms-status" });
    }

    [Fact]
    public void A_v2_pre_token_generation_trigger_puts_the_verified_email_in_access_tokens()
    {
        // Issue 15: without it a Cognito access token has a UUID username and no e-mail, and no reviewer maps to a person.
        var functions = Resources("AWS::Lambda::Function");
        var trigger = Assert.Single(functions, f => f.Value.GetProperty("Properties").GetProperty("Handler").GetString()!
            .EndsWith("IsmsServerless.Functions.Cognito.PreTokenGenerationFunction::HandleAsync", StringComparison.Ordinal));
        Assert.Equal(5, trigger.Value.GetProperty("Properties").GetProperty("Timeout").GetInt32());
        _template.HasResourceProperties("AWS::Cognito::UserPool", new Dictionary<string, object>
        {
            ["LambdaConfig"] = new Dictionary<string, object>
            {
                ["PreTokenGenerationConfig"] = new Dictionary<string, object>
                {
                    ["LambdaArn"] = new Dictionary<string, object> { ["Fn::GetAtt"] = new[] { trigger.Key, "Arn" } },
                    ["LambdaVersion"] = "V2_0",
                },
            },
            // V2_0 needs the Essentials or Plus plan.
            ["UserPoolTier"] = Match.AnyValue(),
        });
        _template.HasResourceProperties("AWS::Lambda::Permission", new Dictionary<string, object>
        {
            ["Action"] = "lambda:InvokeFunction",
            ["FunctionName"] = new Dictionary<string, object> { ["Fn::GetAtt"] = new[] { trigger.Key, "Arn" } },
            ["Principal"] = "cognito-idp.amazonaws.com",
        });
    }

    [Fact]
    public void App_client_uses_only_the_authorization_code_grant_without_a_secret()
    {
        _template.HasResourceProperties("AWS::Cognito::UserPoolClient", new Dictionary<string, object>
        {
            ["AllowedOAuthFlows"] = new[] { "code" },
            ["AllowedOAuthFlowsUserPoolClient"] = true,
            ["GenerateSecret"] = false,
            ["SupportedIdentityProviders"] = new[] { "COGNITO" },
            ["PreventUserExistenceErrors"] = "ENABLED",
            ["AllowedOAuthScopes"] = new[] { "openid", "email" },
        });
    }

    [Fact]
    public void Http_api_puts_a_jwt_authorizer_on_every_api_route_except_config()
    {
        _template.HasResourceProperties("AWS::ApiGatewayV2::Api", new Dictionary<string, object> { ["ProtocolType"] = "HTTP" });
        _template.HasResourceProperties("AWS::ApiGatewayV2::Authorizer", new Dictionary<string, object>
        {
            ["AuthorizerType"] = "JWT",
            ["IdentitySource"] = new[] { "$request.header.Authorization" },
            ["JwtConfiguration"] = Match.ObjectLike(new Dictionary<string, object> { ["Audience"] = Match.AnyValue(), ["Issuer"] = Match.AnyValue() }),
        });
        _template.HasResourceProperties("AWS::ApiGatewayV2::Integration", new Dictionary<string, object>
        {
            ["IntegrationType"] = "AWS_PROXY",
            ["PayloadFormatVersion"] = "2.0",
        });
        var routes = Resources("AWS::ApiGatewayV2::Route").Values.Select(r => r.GetProperty("Properties")).ToList();
        Assert.NotEmpty(routes);
        foreach (var route in routes)
        {
            var key = route.GetProperty("RouteKey").GetString()!;
            var auth = route.GetProperty("AuthorizationType").GetString();
            var isData = key.Contains(" /api/", StringComparison.Ordinal) && key != "GET /api/config";
            Assert.True(isData ? auth == "JWT" : auth == "NONE", $"{key} has authorization {auth}");
            if (isData) Assert.True(route.TryGetProperty("AuthorizerId", out _), key);
        }
        Assert.Contains(routes, r => r.GetProperty("RouteKey").GetString() == "POST /api/{proxy+}");
        _template.HasResourceProperties("AWS::ApiGatewayV2::Stage", new Dictionary<string, object>
        {
            ["StageName"] = "$default",
            ["AccessLogSettings"] = Match.ObjectLike(new Dictionary<string, object> { ["DestinationArn"] = Match.AnyValue() }),
            ["DefaultRouteSettings"] = Match.ObjectLike(new Dictionary<string, object> { ["ThrottlingRateLimit"] = 20 }),
        });
    }

    [Fact]
    public void Status_function_runs_the_status_handler_with_issuer_client_and_table()
    {
        _template.HasResourceProperties("AWS::Lambda::Function", new Dictionary<string, object>
        {
            ["Handler"] = "IsmsServerless.Functions::IsmsServerless.Functions.StatusPageFunction::HandleAsync",
            ["Environment"] = new Dictionary<string, object>
            {
                ["Variables"] = Match.ObjectLike(new Dictionary<string, object>
                {
                    ["TABLE_NAME"] = Match.AnyValue(),
                    ["STATUS_ISSUER"] = Match.AnyValue(),
                    ["STATUS_CLIENT_ID"] = Match.AnyValue(),
                    ["STATUS_HOSTED_UI"] = Match.AnyValue(),
                    ["STATUS_REVIEWERS_GROUP"] = "reviewers",
                }),
            },
        });
        _template.HasResourceProperties("AWS::Lambda::Permission", new Dictionary<string, object>
        {
            ["Principal"] = "apigateway.amazonaws.com",
            ["Action"] = "lambda:InvokeFunction",
        });
    }

    [Fact]
    public void Status_function_reads_the_ledger_without_scan_and_writes_only_put_update_conditioncheck()
    {
        var functions = Resources("AWS::Lambda::Function");
        var (logicalId, _) = functions.Single(f => f.Value.GetProperty("Properties").GetProperty("Handler").GetString()!.Contains("StatusPageFunction", StringComparison.Ordinal));
        var roleRef = functions[logicalId].GetProperty("Properties").GetProperty("Role").GetProperty("Fn::GetAtt")[0].GetString();
        var actions = new List<string>();
        foreach (var (_, policy) in Resources("AWS::IAM::Policy"))
        {
            var props = policy.GetProperty("Properties");
            if (!props.GetProperty("Roles").EnumerateArray().Any(r => r.GetProperty("Ref").GetString() == roleRef)) continue;
            foreach (var statement in props.GetProperty("PolicyDocument").GetProperty("Statement").EnumerateArray())
            {
                var action = statement.GetProperty("Action");
                if (action.ValueKind == JsonValueKind.String) actions.Add(action.GetString()!);
                else actions.AddRange(action.EnumerateArray().Select(a => a.GetString()!));
            }
        }
        var dynamo = actions.Where(a => a.StartsWith("dynamodb:", StringComparison.Ordinal)).ToHashSet();
        Assert.Contains("dynamodb:Query", dynamo);
        Assert.Contains("dynamodb:GetItem", dynamo);
        Assert.Contains("dynamodb:UpdateItem", dynamo);
        Assert.DoesNotContain("dynamodb:Scan", dynamo);
        Assert.DoesNotContain("dynamodb:DeleteItem", dynamo);
        Assert.DoesNotContain("dynamodb:BatchWriteItem", dynamo);
        Assert.All(actions, a => Assert.DoesNotContain("*", a.Replace("kms:GenerateDataKey*", "", StringComparison.Ordinal).Replace("kms:ReEncrypt*", "", StringComparison.Ordinal)));
    }
}

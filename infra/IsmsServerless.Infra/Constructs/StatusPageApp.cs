using Amazon.CDK;
using Amazon.CDK.AWS.Apigatewayv2;
using Amazon.CDK.AWS.Cognito;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.KMS;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.Logs;
using Constructs;
using IsmsServerless.Functions;

namespace IsmsServerless.Infra.Constructs;

public sealed class StatusPageAppProps
{
    public required IsmsFunctionFactory Functions { get; init; }
    public required FindingsLedger Ledger { get; init; }
    public required IKey EncryptionKey { get; init; }

    /// <summary>Cognito hosted UI domain prefix (globally unique per region).</summary>
    public required string DomainPrefix { get; init; }

    /// <summary>Cognito feature plan: "plus" (threat protection enforced) or "essentials" (off). See <see cref="StackConfiguration.StatusPageFeaturePlan"/>.</summary>
    public string FeaturePlan { get; init; } = "plus";
}

/// <summary>
/// The CTO's status page: an HTTP API (L1 constructs; the HttpApi L2 is alpha in CDK 2.160) in front of one Lambda,
/// a Cognito user pool (admin-created users only, TOTP MFA required, a <c>reviewers</c> group), a public app client
/// with the authorization-code grant (the page uses PKCE) and a hosted UI domain. A JWT authorizer on every
/// <c>/api/</c> route is defence in depth: the function validates the same token again and authorizes actions by group.
/// </summary>
public sealed class StatusPageApp : Construct
{
    public const string ReviewersGroup = "reviewers";

    public Function Function { get; }

    /// <summary>The SnapStart alias API Gateway invokes (the function's published current version).</summary>
    public Amazon.CDK.AWS.Lambda.Alias LiveAlias { get; }
    public UserPool UserPool { get; }
    public UserPoolClient Client { get; }
    public CfnApi Api { get; }

    /// <summary>The page's URL (the API's default endpoint).</summary>
    public string PageUrl { get; }

    public StatusPageApp(Construct scope, string id, StatusPageAppProps props) : base(scope, id)
    {
        var stack = Stack.Of(this);

        UserPool = new UserPool(this, "Users", new UserPoolProps
        {
            SelfSignUpEnabled = false,
            SignInAliases = new SignInAliases { Email = true, Username = false },
            Mfa = Mfa.REQUIRED,
            MfaSecondFactor = new MfaSecondFactor { Otp = true, Sms = false },
            PasswordPolicy = new PasswordPolicy
            {
                MinLength = 14, RequireDigits = true, RequireLowercase = true, RequireUppercase = true, RequireSymbols = true,
                TempPasswordValidity = Duration.Days(3),
            },
            AccountRecovery = AccountRecovery.EMAIL_ONLY,
            // Threat protection needs the Plus plan; on Essentials Cognito answers FeatureUnavailableInTierException.
            AdvancedSecurityMode = props.FeaturePlan == "plus" ? AdvancedSecurityMode.ENFORCED : AdvancedSecurityMode.OFF,
            DeletionProtection = true,
            RemovalPolicy = RemovalPolicy.RETAIN,
        });
        // CDK 2.160 has no featurePlan prop; UserPoolTier is the CloudFormation property (LITE | ESSENTIALS | PLUS).
        ((CfnUserPool)UserPool.Node.DefaultChild!).AddPropertyOverride("UserPoolTier", props.FeaturePlan == "plus" ? "PLUS" : "ESSENTIALS");
        if (props.FeaturePlan != "plus")
            Security.CdkNag.Suppress(UserPool, "AwsSolutions-COG8",
                "The deployer chose statusPageFeaturePlan=essentials (docs/deploy.md): no Cognito threat protection, to avoid the Plus per-user price. "
                + "Sign-in still requires a 14-character password and TOTP MFA, and users are admin-created only.");
        _ = new CfnUserPoolGroup(this, "Reviewers", new CfnUserPoolGroupProps
        {
            UserPoolId = UserPool.UserPoolId,
            GroupName = ReviewersGroup,
            Description = "May review changes, approve baselines, grant or revoke waivers and acknowledge findings",
        });

        Api = new CfnApi(this, "Api", new CfnApiProps
        {
            Name = stack.StackName + "-status",
            ProtocolType = "HTTP",
            Description = "IsmsServerless status page",
            DisableExecuteApiEndpoint = false,
        });
        var pageUrl = PageUrl = $"https://{Api.AttrApiId}.execute-api.{stack.Region}.{stack.UrlSuffix}/";

        var domain = UserPool.AddDomain("HostedUi", new UserPoolDomainOptions
        {
            CognitoDomain = new CognitoDomainOptions { DomainPrefix = props.DomainPrefix },
        });
        Client = UserPool.AddClient("PageClient", new UserPoolClientOptions
        {
            GenerateSecret = false,  // a browser app cannot keep a secret; PKCE protects the code instead
            AuthFlows = new AuthFlow { UserSrp = false, UserPassword = false, AdminUserPassword = false, Custom = false },
            OAuth = new OAuthSettings
            {
                Flows = new OAuthFlows { AuthorizationCodeGrant = true, ImplicitCodeGrant = false, ClientCredentials = false },
                Scopes = [OAuthScope.OPENID, OAuthScope.EMAIL],
                CallbackUrls = [pageUrl],
                LogoutUrls = [pageUrl],
            },
            SupportedIdentityProviders = [UserPoolClientIdentityProvider.COGNITO],
            PreventUserExistenceErrors = true,
            AccessTokenValidity = Duration.Minutes(60),
            IdTokenValidity = Duration.Minutes(60),
            RefreshTokenValidity = Duration.Hours(12),
            EnableTokenRevocation = true,
        });
        var issuer = $"https://cognito-idp.{stack.Region}.{stack.UrlSuffix}/{UserPool.UserPoolId}";

        Function = props.Functions.Create<StatusPageFunction>(this, "Function", nameof(StatusPageFunction.HandleAsync), new FunctionOptions
        {
            Description = "Status page: views, evidence export and reviewer actions on the findings ledger",
            MemorySize = 1024,
            Timeout = Duration.Seconds(29),  // API Gateway's integration timeout
            ReservedConcurrency = 20,
            Environment =
            {
                ["TABLE_NAME"] = props.Ledger.Table.TableName,
                ["STATUS_ISSUER"] = issuer,
                ["STATUS_CLIENT_ID"] = Client.UserPoolClientId,
                ["STATUS_HOSTED_UI"] = domain.BaseUrl(),
                ["STATUS_REVIEWERS_GROUP"] = ReviewersGroup,
            },
        });
        GrantLedgerAccess(props.Ledger);
        // The page is the one user-facing, latency-sensitive function: it starts from a SnapStart snapshot, and API
        // Gateway invokes the published version through the alias (see docs/benchmarks.md, "SnapStart").
        LiveAlias = IsmsFunctionFactory.PublishWithSnapStart(Function);

        var integration = new CfnIntegration(this, "Integration", new CfnIntegrationProps
        {
            ApiId = Api.Ref,
            IntegrationType = "AWS_PROXY",
            IntegrationUri = LiveAlias.FunctionArn,
            PayloadFormatVersion = "2.0",
            TimeoutInMillis = 29_000,
        });
        var authorizer = new CfnAuthorizer(this, "JwtAuthorizer", new CfnAuthorizerProps
        {
            ApiId = Api.Ref,
            Name = "cognito",
            AuthorizerType = "JWT",
            IdentitySource = ["$request.header.Authorization"],
            JwtConfiguration = new CfnAuthorizer.JWTConfigurationProperty { Issuer = issuer, Audience = [Client.UserPoolClientId] },
        });
        var target = "integrations/" + integration.Ref;
        // The page itself and its sign-in configuration are public; everything else under /api needs a token.
        foreach (var (routeId, routeKey) in new[]
        {
            ("RootRoute", "GET /"), ("IndexRoute", "GET /index.html"), ("AssetsRoute", "GET /assets/{file}"),
            ("FaviconRoute", "GET /favicon.svg"), ("ConfigRoute", "GET /api/config"),
        })
        {
            var route = new CfnRoute(this, routeId, new CfnRouteProps { ApiId = Api.Ref, RouteKey = routeKey, Target = target, AuthorizationType = "NONE" });
            Security.CdkNag.Suppress(route, "AwsSolutions-APIG4",
                $"{routeKey} serves the sign-in shell (static page, script, icon, and the public Cognito client id and domain the page needs to start "
                + "the PKCE sign-in); it returns no ledger data. Every /api/ data and action route has the Cognito JWT authorizer, and the function validates the token again.");
        }
        foreach (var (routeId, routeKey) in new[] { ("ApiReadRoute", "GET /api/{proxy+}"), ("ApiActionRoute", "POST /api/{proxy+}") })
        {
            _ = new CfnRoute(this, routeId, new CfnRouteProps
            {
                ApiId = Api.Ref, RouteKey = routeKey, Target = target, AuthorizationType = "JWT", AuthorizerId = authorizer.Ref,
            });
        }

        var accessLogs = new LogGroup(this, "AccessLogs", new LogGroupProps
        {
            Retention = RetentionDays.ONE_YEAR,
            EncryptionKey = props.EncryptionKey,
            RemovalPolicy = RemovalPolicy.RETAIN,
        });
        _ = new CfnStage(this, "Stage", new CfnStageProps
        {
            ApiId = Api.Ref,
            StageName = "$default",
            AutoDeploy = true,
            DefaultRouteSettings = new CfnStage.RouteSettingsProperty { ThrottlingBurstLimit = 50, ThrottlingRateLimit = 20 },
            AccessLogSettings = new CfnStage.AccessLogSettingsProperty
            {
                DestinationArn = accessLogs.LogGroupArn,
                Format = "{\"requestId\":\"$context.requestId\",\"ip\":\"$context.identity.sourceIp\",\"method\":\"$context.httpMethod\",\"route\":\"$context.routeKey\",\"status\":\"$context.status\",\"user\":\"$context.authorizer.claims.username\",\"authError\":\"$context.authorizer.error\",\"latencyMs\":\"$context.integrationLatency\"}",
            },
        });

        LiveAlias.AddPermission("InvokeFromHttpApi", new Permission
        {
            Principal = new ServicePrincipal("apigateway.amazonaws.com"),
            Action = "lambda:InvokeFunction",
            SourceArn = $"arn:{stack.Partition}:execute-api:{stack.Region}:{stack.Account}:{Api.Ref}/*/*",
        });

        _ = new CfnOutput(this, "StatusPageUrl", new CfnOutputProps { Value = pageUrl, Description = "Status page" });
        _ = new CfnOutput(this, "UserPoolId", new CfnOutputProps { Value = UserPool.UserPoolId, Description = "Create status page users here (admin-created only)" });
    }

    /// <summary>
    /// Reads with Get/Query only (no Scan); writes only what the actions need: the finding update, its history line
    /// and counter items in one transaction (TransactWriteItems is authorized per contained Put/Update/ConditionCheck).
    /// </summary>
    private void GrantLedgerAccess(FindingsLedger ledger)
    {
        ledger.GrantRead(Function);
        ledger.Grant(Function, "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem");
        ledger.GrantKey(Function, write: true);
    }
}

using System.Text;
using IsmsServerless.Changes;
using IsmsServerless.Cli.Local;
using IsmsServerless.Engine;
using IsmsServerless.Identity;
using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Rules.Access;
using IsmsServerless.Rules.Change;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Engine.Reference;
using IsmsServerless.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Engine;

/// <summary>
/// Issue 20 (wave 9), per-event CPU of the change path and the rules asked for every CloudTrail record: each piece
/// re-written is compared with what it replaced (main 7895078's code, kept verbatim under <c>Reference/</c>) on every
/// CloudTrail record of the corpus and on generated calls, under several settings.
/// </summary>
public sealed class CpuWave9RewriteTests
{
    private static readonly FakeTimeProvider Clock = new(DateTimeOffset.Parse("2026-01-15T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    private static string Describe(Evaluation e) => CpuWave7RewriteTests.Describe(e);

    /// <summary>Settings that exercise each branch: the defaults, staging, other role lists and prefixes, leavers and authorised people.</summary>
    private static IReadOnlyList<IsmsSettings> SettingsVariants()
    {
        var people = new List<Person>
        {
            new() { Email = "alice@example.com", Name = "alice", Roles = ["engineer"], Principals = new PersonPrincipals { IamUsers = ["alice"], RoleSessionNames = ["alice"] }, LeftAt = new DateOnly(2024, 1, 1) },
            new() { Email = "cto@example.com", Name = "CTO", Roles = ["cto"], Principals = new PersonPrincipals { RoleSessionNames = ["breakglass-cto", "cto"] } },
            new() { Email = "bob@example.com", Name = "bob", Roles = ["engineer"], Principals = new PersonPrincipals { IamUsers = ["bob"], SourceIdentities = ["bob"] } },
        };
        return
        [
            IsmsSettings.Default,
            new IsmsSettings { Environment = "staging" },
            new IsmsSettings { ChangeReviewHours = 1, People = people },
            new IsmsSettings
            {
                ChangeReviewHours = 720,
                EmergencyRoleNames = ["breakglass", "Sandbox_Dev", "someRole"],
                PipelineRoleNames = ["Sandbox_Dev", "Admin"],
                EmergencySessionNamePrefixes = ["Auto", "user", "", "ROLE"],
                People = people,
                ChangeManagement = new ChangeManagementSettings { EmergencyAuthorizedPeople = ["bob"], EmergencyPermissionSets = ["admin", "BreakGlass"] },
            },
            new IsmsSettings { EmergencyRoleNames = [], PipelineRoleNames = [], EmergencySessionNamePrefixes = [], People = people },
        ];
    }

    private static IEnumerable<CloudTrailInput> CloudTrailInputs(byte[] payload) =>
        RuleEngine.CreateDefault().Adapt(payload, new EvaluationContext(IsmsSettings.Default, Clock)).Inputs.OfType<CloudTrailInput>();

    /// <summary>Every CloudTrail record of the corpus (and the external one when present), and generated calls.</summary>
    private static List<CloudTrailInput> Inputs()
    {
        var inputs = new List<CloudTrailInput>();
        var roots = new List<string> { Fixtures.SharedRoot, Path.Combine(RepositoryRoot.Find(), "tests", "IsmsServerless.Tests", "Fixtures") };
        if (Fixtures.ExternalPresent) roots.Add(Fixtures.ExternalRoot);
        foreach (var root in roots)
        {
            foreach (var file in Directory.EnumerateFiles(root, "*.json", SearchOption.AllDirectories))
                inputs.AddRange(CloudTrailInputs(File.ReadAllBytes(file)));
        }
        var random = new Random(2099);
        string Pick(params string[] options) => options[random.Next(options.Length)];
        var long300 = new string('r', 300);
        for (var i = 0; i < 4000; i++)
        {
            var (source, name) = random.Next(8) switch
            {
                0 => ("sts.amazonaws.com", "AssumeRole"),
                1 => ("sts.amazonaws.com", Pick("AssumeRoleWithSAML", "AssumeRoleWithWebIdentity")),
                2 => ("signin.amazonaws.com", "SwitchRole"),
                3 => ("s3.amazonaws.com", Pick("CreateBucket", "PutBucketPolicy", "DeleteBucket")),
                4 => ("ec2.amazonaws.com", Pick("RunInstances", "AuthorizeSecurityGroupIngress", "DescribeInstances")),
                5 => ("iam.amazonaws.com", Pick("CreateUser", "AttachRolePolicy", "GetUser")),
                6 => ("kms.amazonaws.com", Pick("Decrypt", "ScheduleKeyDeletion")),
                _ => (Pick("lambda.amazonaws.com", "x.amazonaws.com.amazonaws.com", "custom"), Pick("UpdateFunctionCode", "CreateThing")),
            };
            var role = Pick("BreakGlass", "breakglass", "EmergencyAccess", "Sandbox_Dev", "someRole", "AWSReservedSSO_BreakGlass_0123456789abcdef",
                "AWSReservedSSO_admin_0123456789abcdef", "AWSReservedSSO_x", "cdk-hnb659fds-cfn-exec-role", "AWSServiceRoleForConfig", "");
            var session = Pick("user", "breakglass-alice", "Break-Glass-bob", "EMERGENCY", "alice", "cto", "AutoScaling", "", "role/with/slash");
            var roleArn = Pick($"arn:aws:iam::111122223333:role/{role}", $"arn:aws:iam::111122223333:role/path/{role}", role, $"arn:aws:iam::111122223333:role/", "", "/");
            var identityType = Pick("AssumedRole", "AssumedRole", "IAMUser", "Root", "AWSService", "FederatedUser", "AWSAccount", "");
            var identityArn = identityType switch
            {
                "AssumedRole" => Pick($"arn:aws:sts::111122223333:assumed-role/{role}/{session}", "arn:aws:sts::111122223333:assumed-role/x", ""),
                "IAMUser" => Pick("arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:user/bob", ""),
                "Root" => "arn:aws:iam::111122223333:root",
                _ => Pick("", "arn:aws:sts::444455556666:federated-user/carol"),
            };
            var issuer = identityType == "AssumedRole" && random.Next(4) > 0
                ? $"\"sessionIssuer\":{{\"type\":\"{Pick("Role", "Role", "User")}\",\"userName\":\"{role}\",\"arn\":\"arn:aws:iam::111122223333:role/{role}\"}},"
                : "";
            var attributes = Pick("\"attributes\":{\"creationDate\":\"2026-01-02T03:00:00Z\",\"mfaAuthenticated\":\"true\"},", "\"attributes\":{\"creationDate\":\"not a date\"},", "");
            var sourceIdentity = Pick("", "", "\"sourceIdentity\":\"breakglass-dave\",", "\"sourceIdentity\":\"bob\",");
            var fromConsole = Pick("", "\"sessionCredentialFromConsole\":\"true\",", "\"sessionCredentialFromConsole\":\"TRUE\",");
            var identity = $"{{\"type\":\"{identityType}\",\"arn\":\"{identityArn}\",\"principalId\":\"AROA{i}:{session}\",\"accountId\":\"{Pick("111122223333", "444455556666")}\","
                + Pick("\"accessKeyId\":\"ASIA0000\",", "\"accessKeyId\":\" \",", "") + Pick("\"userName\":\"alice\",", "") + Pick("\"invokedBy\":\"autoscaling.amazonaws.com\",", "\"invokedBy\":\"signin.amazonaws.com\",", "", "", "")
                + $"\"sessionContext\":{{{issuer}{attributes}{sourceIdentity}\"x\":1}},{fromConsole}\"y\":1}}";
            var parameters = Pick(
                $"{{\"roleArn\":\"{roleArn}\",\"roleSessionName\":\"{session}\"}}",
                $"{{\"roleArn\":\"{roleArn}\",\"roleSessionName\":\"{session}\",\"sourceIdentity\":\"bob\"}}",
                "{\"bucketName\":\"b1\"}",
                "{\"bucketName\":\"b1\",\"Host\":\"b1.s3.amazonaws.com\",\"policyName\":\"arn:aws:iam::1:policy/p\",\"keyId\":\"k\",\"key\":\"o\"}",
                $"{{\"functionName\":\"{long300}\",\"userName\":\"\",\"groupId\":\"sg-1\",\"groupName\":\"sg\",\"roleArn\":\"arn:aws:iam::1:role/r\",\"name\":\"n\",\"Id\":\"upper\",\"x\\u0049d\":\"escaped\"}}",
                "{\"a\":\"1\",\"b\":2}", "{}", "null", "{\"instanceId\":\"i-1\",\"instanceName\":\"i-1\",\"resourceArn\":\"arn:aws:ec2:us-east-1:1:instance/i-1\"}");
            var resources = Pick("", "", "\"resources\":[{\"ARN\":\"arn:aws:s3:::b1\"},{\"ARN\":\"arn:aws:s3:::a0\"},{\"ARN\":\"arn:aws:s3:::b1\"}],", "\"resources\":[{\"ARN\":\" \"}],");
            var response = Pick("null", "{\"assumedRoleUser\":{\"arn\":\"arn:aws:sts::111122223333:assumed-role/BreakGlass/alice\"}}", "{\"assumedRoleUser\":{}}", "{}");
            var extra = Pick("null", "{\"SwitchFrom\":\"arn:aws:iam::111122223333:user/alice\"}", "{\"SwitchFrom\":\"\"}", "{}");
            var payload = $"{{\"eventVersion\":\"1.08\",\"userIdentity\":{identity},\"eventTime\":\"2026-01-02T03:04:{i % 60:00}Z\",\"eventSource\":\"{source}\","
                + $"\"eventName\":\"{name}\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"203.0.113.{i % 250}\",\"userAgent\":\"{Pick("aws-cli/2", "[S3Console/0.4]", "console.ec2.amazonaws.com", "AWS Internal", "")}\","
                + Pick("", "", "\"errorCode\":\"AccessDenied\",", "\"readOnly\":\"True\",", "\"readOnly\":false,", "\"eventCategory\":\"Data\",", "\"managementEvent\":\"false\",")
                + $"\"eventID\":\"{Pick("3a1b2c3d-0000-4000-8000-000000000001", "1", "")}\",\"requestParameters\":{parameters},\"responseElements\":{response},"
                + $"\"additionalEventData\":{extra},{resources}\"recipientAccountId\":\"111122223333\"}}";
            inputs.AddRange(CloudTrailInputs(Encoding.UTF8.GetBytes(payload)));
        }
        return inputs;
    }

    [Fact]
    public void Change_rules_emergency_access_and_leaver_activity_match_the_previous_ones_on_every_record_and_setting()
    {
        var inputs = Inputs();
        var changeRules = new (IRule<CloudTrailInput> Rule, ChangeKind Kind)[]
        {
            (new EmergencyRoleChangeRule(), ChangeKind.Emergency),
            (new ManualConsoleChangeRule(), ChangeKind.ManualConsole),
            (new OutOfPipelineChangeRule(), ChangeKind.OutOfPipeline),
        };
        var pairs = new (IRule<CloudTrailInput> Current, IRule<CloudTrailInput> Reference)[]
        {
            (new UnauthorizedEmergencyAccessRule(), new UnauthorizedEmergencyAccessRule7895078()),
            (new LeaverActivityRule(), new LeaverActivityRule7895078()),
        };
        var changes = new int[changeRules.Length];
        var answered = new int[pairs.Length];
        var kinds = new HashSet<ChangeKind?>();
        foreach (var settings in SettingsVariants())
        {
            var context = new EvaluationContext(settings, Clock);
            foreach (var input in inputs)
            {
                var kind = ChangePath7895078.ClassifyUncached(input, settings);
                kinds.Add(kind);
                Assert.Equal(kind, ChangeClassifier.ClassifyUncached(input, settings));
                Assert.Equal(kind, ChangeClassifier.Classify(input, settings));
                Assert.Equal(ChangePath7895078.IsEmergency(input, settings), ChangeClassifier.IsEmergency(input, settings));
                if (ChangeClassifier.ToCall(input, settings) is { } call)
                {
                    Assert.Equal(ChangePath7895078.ApiName(call), call.ApiName);
                    Assert.Equal(ChangePath7895078.ResourcesOf(input), call.Resources);
                }
                for (var i = 0; i < changeRules.Length; i++)
                {
                    var expected = ChangePath7895078.Evaluate(changeRules[i].Rule.Metadata, changeRules[i].Kind, input, context).Select(Describe).ToList();
                    Assert.Equal(expected, changeRules[i].Rule.Evaluate(input, context).Select(Describe).ToList());
                    changes[i] += expected.Count;
                }
                for (var i = 0; i < pairs.Length; i++)
                {
                    var expected = pairs[i].Reference.Evaluate(input, context).Select(Describe).ToList();
                    Assert.Equal(expected, pairs[i].Current.Evaluate(input, context).Select(Describe).ToList());
                    answered[i] += expected.Count;
                }
            }
        }
        Assert.Equal(4, kinds.Count);
        Assert.All(changes, count => Assert.True(count > 200, $"only {count} change evaluations compared"));
        Assert.All(answered, count => Assert.True(count > 50, $"only {count} evaluations compared"));
    }

    [Fact]
    public void The_review_window_text_follows_the_setting_asked()
    {
        foreach (var hours in new[] { 24, 1, 24, 720, 720, 5 })
            Assert.Equal($"); review due within {hours}h of the session's first call", ChangeRuleSupport.DueText(hours));
    }
}

using Amazon.DynamoDBv2;
using IsmsServerless.Changes;
using IsmsServerless.Engine;
using IsmsServerless.Ledger;
using IsmsServerless.Model;
using IsmsServerless.Settings;

namespace IsmsServerless.Tests.StatusPage;

/// <summary>
/// Findings and one pending emergency change written through the real ledger and change register (DynamoDB Local),
/// using the registry's real rule metadata. One resource name and some evidence are hostile on purpose.
/// Shared with the browser tests (linked source).
/// </summary>
public static class StatusSeed
{
    public const string HostileResource = "<img src=x onerror=alert(1)><script>alert('xss')</script>";
    public const string FormulaTag = "=HYPERLINK(\"http://evil.example\",\"click\")";
    public const string ChangeAuthor = "alice";

    public static async Task<(IReadOnlyList<string> FindingIds, string ChangeId)> SeedAsync(IAmazonDynamoDB dynamo, string table, IsmsSettings settings, TimeProvider clock)
    {
        var registry = RuleRegistry.CreateDefault();
        RuleMetadata Rule(string id) => registry.Find(id)?.Metadata ?? throw new InvalidOperationException($"rule {id} is not registered");
        var now = clock.GetUtcNow();
        var context = new EvaluationContext(settings, clock);
        var evaluations = new List<Evaluation>
        {
            new()
            {
                Rule = Rule("monitoring.console-login-without-mfa"), Outcome = Outcome.Finding, ResourceId = HostileResource, ResourceType = "AWS::IAM::User",
                AccountId = "111122223333", Region = "eu-west-1", Message = "Console sign-in by " + HostileResource, SeverityOverride = Severity.Critical,
                ClockStart = now.AddDays(-6), ObservedAt = now.AddDays(-6),
                Evidence = new Dictionary<string, string> { ["userAgent"] = "<script>document.title='pwned'</script>", ["tag:Owner"] = FormulaTag },
            },
            new()
            {
                Rule = Rule("drift.security-group-baseline"), Outcome = Outcome.Finding, ResourceId = "sg-0123456789abcdef0", ResourceType = "AWS::EC2::SecurityGroup",
                AccountId = "111122223333", Region = "eu-west-1", Message = "Ingress 0.0.0.0/0 on port 22 is not in the baseline", SeverityOverride = Severity.High,
                ClockStart = now.AddDays(-20), ObservedAt = now.AddDays(-20),
                Diff = [new FieldDiff("ipPermissions[0].ipRanges[0]", null, "0.0.0.0/0"), new FieldDiff("description", "web tier", "<b>changed</b>")],
                // As SecurityGroupBaselineRule records it for SSH open to the world.
                Evidence = new Dictionary<string, string> { ["unmetRequirements"] = "sg.no-world-admin-ports" },
            },
            new()
            {
                Rule = Rule("drift.s3-bucket-baseline"), Outcome = Outcome.Finding, ResourceId = "arn:aws:s3:::evidence-bucket", ResourceType = "AWS::S3::Bucket",
                AccountId = "111122223333", Region = "eu-west-1", Message = "Default encryption removed", SeverityOverride = Severity.Medium,
                ClockStart = now.AddDays(-2), ObservedAt = now.AddDays(-2),
            },
            new()
            {
                Rule = Rule("monitoring.console-sign-in-failure-burst"), Outcome = Outcome.Finding, ResourceId = "arn:aws:iam::111122223333:user/bob", ResourceType = "AWS::IAM::User",
                AccountId = "111122223333", Region = "us-east-1", Message = "Five failed sign-ins in 10 minutes", SeverityOverride = Severity.Low,
                ClockStart = now.AddHours(-3), ObservedAt = now.AddHours(-3),
            },
        };
        var ledger = new DynamoDbFindingLedger(dynamo, table, settings);
        await ledger.RecordAsync(evaluations, context).ConfigureAwait(false);
        await ledger.WriteTrendSnapshotAsync(now).ConfigureAwait(false);

        var register = new DynamoChangeRegister(dynamo, table, settings);
        var sessionKey = $"session|arn:aws:sts::111122223333:assumed-role/BreakGlass/{ChangeAuthor}|{now.AddHours(-5):O}";
        var call = new ChangeCall
        {
            ChangeId = ChangeCall.ChangeIdOf("111122223333", sessionKey),
            Kind = ChangeKind.Emergency,
            EventId = Guid.NewGuid().ToString(),
            EventName = "AuthorizeSecurityGroupIngress",
            EventSource = "ec2.amazonaws.com",
            EventTime = now.AddHours(-5),
            AccountId = "111122223333",
            Region = "eu-west-1",
            Actor = $"arn:aws:sts::111122223333:assumed-role/BreakGlass/{ChangeAuthor}",
            Principal = ChangeAuthor,
            RoleName = "BreakGlass",
            SessionKey = sessionKey,
            Resources = ["arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0123456789abcdef0"],
        };
        await register.RecordAsync(call).ConfigureAwait(false);
        return (evaluations.Select(e => e.FindingId).ToList(), call.ChangeId);
    }
}

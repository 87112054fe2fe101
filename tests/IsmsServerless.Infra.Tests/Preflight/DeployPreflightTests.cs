using System.Diagnostics;
using System.Text.Json.Nodes;

namespace IsmsServerless.Infra.Tests.Preflight;

/// <summary>
/// The deploy preflight over every template a deploy would send (see <see cref="PreflightTemplates"/>): reference
/// cycles, properties against the CloudFormation resource schemas (npm @aws-cdk/aws-service-spec), cdk-nag
/// AwsSolutions (npm cdk-nag through CfnInclude) and service rules no schema expresses. The checks live in
/// scripts/preflight/preflight.js so that `npx cdk synth && node scripts/preflight/preflight.js cdk.out/*.template.json`
/// runs the same thing outside the tests.
/// </summary>
public sealed class DeployPreflightTests(PreflightTemplates templates) : IClassFixture<PreflightTemplates>
{
    [Fact]
    public void Every_template_passes_the_preflight()
    {
        Assert.Contains("organization/IsmsServerless-Forwarder", templates.Files.Keys);
        var (exit, output) = Preflight.Run(templates.Files.Values);
        Assert.True(exit == 0, "Deploy preflight failed:\n" + output);
        Assert.Contains("0 unsuppressed cdk-nag errors", output, StringComparison.Ordinal);
    }

    [Fact]
    public void An_injected_reference_cycle_fails_the_preflight_naming_the_resources()
    {
        var template = JsonNode.Parse(File.ReadAllText(templates.Files["default/IsmsServerless"]))!.AsObject();
        var resources = template["Resources"]!.AsObject();
        var (keyId, _) = resources.First(r => r.Value!["Type"]!.GetValue<string>() == "AWS::KMS::Key");
        var (topicId, _) = resources.First(r => r.Value!["Type"]!.GetValue<string>() == "AWS::SNS::Topic");
        // The shape of the original blocker: the key's policy names the topic that is encrypted with the key.
        resources[keyId]!["Properties"]!["KeyPolicy"]!["Statement"]!.AsArray().Add(new JsonObject
        {
            ["Effect"] = "Allow",
            ["Principal"] = new JsonObject { ["Service"] = "sns.amazonaws.com" },
            ["Action"] = "kms:Decrypt",
            ["Resource"] = "*",
            ["Condition"] = new JsonObject { ["ArnEquals"] = new JsonObject { ["aws:SourceArn"] = new JsonObject { ["Ref"] = topicId } } },
        });
        var path = Path.Combine(templates.Folder, "..", "injected-cycle.template.json");
        File.WriteAllText(path, template.ToJsonString());

        var (exit, output) = Preflight.Run([path], "--only", "cycles");

        Assert.NotEqual(0, exit);
        Assert.Contains("injected-cycle.template.json", output, StringComparison.Ordinal);
        Assert.Contains("reference cycle", output, StringComparison.Ordinal);
        Assert.Contains(keyId, output, StringComparison.Ordinal);
        Assert.Contains(topicId, output, StringComparison.Ordinal);
    }

    [Fact]
    public void Threat_protection_without_the_Plus_plan_fails_the_service_rules()
    {
        // The second original blocker: AdvancedSecurityMode ENFORCED on the default (Essentials) plan.
        var template = Load("default/IsmsServerless");
        var (poolId, pool) = Single(template, "AWS::Cognito::UserPool");
        pool["Properties"]!.AsObject().Remove("UserPoolTier");
        Assert.Equal("ENFORCED", pool["Properties"]!["UserPoolAddOns"]!["AdvancedSecurityMode"]!.GetValue<string>());

        var (exit, output) = Preflight.Run([Save(template, "essentials-enforced")], "--only", "service");

        Assert.NotEqual(0, exit);
        Assert.Contains($"{poolId}: [service] AdvancedSecurityMode ENFORCED (threat protection) on the ESSENTIALS feature plan", output, StringComparison.Ordinal);
        Assert.Contains("Fix: set UserPoolTier: PLUS", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_read_only_attribute_or_a_wrong_type_fails_the_schema_check()
    {
        var template = Load("default/IsmsServerless");
        var (keyId, key) = Single(template, "AWS::KMS::Key");
        key["Properties"]!["Arn"] = "arn:aws:kms:eu-west-1:111122223333:key/x";
        key["Properties"]!["EnableKeyRotation"] = "yes";

        var (exit, output) = Preflight.Run([Save(template, "schema-errors")], "--only", "schema");

        Assert.NotEqual(0, exit);
        Assert.Contains($"{keyId}: [schema] Properties.Arn is a read-only attribute of AWS::KMS::Key", output, StringComparison.Ordinal);
        Assert.Contains($"{keyId}: [schema] Properties.EnableKeyRotation expects a boolean", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Cdk_nag_reads_the_suppressions_from_the_template_metadata()
    {
        // Without the stack's cdk_nag metadata, cdk-nag reports the findings those suppressions cover.
        var template = Load("default/IsmsServerless");
        var stripped = 0;
        foreach (var (_, resource) in template["Resources"]!.AsObject())
            if (resource!["Metadata"] is JsonObject metadata && metadata.Remove("cdk_nag")) stripped++;
        Assert.True(stripped > 5, $"expected the stack to carry cdk_nag suppressions, found {stripped}");

        var (exit, output) = Preflight.Run([Save(template, "no-suppressions")], "--only", "nag");

        Assert.NotEqual(0, exit);
        Assert.Contains("AwsSolutions-IAM5[Resource::*]", output, StringComparison.Ordinal);
        Assert.Contains("AwsSolutions-SQS3", output, StringComparison.Ordinal);
        Assert.Contains("AwsSolutions-APIG4", output, StringComparison.Ordinal);
        // The one AWS managed policy is ReadOnlyAccess on the stack drift rule's Config role, which AWS documents for
        // CLOUDFORMATION_STACK_DRIFT_DETECTION_CHECK (ChangeSignals, issue 19): nothing else may need IAM4.
        Assert.DoesNotContain("AwsSolutions-IAM4", string.Join('\n', output.Split('\n').Where(l => !l.Contains("ChangeSignalsStackDriftDetectionRole", StringComparison.Ordinal))), StringComparison.Ordinal);
    }

    private JsonObject Load(string key) => JsonNode.Parse(File.ReadAllText(templates.Files[key]))!.AsObject();

    private static (string Id, JsonObject Resource) Single(JsonObject template, string type)
    {
        var (id, resource) = template["Resources"]!.AsObject().First(r => r.Value!["Type"]!.GetValue<string>() == type);
        return (id, resource!.AsObject());
    }

    private string Save(JsonObject template, string name)
    {
        var path = Path.GetFullPath(Path.Combine(templates.Folder, "..", name + ".template.json"));
        File.WriteAllText(path, template.ToJsonString());
        return path;
    }

    [Theory]
    [InlineData("Fn::GetAtt")]
    [InlineData("Fn::Sub")]
    [InlineData("DependsOn")]
    public void Cycles_through_every_reference_kind_are_found(string kind)
    {
        object Refer(string target) => kind switch
        {
            "Fn::GetAtt" => new JsonObject { ["Fn::GetAtt"] = new JsonArray(target, "Arn") },
            "Fn::Sub" => new JsonObject { ["Fn::Sub"] = "arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:${" + target + ".QueueName}" },
            _ => target,
        };
        JsonObject Queue(string other) => kind == "DependsOn"
            ? new JsonObject { ["Type"] = "AWS::SQS::Queue", ["DependsOn"] = other }
            : new JsonObject { ["Type"] = "AWS::SQS::Queue", ["Properties"] = new JsonObject { ["RedrivePolicy"] = new JsonObject { ["deadLetterTargetArn"] = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(Refer(other))) } } };
        var template = new JsonObject { ["Resources"] = new JsonObject { ["First"] = Queue("Second"), ["Second"] = Queue("First") } };
        var path = Path.Combine(templates.Folder, "..", $"cycle-{kind.Replace("::", "-", StringComparison.Ordinal)}.template.json");
        File.WriteAllText(path, template.ToJsonString());

        var (exit, output) = Preflight.Run([path], "--only", "cycles");

        Assert.NotEqual(0, exit);
        Assert.Contains("First", output, StringComparison.Ordinal);
        Assert.Contains(kind == "DependsOn" ? "DependsOn" : kind, output, StringComparison.Ordinal);
    }
}

/// <summary>Runs scripts/preflight/preflight.js with the pinned Node packages (scripts/setup.sh installs them).</summary>
internal static class Preflight
{
    public static (int Exit, string Output) Run(IEnumerable<string> files, params string[] options)
    {
        var start = new ProcessStartInfo("node") { WorkingDirectory = PreflightTemplates.RepositoryRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine("scripts", "preflight", "preflight.js"));
        foreach (var option in options) start.ArgumentList.Add(option);
        foreach (var file in files) start.ArgumentList.Add(file);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }
}

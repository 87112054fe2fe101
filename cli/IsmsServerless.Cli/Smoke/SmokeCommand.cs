using System.CommandLine;

namespace IsmsServerless.Cli.Smoke;

/// <summary><c>./isms smoke --stack NAME</c>: the post-deploy smoke check against the deployed stack.</summary>
internal static class SmokeCommand
{
    public static Command Create()
    {
        var stack = new Option<string>("--stack") { Description = "CloudFormation stack name (cdk.json stackName, default IsmsServerless).", DefaultValueFactory = _ => "IsmsServerless" };
        var command = new Command("smoke", "After a deploy: invoke ingest with a real event, read the finding back, check the sweep, queues and status page, remove the test finding.") { stack };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var target = new AwsCliSmokeTarget();
            var name = parse.GetValue(stack)!;
            var steps = await new SmokeCheck(target, TimeProvider.System).RunAsync(name, cancellationToken).ConfigureAwait(false);
            await Console.Out.WriteLineAsync(SmokeCheck.Report(name, steps)).ConfigureAwait(false);
            return steps.All(s => s.Passed) ? 0 : 1;
        });
        return command;
    }
}

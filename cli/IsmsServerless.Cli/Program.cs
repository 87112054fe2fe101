using System.CommandLine;
using IsmsServerless.Cli;

var root = new RootCommand("IsmsServerless: ISMS operations-security policy enforcement on AWS, run locally.")
{
    EvaluateCommand.Create(),
    ServeCommand.Create(),
    ControlsCommand.Create(),
    ChangesCommand.Create(),
    ReviewCommand.Create(),
    ReplayCommand.Create(),
    SweepCommand.Create(),
    FindingsCommand.Create(),
    BaselineCommand.Create(),
};
return await root.Parse(args).InvokeAsync();

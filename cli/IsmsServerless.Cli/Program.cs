using System.CommandLine;
using IsmsServerless.Cli;

var root = new RootCommand("IsmsServerless: ISMS operations-security policy enforcement on AWS, run locally.")
{
    EvaluateCommand.Create(),
    DemoCommand.Create(),
    ServeCommand.Create(),
    ReplayCommand.Create(),
    SweepCommand.Create(),
    FindingsCommand.Create(),
    ControlsCommand.Create(),
    PolicyCommand.Create(),
    ExportCommand.Create(),
    BaselineCommand.Create(),
    ChangesCommand.Create(),
    ReviewCommand.Create(),
    ReconcileCommand.Create(),
    CountersCommand.Create(),
    FindingActionCommands.Ack(),
    FindingActionCommands.Waive(),
    DutiesCommand.Create(),
    AttestCommand.Create(),
    IncidentCommand.Create(),
    AccessCommands.Inventory(),
    AccessCommands.Review(),
    AccessCommands.People(),
    IncidentCommand.CreateList(),
    IsmsServerless.Cli.Smoke.SmokeCommand.Create(),
};
return await root.Parse(args).InvokeAsync();

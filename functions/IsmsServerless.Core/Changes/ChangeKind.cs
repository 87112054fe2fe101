namespace IsmsServerless.Changes;

/// <summary>Why a call needs a human review. One call has exactly one kind; precedence is declaration order.</summary>
public enum ChangeKind
{
    /// <summary>Made through a break-glass / emergency role or session (CTO-authorized emergency change).</summary>
    Emergency,
    /// <summary>Made from a console session on production: a manual change that must be folded back into code.</summary>
    ManualConsole,
    /// <summary>Made on production by a principal other than the deployment pipeline's role (CLI, SDK, script).</summary>
    OutOfPipeline,
}

public static class ChangeKindNames
{
    public static string ToWire(this ChangeKind kind) => kind switch
    {
        ChangeKind.Emergency => "emergency",
        ChangeKind.ManualConsole => "manual-console",
        _ => "out-of-pipeline",
    };

    public static bool TryParse(string? text, out ChangeKind kind)
    {
        switch (text)
        {
            case "emergency": kind = ChangeKind.Emergency; return true;
            case "manual-console": kind = ChangeKind.ManualConsole; return true;
            case "out-of-pipeline": kind = ChangeKind.OutOfPipeline; return true;
            default: kind = ChangeKind.OutOfPipeline; return false;
        }
    }

    /// <summary>The detection rule that registers changes of this kind.</summary>
    public static string RuleId(this ChangeKind kind) => kind switch
    {
        ChangeKind.Emergency => "change.emergency-role-change",
        ChangeKind.ManualConsole => "change.manual-console-change",
        _ => "change.out-of-pipeline-change",
    };
}

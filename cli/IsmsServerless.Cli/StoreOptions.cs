using System.CommandLine;

namespace IsmsServerless.Cli;

/// <summary>Options every store-backed command takes (replay, sweep, findings, and later serve).</summary>
internal static class StoreOptions
{
    public static Option<string?> Table() => new("--table")
    {
        Description = "Ledger table name (default: $ISMS_TABLE_NAME, else isms-ledger). Created when missing.",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ISMS_TABLE_NAME"),
    };
}

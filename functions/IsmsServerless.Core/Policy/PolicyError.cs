namespace IsmsServerless.Policy;

/// <summary>One problem in the policy file: the YAML line (1-based; 0 when unknown), the JSON Pointer path and what is wrong.</summary>
public sealed record PolicyError(int Line, string Path, string Message)
{
    public override string ToString() => $"line {Line}: {(Path.Length == 0 ? "/" : Path)}: {Message}";
}

/// <summary>The policy file could not be read or is invalid; <see cref="Errors"/> lists every problem.</summary>
public sealed class PolicyException(IReadOnlyList<PolicyError> errors)
    : Exception("Invalid policy file:\n  - " + string.Join("\n  - ", errors))
{
    public IReadOnlyList<PolicyError> Errors { get; } = errors;
}

namespace IsmsServerless.Model;

/// <summary>One drifted field: where it is, what the baseline says, what the resource has.</summary>
public sealed record FieldDiff(string Path, string? Expected, string? Actual);

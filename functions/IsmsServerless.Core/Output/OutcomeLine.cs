using System.Text.Json.Serialization;
using IsmsServerless.Engine;
using IsmsServerless.Model;

namespace IsmsServerless.Output;

/// <summary>
/// One line of <c>./isms evaluate</c>'s JSON Lines output: the contract other tools and the acceptance checks read.
/// Field names are fixed; add fields, never rename them.
/// </summary>
public sealed record OutcomeLine
{
    public required string File { get; init; }
    public required string Outcome { get; init; }
    public string? RuleId { get; init; }
    public string? Category { get; init; }
    public string? Severity { get; init; }
    public string? ResourceId { get; init; }
    public string? ResourceType { get; init; }
    public string? AccountId { get; init; }
    public string? Region { get; init; }
    public IReadOnlyList<string>? Controls { get; init; }
    public string? FindingId { get; init; }
    public string? SubKey { get; init; }
    public string? DueAt { get; init; }

    /// <summary>
    /// Every clock the finding starts, by name (an incident's <c>acknowledge</c>, <c>document</c> and <c>review</c>), as
    /// UTC instants; absent when the finding has only its SLA (<see cref="DueAt"/>).
    /// </summary>
    public IReadOnlyDictionary<string, string>? Deadlines { get; init; }

    public string? State { get; init; }
    public string? Message { get; init; }
    public IReadOnlyList<FieldDiff>? Diff { get; init; }
    public string? Error { get; init; }

    /// <summary>
    /// On a <c>change</c> line for a file whose calls joined a change session started in another file: that change's id
    /// (the session's own line, on its first file, has none).
    /// </summary>
    public string? JoinedChange { get; init; }

    /// <summary>Lines for one file's engine result, with SLA state computed at <paramref name="context"/>'s now.</summary>
    public static IEnumerable<OutcomeLine> From(string file, EngineResult result, EvaluationContext context)
    {
        if (result.Error is not null)
        {
            yield return new OutcomeLine { File = file, Outcome = "rejected", Error = result.Error, Message = "event rejected: " + result.Error };
            yield break;
        }
        if (result.Evaluations.Count == 0)
        {
            yield return new OutcomeLine { File = file, Outcome = "ignored", Message = result.IgnoredReason ?? "no rule applies" };
            yield break;
        }
        foreach (var evaluation in result.Evaluations) yield return From(file, evaluation, context);
    }

    public static OutcomeLine From(string file, Evaluation evaluation, EvaluationContext context)
    {
        string? dueAt = null, state = null;
        if (evaluation.Outcome is Model.Outcome.Finding or Model.Outcome.Change)
        {
            // Without a store, first detection is "now": the deadline runs from the event's own start time.
            var deadline = context.Sla.DeadlineFor(evaluation, context.Now);
            if (deadline is not null)
            {
                dueAt = Timestamps.ToWire(deadline.DueAt);
                state = deadline.StateAt(context.Now).ToWire();
            }
        }
        return new OutcomeLine
        {
            File = file,
            Outcome = evaluation.Outcome.ToWire(),
            RuleId = evaluation.Rule.Id,
            Category = evaluation.Rule.Category.ToWire(),
            Severity = evaluation.Severity.ToWire(),
            ResourceId = evaluation.ResourceId,
            ResourceType = evaluation.ResourceType,
            AccountId = evaluation.AccountId,
            Region = evaluation.Region,
            Controls = evaluation.Rule.Controls,
            FindingId = evaluation.Outcome == Model.Outcome.Rejected ? null : evaluation.FindingId,
            SubKey = string.IsNullOrEmpty(evaluation.SubKey) ? null : evaluation.SubKey,
            DueAt = dueAt,
            Deadlines = evaluation.Deadlines.Count > 0 && evaluation.Outcome is Model.Outcome.Finding
                ? evaluation.Deadlines.ToDictionary(d => d.Name, d => Timestamps.ToWire(d.DueAt), StringComparer.Ordinal)
                : null,
            State = state,
            Message = evaluation.Message,
            Diff = evaluation.Diff.Count > 0 ? evaluation.Diff : null,
            Error = evaluation.Outcome == Model.Outcome.Rejected ? evaluation.Message : null,
        };
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(OutcomeLine))]
public sealed partial class OutputJsonContext : JsonSerializerContext;

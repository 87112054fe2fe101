using IsmsServerless.Changes;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Output;

namespace IsmsServerless.Cli;

/// <summary>
/// <c>./isms evaluate</c>'s in-memory change register. The change rules emit one <c>change</c> evaluation per call;
/// the policy reviews sessions, not calls, so evaluate holds those back and prints one <c>change</c> line per session
/// (the same grouping the DynamoDB register does), with <c>dueAt</c> = first call + review window and the state at
/// <c>--at</c>, followed by a <c>change.review-overdue</c> finding when the review is overdue at <c>--at</c>. Without a
/// store nothing is ever reviewed. The line's <c>file</c> is the file of the session's first call; every other file
/// whose calls joined the session gets its own <c>change</c> line naming the change it joined (same <c>resourceId</c>,
/// the change id, and <c>findingId</c>), so every input file has at least one line.
/// </summary>
internal sealed class ChangeRegisterPass(EvaluationContext context, RuleRegistry registry)
{
    private readonly Dictionary<string, ChangeRecord> _records = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _firstFile = new(StringComparer.Ordinal);
    private readonly HashSet<string> _seenCalls = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _files = new(StringComparer.Ordinal);

    /// <summary>Takes a file's result; returns it without its per-call change evaluations, or null if nothing else remains.</summary>
    public EngineResult? Absorb(string file, EngineResult result)
    {
        var changeEvaluations = result.Evaluations.Count(e => e.Outcome == Outcome.Change);
        if (changeEvaluations == 0) return result;
        foreach (var input in result.Inputs.OfType<CloudTrailInput>())
        {
            if (ChangeClassifier.ToCall(input, context.Settings) is not { } call) continue;
            if (!_files.TryGetValue(call.ChangeId, out var files)) _files[call.ChangeId] = files = [];
            if (!files.Contains(file, StringComparer.Ordinal)) files.Add(file);
            if (!_seenCalls.Add(call.ChangeId + "\u001f" + call.EventId)) continue; // the same event in two files
            if (_records.TryGetValue(call.ChangeId, out var record))
            {
                _records[call.ChangeId] = ChangeRecordMerger.Merge(record, call);
                if (call.EventTime < record.FirstCallAt) _firstFile[call.ChangeId] = file;
            }
            else
            {
                _records[call.ChangeId] = ChangeRecordMerger.Start(call);
                _firstFile[call.ChangeId] = file;
            }
        }
        var rest = result.Evaluations.Where(e => e.Outcome != Outcome.Change).ToList();
        return rest.Count == 0 ? null : result with { Evaluations = rest };
    }

    /// <summary>One change line per session, earliest first, each followed by its overdue finding if any.</summary>
    public IEnumerable<OutcomeLine> Lines()
    {
        var deadline = new ChangeDeadline(context.Settings);
        foreach (var record in _records.Values.OrderBy(r => r.FirstCallAt).ThenBy(r => r.ChangeId, StringComparer.Ordinal))
        {
            var file = _firstFile[record.ChangeId];
            var rule = registry.Find(record.Kind.RuleId());
            var dueAt = deadline.DueAt(record);
            var state = deadline.StateAt(record, context.Now);
            var line = new OutcomeLine
            {
                File = file,
                Outcome = Outcome.Change.ToWire(),
                RuleId = record.Kind.RuleId(),
                Category = Category.Change.ToWire(),
                Severity = rule?.Metadata.Severity.ToWire(),
                ResourceId = record.ChangeId,
                ResourceType = rule?.Metadata.ResourceType,
                AccountId = record.AccountId,
                Region = record.Region,
                Controls = rule?.Metadata.Controls,
                FindingId = FindingIdentity.Compute(record.Kind.RuleId(), record.AccountId, record.Region, record.ChangeId, ""),
                DueAt = Timestamps.ToWire(dueAt),
                State = state.ToWire(),
                Message = $"{record.Kind.ToWire()} change by {record.Principal}" + (record.RoleName is { } role ? $" (role {role})" : "")
                    + $": {record.CallCount} call(s) {string.Join(", ", record.ApiNames.Take(5))}{(record.ApiNames.Count > 5 ? ", …" : "")}"
                    + $" from {Timestamps.ToWire(record.FirstCallAt)} to {Timestamps.ToWire(record.LastCallAt)}; review due {Timestamps.ToWire(dueAt)} (unreviewed)",
            };
            yield return line;
            foreach (var evaluation in ChangeRecordInput.From(record).Dispatch(registry, context))
                yield return OutcomeLine.From(file, evaluation, context);
            foreach (var joined in _files.GetValueOrDefault(record.ChangeId) ?? [])
            {
                if (string.Equals(joined, file, StringComparison.Ordinal)) continue;
                yield return line with
                {
                    File = joined,
                    JoinedChange = record.ChangeId,
                    Message = $"the call(s) in this file joined change {record.ChangeId} ({record.Kind.ToWire()} change by {record.Principal}, first call in {file})",
                };
            }
        }
    }
}

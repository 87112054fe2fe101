using System.Text.Json;
using IsmsServerless.Model;

namespace IsmsServerless.Drift;

/// <summary>
/// Field-level comparison of two configurations: objects by property, scalars by value, and arrays as sets of
/// canonical elements (Config reorders security group rules and tag lists between captures; order is not drift).
/// Paths read like <c>configuration.publiclyAccessible</c>; a removed array element shows as expected=element, actual=null.
/// </summary>
public static class ConfigurationDiff
{
    /// <summary>At most this many differences are reported; a rewrite of the whole resource does not need more to be seen.</summary>
    public const int MaxDiffs = 50;

    /// <summary>Diffs the properties under <paramref name="tracked"/> (top-level names, case-insensitive); null means all of them.</summary>
    public static IReadOnlyList<FieldDiff> Compare(string root, JsonElement expected, JsonElement actual, IReadOnlyCollection<string>? tracked)
    {
        var diffs = new List<FieldDiff>();
        if (tracked is null)
        {
            Walk(root, expected, actual, diffs);
            return diffs;
        }
        foreach (var name in tracked)
        {
            Walk($"{root}.{name}", Json.Get(expected, name), Json.Get(actual, name), diffs);
            if (diffs.Count >= MaxDiffs) break;
        }
        return diffs;
    }

    private static void Walk(string path, JsonElement expected, JsonElement actual, List<FieldDiff> diffs)
    {
        if (diffs.Count >= MaxDiffs) return;
        var expectedKind = Normalize(expected.ValueKind);
        var actualKind = Normalize(actual.ValueKind);
        if (expectedKind == JsonValueKind.Object && actualKind == JsonValueKind.Object)
        {
            var names = expected.EnumerateObject().Select(p => p.Name)
                .Union(actual.EnumerateObject().Select(p => p.Name), StringComparer.Ordinal)
                .Order(StringComparer.Ordinal);
            foreach (var name in names)
            {
                expected.TryGetProperty(name, out var e);
                actual.TryGetProperty(name, out var a);
                Walk($"{path}.{name}", e, a, diffs);
            }
            return;
        }
        if (expectedKind == JsonValueKind.Array && actualKind == JsonValueKind.Array)
        {
            var before = expected.EnumerateArray().Select(Json.Canonical).ToList();
            var after = actual.EnumerateArray().Select(Json.Canonical).ToList();
            foreach (var removed in Except(before, after))
            {
                if (diffs.Count >= MaxDiffs) return;
                diffs.Add(new FieldDiff($"{path}[]", removed, null));
            }
            foreach (var added in Except(after, before))
            {
                if (diffs.Count >= MaxDiffs) return;
                diffs.Add(new FieldDiff($"{path}[]", null, added));
            }
            return;
        }
        var from = Render(expected);
        var to = Render(actual);
        if (!string.Equals(from, to, StringComparison.Ordinal)) diffs.Add(new FieldDiff(path, from, to));
    }

    /// <summary>Multiset difference: elements of <paramref name="left"/> not matched one-for-one in <paramref name="right"/>.</summary>
    private static List<string> Except(List<string> left, List<string> right)
    {
        var remaining = right.GroupBy(s => s, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var result = new List<string>();
        foreach (var item in left)
        {
            if (remaining.TryGetValue(item, out var count) && count > 0) remaining[item] = count - 1;
            else result.Add(item);
        }
        return result;
    }

    // Absent and null mean the same to a reviewer: "not set".
    private static JsonValueKind Normalize(JsonValueKind kind) => kind == JsonValueKind.Undefined ? JsonValueKind.Null : kind;

    private static string? Render(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Undefined or JsonValueKind.Null => null,
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Object or JsonValueKind.Array => Json.Canonical(element),
        _ => element.GetRawText(),
    };
}

using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IsmsServerless.Changes;
using IsmsServerless.Engine;
using IsmsServerless.Events;
using IsmsServerless.Inputs;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Robustness;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Changes;

/// <summary>
/// Issue 20 (per-event CPU) re-implemented pieces of the change path with fewer allocations: the SHA-256 change id (no
/// intermediate string and byte array), the resource list (a sorted list, not a SortedSet), the principal read from an ARN
/// (no Split), and the per-input memo of the classification and its call. Each is compared here with the code it replaced
/// (kept verbatim in <see cref="Reference"/>) on the whole corpus, mutations of it and generated hostile text.
/// </summary>
public sealed class ChangePathReimplementationTests
{
    private static readonly RuleEngine Engine = RuleEngine.CreateDefault();
    private static readonly EvaluationContext Context = TestContexts.At("2026-01-15T12:00:00Z");

    private static readonly IsmsSettings[] SettingsVariants =
    [
        IsmsSettings.Default,
        new() { Environment = "staging" },
        new() { PipelineRoleNames = ["Ops", "OrganizationAccountAccessRole", "Admin"] },
        new() { EmergencyRoleNames = ["Admin", "breakglass"], EmergencySessionNamePrefixes = ["bg-", "a"] },
    ];

    [Fact]
    public void Change_id_is_the_value_the_old_code_computed()
    {
        var random = new Random(20);
        var compared = 0;
        foreach (var (account, key) in ChangeIdInputs(random))
        {
            Assert.Equal(Reference.ChangeIdOf(account, key), ChangeCall.ChangeIdOf(account, key));
            compared++;
        }
        Assert.True(compared > 5_000, $"only {compared} ids compared");
        // A value a production ledger holds (the status-page seed's change), pinned.
        Assert.Equal(Reference.ChangeIdOf("111122223333", "session|arn:aws:sts::111122223333:assumed-role/Admin/alice|2026-01-15T11:00:00.000Z"),
            ChangeCall.ChangeIdOf("111122223333", "session|arn:aws:sts::111122223333:assumed-role/Admin/alice|2026-01-15T11:00:00.000Z"));
    }

    [Fact]
    public void Principal_names_are_those_the_old_code_read()
    {
        var random = new Random(21);
        var compared = 0;
        foreach (var text in ArnLikeTexts(random))
        {
            Assert.Equal(Reference.Normalize(text), PrincipalName.Normalize(text));
            compared++;
        }
        foreach (var input in CorpusInputs())
        {
            var identity = input.Record.UserIdentity;
            Assert.Equal(Reference.PrincipalOf(identity, input.AccountId), PrincipalName.Of(identity, input.AccountId));
            foreach (var arn in new[] { identity?.Arn, identity?.SessionContext?.SessionIssuer?.Arn })
            {
                if (arn is null) continue;
                Assert.Equal(Reference.Normalize(arn), PrincipalName.Normalize(arn));
                compared++;
            }
        }
        Assert.True(compared > 5_000, $"only {compared} names compared");
    }

    [Fact]
    public void Calls_hold_the_resources_the_old_code_listed()
    {
        var compared = 0;
        foreach (var input in CorpusInputs().Concat(MutatedInputs(new Random(22))))
        {
            var call = ChangeCall.From(input, ChangeKind.OutOfPipeline);
            Assert.Equal(Reference.ResourcesOf(input), call.Resources);
            compared++;
        }
        Assert.True(compared > 500, $"only {compared} calls compared");
    }

    [Fact]
    public void The_memoised_classification_and_call_are_those_computed_afresh()
    {
        var compared = 0;
        foreach (var input in CorpusInputs().Concat(MutatedInputs(new Random(23))))
        {
            foreach (var settings in SettingsVariants)
            {
                var kind = ChangeClassifier.ClassifyUncached(input, settings);
                // Asked twice (the second answer from the memo), after the other settings' answers were memoised.
                for (var ask = 0; ask < 2; ask++)
                {
                    Assert.Equal(kind, ChangeClassifier.Classify(input, settings));
                    var call = ChangeClassifier.ToCall(input, settings);
                    Assert.Equal(kind is null ? null : Describe(ChangeCall.From(input, kind.Value)), call is null ? null : Describe(call));
                }
                if (kind is not null) Assert.Same(ChangeClassifier.ToCall(input, settings), ChangeClassifier.ToCall(input, settings));
                compared++;
            }
        }
        Assert.True(compared > 2_000, $"only {compared} classifications compared");
    }

    [Fact]
    public void A_with_copy_of_a_memoised_input_computes_its_own_classification()
    {
        var inputs = CorpusInputs().ToList();
        var change = inputs.First(i => ChangeClassifier.ClassifyUncached(i, IsmsSettings.Default) == ChangeKind.ManualConsole);
        var read = inputs.First(i => ChangeClassifier.ClassifyUncached(i, IsmsSettings.Default) is null);
        var call = ChangeClassifier.ToCall(change, IsmsSettings.Default);
        Assert.NotNull(call);

        // The copy carries the memo slot but not the original's answer: another record is another classification.
        var copy = change with { Record = read.Record };
        Assert.Null(ChangeClassifier.Classify(copy, IsmsSettings.Default));
        Assert.Null(ChangeClassifier.ToCall(copy, IsmsSettings.Default));
        // Another account is another change id.
        var moved = change with { AccountId = "999999999999" };
        Assert.NotEqual(call!.ChangeId, ChangeClassifier.ToCall(moved, IsmsSettings.Default)!.ChangeId);
        Assert.Equal(Describe(ChangeCall.From(moved, ChangeKind.ManualConsole)), Describe(ChangeClassifier.ToCall(moved, IsmsSettings.Default)!));
        // And the original still answers from its own memo.
        Assert.Same(call, ChangeClassifier.ToCall(change, IsmsSettings.Default));
    }

    [Fact]
    public void The_memo_is_not_part_of_the_inputs_value()
    {
        var input = CorpusInputs().First(i => ChangeClassifier.ClassifyUncached(i, IsmsSettings.Default) is not null);
        var twin = input with { };
        Assert.Equal(input, twin);
        Assert.Equal(input.GetHashCode(), twin.GetHashCode());
        var printed = input.ToString();
        _ = ChangeClassifier.ToCall(input, IsmsSettings.Default);
        Assert.Equal(input, twin);
        Assert.Equal(twin, input);
        Assert.Equal(input.GetHashCode(), twin.GetHashCode());
        Assert.Equal(printed, input.ToString());
    }

    [Fact]
    public void Evidence_sized_for_a_rule_holds_the_same_lines_in_the_same_order()
    {
        foreach (var input in CorpusInputs())
        {
            var reference = Reference.Evidence(input);
            Assert.Equal(reference.ToList(), input.Evidence().ToList());
            Assert.Equal(reference.ToList(), input.Evidence(extra: 0).ToList());
            var grown = input.Evidence(extra: 0);
            grown["more"] = "x";
            Assert.Equal([.. reference.ToList(), new KeyValuePair<string, string>("more", "x")], grown.ToList());
        }
    }

    /// <summary>Every public property of the call (lists by content), so two calls built apart compare by value.</summary>
    private static string Describe(ChangeCall call) => string.Join("|", typeof(ChangeCall).GetProperties()
        .OrderBy(p => p.Name, StringComparer.Ordinal)
        .Select(p => p.Name + "=" + (p.PropertyType != typeof(string) && p.GetValue(call) is IEnumerable<string> list ? "[" + string.Join(",", list) + "]" : Convert.ToString(p.GetValue(call), System.Globalization.CultureInfo.InvariantCulture))));

    private static IEnumerable<CloudTrailInput> CorpusInputs()
    {
        foreach (var seed in FuzzCorpus.All)
        {
            var result = Engine.Adapt(seed.Bytes, Context);
            foreach (var input in result.Inputs.OfType<CloudTrailInput>()) yield return input;
        }
    }

    /// <summary>Corpus records with resource lists and request parameters rewritten: duplicates, blanks, more than ten.</summary>
    private static IEnumerable<CloudTrailInput> MutatedInputs(Random random)
    {
        var names = new[] { "bucketName", "name", "key", "roleName", "instanceId", "groupId", "policyArn", "DBInstanceIdentifier", "userName", "Host", "acl", "x-amz-acl", "KeyId", "resourceARN", "functionName",
            "bucketNAME", "resourcearn", "ARN", "Id", "id", "ID", "naMe", "ſName", "ıd", "Kıd", "nameſ", "Ñame", "key", "Key", "a\\Name", "x\"Id" };
        var values = new[] { "b", "a", "arn:aws:s3:::z", "arn:aws:s3:::a", " ", "", "ümlaut", new string('x', 300), "arn:aws:iam::1:role/" + new string('r', 400), "Z", "a" };
        for (var round = 0; round < 6; round++)
        foreach (var record in CorpusRecords())
        {
            if (random.Next(2) == 0)
            {
                var resources = new JsonArray();
                for (var i = random.Next(0, 15); i > 0; i--)
                    resources.Add(new JsonObject { ["ARN"] = random.Next(6) == 0 ? null : values[random.Next(values.Length)] });
                record["resources"] = resources;
            }
            else
            {
                record["resources"] = null;
                var parameters = new JsonObject();
                for (var i = random.Next(0, 15); i > 0; i--)
                    parameters[names[random.Next(names.Length)] + (random.Next(3) == 0 ? i.ToString(System.Globalization.CultureInfo.InvariantCulture) : "")] =
                        random.Next(5) == 0 ? (JsonNode)JsonValue.Create(i) : values[random.Next(values.Length)];
                record["requestParameters"] = parameters;
            }
            var bytes = Encoding.UTF8.GetBytes(record.ToJsonString());
            var adapted = Engine.Adapt(bytes, Context);
            foreach (var mutated in adapted.Inputs.OfType<CloudTrailInput>()) yield return mutated;
        }
    }

    /// <summary>Every CloudTrail record object in the corpus (log files split into their records).</summary>
    private static IEnumerable<JsonObject> CorpusRecords() => FuzzCorpus.CloudTrailRecords();

    private static IEnumerable<(string Account, string Key)> ChangeIdInputs(Random random)
    {
        var pieces = new[] { "111122223333", "session", "day", "arn:aws:sts::1:assumed-role/Admin/alice", "|", "2026-01-15T11:00:00.000Z", "ü", "\uD800", "\uDC00", "😀", "\u001f", "", "AKIAEXAMPLE", " " };
        foreach (var input in CorpusInputs())
        {
            var call = ChangeCall.From(input, ChangeKind.OutOfPipeline);
            yield return (input.AccountId, call.SessionKey);
        }
        for (var i = 0; i < 5_000; i++)
        {
            var account = Join(random, pieces, random.Next(0, 3));
            var key = Join(random, pieces, random.Next(0, 12));
            if (random.Next(50) == 0) key += new string('k', random.Next(100, 800)) + "é\uD83D";
            yield return (account, key);
        }
    }

    private static IEnumerable<string> ArnLikeTexts(Random random)
    {
        var pieces = new[] { "arn", "ARN", "aws", "iam", "sts", "", "123456789012", "user", "assumed-role", "federated-user", "root", "Role", "Sess ion", " Alice ", "ÄÖ", "İ", "ſ", "\uD800", "group", "role", "a@b.example" };
        var separators = new[] { ":", "/", ":", "/", "", " " };
        for (var i = 0; i < 6_000; i++)
        {
            var text = new StringBuilder(random.Next(3) == 0 ? "" : "arn:");
            for (var n = random.Next(0, 10); n > 0; n--) text.Append(pieces[random.Next(pieces.Length)]).Append(separators[random.Next(separators.Length)]);
            if (random.Next(4) == 0) text.Append(' ');
            yield return text.ToString();
        }
    }

    private static string Join(Random random, string[] pieces, int count)
    {
        var text = new StringBuilder();
        for (var i = 0; i < count; i++) text.Append(pieces[random.Next(pieces.Length)]);
        return text.ToString();
    }

    /// <summary>The code replaced, verbatim (main 0121011).</summary>
    private static class Reference
    {
        public static string ChangeIdOf(string accountId, string sessionKey)
        {
            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(Encoding.UTF8.GetBytes(accountId + "\u001f" + sessionKey), hash);
            return "chg-" + Convert.ToHexStringLower(hash[..12]);
        }

        public static IReadOnlyList<string> ResourcesOf(CloudTrailInput input)
        {
            var found = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var resource in input.Record.Resources ?? [])
            {
                if (!string.IsNullOrWhiteSpace(resource.Arn)) found.Add(Cap(resource.Arn));
                if (found.Count >= 10) return [.. found];
            }
            var parameters = input.Record.RequestParameters;
            if (found.Count == 0 && parameters.ValueKind == JsonValueKind.Object)
            {
                var service = input.EventSource.Replace(".amazonaws.com", "", StringComparison.Ordinal);
                foreach (var property in parameters.EnumerateObject())
                {
                    if (property.Value.ValueKind != JsonValueKind.String || !Identifies(property.Name)) continue;
                    var value = property.Value.GetString();
                    if (string.IsNullOrWhiteSpace(value)) continue;
                    found.Add(value.StartsWith("arn:", StringComparison.Ordinal) ? Cap(value) : Cap($"{service}:{property.Name}/{value}"));
                    if (found.Count >= 10) break;
                }
            }
            return [.. found];
        }

        private static bool Identifies(string key) =>
            key.EndsWith("Name", StringComparison.OrdinalIgnoreCase) || key.EndsWith("Id", StringComparison.Ordinal)
            || key.EndsWith("Arn", StringComparison.OrdinalIgnoreCase) || key is "name" or "bucketName" or "key";

        private static string Cap(string value) => value.Length <= 256 ? value : value[..256] + "…";

        public static string PrincipalOf(CloudTrailUserIdentity? identity, string accountId)
        {
            if (identity is null) return "unknown";
            var type = identity.Type ?? "";
            var sourceIdentity = identity.SessionContext?.SourceIdentity;
            if (!string.IsNullOrWhiteSpace(sourceIdentity)) return Normalize(sourceIdentity);
            switch (type)
            {
                case "Root":
                    return "root";
                case "IAMUser" when !string.IsNullOrWhiteSpace(identity.UserName):
                    return Normalize(identity.UserName);
                case "AssumedRole" or "FederatedUser" or "IdentityCenterUser":
                    if (FromArn(identity.Arn) is { } fromArn) return fromArn;
                    if (identity.PrincipalId?.IndexOf(':', StringComparison.Ordinal) is int colon and >= 0 && colon < identity.PrincipalId.Length - 1)
                        return Normalize(identity.PrincipalId[(colon + 1)..]);
                    break;
            }
            return FromArn(identity.Arn) ?? Normalize($"{type}:{identity.PrincipalId ?? accountId}");
        }

        public static string Normalize(string text)
        {
            var trimmed = text.Trim();
            return (trimmed.StartsWith("arn:", StringComparison.OrdinalIgnoreCase) ? FromArn(trimmed) : null) ?? trimmed.ToLowerInvariant();
        }

        private static string? FromArn(string? arn)
        {
            if (string.IsNullOrWhiteSpace(arn)) return null;
            var resource = arn.Split(':', 6) is { Length: 6 } parts ? parts[5] : null;
            if (resource is null) return null;
            if (resource == "root") return "root";
            var segments = resource.Split('/');
            return segments[0] switch
            {
                "user" or "federated-user" when segments.Length >= 2 => segments[^1].Trim().ToLowerInvariant(),
                "assumed-role" when segments.Length >= 3 => segments[^1].Trim().ToLowerInvariant(),
                _ => null,
            };
        }

        public static Dictionary<string, string> Evidence(CloudTrailInput input)
        {
            var evidence = new Dictionary<string, string>(16, StringComparer.Ordinal)
            {
                ["eventName"] = input.EventName,
                ["eventSource"] = input.EventSource,
                ["actor"] = input.Actor,
            };
            if (input.Record.EventId is { } eventId) evidence["eventId"] = eventId;
            if (input.Record.EventTime is { } time) evidence["eventTime"] = time;
            if (input.Record.SourceIpAddress is { } ip) evidence["sourceIp"] = ip;
            if (input.Record.ErrorCode is { } error) evidence["errorCode"] = error;
            if (input.RoleName is { } role) evidence["role"] = role;
            return evidence;
        }
    }
}

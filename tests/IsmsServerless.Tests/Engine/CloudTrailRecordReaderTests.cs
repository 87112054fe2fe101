using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using IsmsServerless.Engine;
using IsmsServerless.Events;
using IsmsServerless.Ingestion;
using IsmsServerless.Inputs;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Robustness;

namespace IsmsServerless.Tests.Engine;

/// <summary>
/// <see cref="CloudTrailRecordReader"/> (issue 20 wave 10) replaced <see cref="JsonElementBinder"/>'s generic element plan
/// for CloudTrail records in the adapter: it must give the record the plan gives (which <see cref="JsonElementBinderTests"/>
/// holds to the serializer) for every input, and throw where the plan throws, so every rule sees the same record and a
/// malformed record stays the adapter's rejection with the same reason. Checked on every fixture (local, shared and
/// external corpus: <see cref="FuzzCorpus"/>) and the objects nested in them, on thousands of mutations of them, and on
/// hand-made names and values; <see cref="EventStrings.Lenient"/> against <see cref="ElementBindingPlan.LenientString"/>
/// on generated values of every kind.
/// </summary>
public sealed class CloudTrailRecordReaderTests
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64, AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static JsonTypeInfo<CloudTrailRecord> TypeInfo => EventJsonContext.Default.CloudTrailRecord;

    [Fact]
    public void Reads_what_the_element_plan_and_the_serializer_read_on_every_fixture_and_its_mutations()
    {
        var compared = 0;
        var bothFailed = 0;
        var records = 0;
        foreach (var seed in FuzzCorpus.All)
        {
            for (var i = 0; i < 40; i++)
            {
                var bytes = i == 0 ? seed.Bytes : EventMutator.Apply(seed.Bytes, [EventMutator.All[i % EventMutator.All.Length], EventMutator.All[(i * 7) % EventMutator.All.Length]], i);
                using var document = TryParse(bytes);
                if (document is null) continue;
                foreach (var target in Targets(document.RootElement))
                {
                    var outcome = Compare(target, $"{seed.Name} mutation {i}");
                    if (outcome is null) bothFailed++;
                    else
                    {
                        compared++;
                        if (outcome.EventName is not null && outcome.UserIdentity is not null) records++;
                    }
                }
            }
        }
        Assert.True(compared > 2_000, $"only {compared} records compared");
        Assert.True(records > 500, $"only {records} records with an event name and an identity compared");
        Assert.True(bothFailed > 0, "no mutation made the plan fail: the failure path is not compared");
    }

    [Theory]
    [InlineData("""{"event\u004eame": "Escaped", "EVENTSOURCE": "s3.amazonaws.com"}""")]
    [InlineData("""{"\u0065ventName": "A", "eventName": "B", "eventname": "C", "EventID": "x", "eventid": "y"}""")]
    [InlineData("""{"eventſource": "long-s", "awſRegion": "eu-west-1", "ſourceIPAddreſſ": "1.2.3.4", "eventNamé": "x", "arn": "not here"}""")]
    [InlineData("""{"userIdentity": {"type": "IAMUser"}, "userIdentity": null, "resources": [], "resources": null}""")]
    [InlineData("""{"userIdentity": {"TYPE": "Root", "Arn": 7, "ACCOUNTID": "1", "sessioncontext": {"ATTRIBUTES": {"MFAAUTHENTICATED": true, "creationdate": 5}, "SESSIONISSUER": {"USERNAME": "u", "PRINCIPALID": "p", "ARN": "a", "Type": "Role", "accountid": "2"}, "SourceIdentity": "s"}}}""")]
    [InlineData("""{"userIdentity": {"sessionContext": {"sessionIssuer": {"userName": "a"}, "sessionIssuer": {"arn": "b"}, "attributes": null}, "sessionContext": {"sourceIdentity": "c"}}}""")]
    [InlineData("""{"requestParameters": "null", "responseElements": 5, "additionalEventData": [1], "eventName": 1e400}""")]
    [InlineData("""{"requestParameters": {"a": 1}, "requestParameters": {"b": [true]}, "REQUESTPARAMETERS": null, "responseelements": {"x": "y"}}""")]
    [InlineData("""{"eventName": 12345678901234567890, "readOnly": 0.1, "eventTime": -0, "errorCode": false, "errorMessage": true, "eventVersion": 1.08}""")]
    [InlineData("""{"eventName": "", "eventSource": " ", "awsRegion": "\t\n", "userAgent": "\u0000", "errorCode": "\u200b", "errorMessage": "\u007fx", "eventType": " x", "requestID": "\u00a0"}""")]
    [InlineData("""{"eventName": "caf\u00e9", "eventSource": "café", "awsRegion": "\"quoted\"", "userAgent": "a\\b", "eventID": "\ud83d\ude00", "requestID": "x\/y"}""")]
    [InlineData("""{"eventName": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "userAgent": " AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "errorMessage": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAé"}""")]
    [InlineData("""{"resources": [{"ARN": "arn:aws:s3:::b", "arn": "lower", "AccountID": 1, "TYPE": {"o": 1}}, null, {}], "Resources": [{"type": "t"}]}""")]
    [InlineData("""{"sessionCredentialFromConsole": "true", "managementEvent": true, "eventCategory": "Management", "recipientAccountId": 123456789012, "invokedBy": "x"}""")]
    [InlineData("""{"userIdentity": {"invokedBy": "AWS Internal", "accessKeyId": "", "userName": [], "principalId": {}, "sessionContext": null}}""")]
    [InlineData("""{"eventName": "A", "unknown": {"eventName": "B"}, "userIdentity": {"unknown": {"type": "x"}, "type": "y"}}""")]
    [InlineData("""{}""")]
    [InlineData("""null""")]
    [InlineData("""{"userIdentity": "root"}""")]
    [InlineData("""{"userIdentity": 5, "userIdentity": {"type": "Root"}}""")]
    [InlineData("""{"userIdentity": {"sessionContext": []}}""")]
    [InlineData("""{"userIdentity": {"sessionContext": {"attributes": "x"}}}""")]
    [InlineData("""{"userIdentity": {"sessionContext": {"sessionIssuer": true}}}""")]
    [InlineData("""{"resources": {"ARN": "x"}}""")]
    [InlineData("""{"resources": ["x"]}""")]
    [InlineData("""{"resources": [{"ARN": "x"}, 5]}""")]
    [InlineData("""{"RESOURCES": "x"}""")]
    [InlineData("""[1, 2]""")]
    [InlineData("\"record\"")]
    public void Matches_the_plan_on_names_and_values_that_are_easy_to_get_wrong(string json)
    {
        using var document = JsonDocument.Parse(json);
        Compare(document.RootElement, json);
        // The plan is the serializer's result (JsonElementBinderTests); this pins the three together on these inputs.
        var (expected, expectedError) = Run(() => document.RootElement.Deserialize(TypeInfo));
        var (actual, actualError) = Run(() => CloudTrailRecordReader.Read(document.RootElement));
        Assert.Equal(expectedError is null, actualError is null);
        if (expectedError is null) Assert.Equal(Serialize(expected), Serialize(actual));
    }

    [Fact]
    public void Knows_every_property_each_record_type_declares()
    {
        // A property added to one of these records would be read by the plan and silently dropped by the reader: this fails
        // first, so the reader learns the name (and the equivalence tests above then compare it).
        var context = EventJsonContext.Default;
        Assert.Equal(Names(context.CloudTrailRecord), CloudTrailRecordReader.RecordNames);
        Assert.Equal(Names(context.GetTypeInfo(typeof(CloudTrailUserIdentity))!), CloudTrailRecordReader.IdentityNames);
        Assert.Equal(Names(context.GetTypeInfo(typeof(CloudTrailSessionContext))!), CloudTrailRecordReader.SessionContextNames);
        Assert.Equal(Names(context.GetTypeInfo(typeof(CloudTrailSessionAttributes))!), CloudTrailRecordReader.AttributesNames);
        Assert.Equal(Names(context.GetTypeInfo(typeof(CloudTrailSessionIssuer))!), CloudTrailRecordReader.IssuerNames);
        Assert.Equal(Names(context.GetTypeInfo(typeof(CloudTrailResource))!), CloudTrailRecordReader.ResourceNames);
        // Every property of each reads as the plan reads it: one record naming all of them, each with a distinct value.
        var json = new StringBuilder("{");
        var n = 0;
        foreach (var name in CloudTrailRecordReader.RecordNames)
        {
            json.Append('"').Append(name).Append("\": ");
            json.Append(name switch
            {
                "userIdentity" => Object(CloudTrailRecordReader.IdentityNames, ref n),
                "resources" => "[" + Object(CloudTrailRecordReader.ResourceNames, ref n) + ", " + Object(CloudTrailRecordReader.ResourceNames, ref n) + "]",
                "requestParameters" or "responseElements" or "additionalEventData" => $"{{\"n\": {n++}}}",
                _ => $"\"v{n++}\"",
            }).Append(", ");
        }
        json.Length -= 2;
        json.Append('}');
        // Every name again in upper case, then in lower case: the case-folded match gives each the field the exact one gives.
        foreach (var folded in (string[])[Fold(json.ToString(), upper: true), Fold(json.ToString(), upper: false)])
        {
            using var foldedDocument = JsonDocument.Parse(folded);
            var foldedRecord = Compare(foldedDocument.RootElement, folded)!;
            Assert.NotNull(foldedRecord.UserIdentity?.SessionContext?.SessionIssuer?.UserName);
            Assert.NotNull(foldedRecord.UserIdentity?.UserName);
        }
        using var document = JsonDocument.Parse(json.ToString());
        var record = Compare(document.RootElement, "all properties")!;
        Assert.Equal("v0", record.EventVersion);
        Assert.NotNull(record.UserIdentity?.SessionContext?.SessionIssuer?.AccountId);
        Assert.NotNull(record.UserIdentity?.SessionContext?.Attributes?.CreationDate);
        Assert.Equal(2, record.Resources!.Count);
        Assert.NotNull(record.Resources[1].Type);
        Assert.NotNull(record.SessionCredentialFromConsole);

        // The names (every quoted text followed by a colon) in one case; the values, "v<n>" and {"n": <n>}, keep theirs.
        static string Fold(string text, bool upper) => System.Text.RegularExpressions.Regex.Replace(text, "\"([A-Za-z]+)\":",
            m => "\"" + (upper ? m.Groups[1].Value.ToUpperInvariant() : m.Groups[1].Value.ToLowerInvariant()) + "\":");

        static string Object(string[] names, ref int n)
        {
            var parts = new List<string>();
            foreach (var name in names)
            {
                var value = name switch
                {
                    "sessionContext" => Object(CloudTrailRecordReader.SessionContextNames, ref n),
                    "attributes" => Object(CloudTrailRecordReader.AttributesNames, ref n),
                    "sessionIssuer" => Object(CloudTrailRecordReader.IssuerNames, ref n),
                    _ => $"\"v{n++}\"",
                };
                parts.Add($"\"{name}\": {value}");
            }
            return "{" + string.Join(", ", parts) + "}";
        }
    }

    [Fact]
    public void Reads_text_exactly_as_the_lenient_string_reader_for_values_of_every_kind()
    {
        var values = new List<string>
        {
            "null", "true", "false", "0", "-0", "1.5", "1e400", "-1e400", "12345678901234567890", "-9223372036854775809", "1E+2", "0.1",
            "{}", "{\"a\": 1}", "[]", "[1, \"x\"]", "\"\"", "\" \"", "\"\\t\"", "\"\\u0000\"", "\"\\u200b\"", "\"\\u200bx\"", "\"\\u00a0x\"",
            "\"\u007f\"", "\"\u007fx\"", "\"x\u007f\"", "\"a\\\"b\"", "\"a\\\\b\"", "\"\\/\"", "\"é\"", "\"\\u00e9\"", "\"😀\"", "\" x\"", "\"x \"",
            "\"!\"", "\"~\"", "\"us-east-1\"", "\"AwsApiCall\"", "\"true\"", "\"123456789012\"",
        };
        var random = new Random(20);
        var alphabet = " !\"#$%&'()*+,-./0123456789:;<=>?@AZ[\\]^_`az{|}~\u007f\u00a0é\u200b\u2028\t\n\r\u0001";
        for (var i = 0; i < 2_000; i++)
        {
            var length = random.Next(4) switch { 0 => random.Next(0, 4), 1 => random.Next(60, 70), 2 => random.Next(100, 300), _ => random.Next(0, 40) };
            var text = new StringBuilder();
            for (var j = 0; j < length; j++)
                text.Append(random.Next(3) == 0 ? alphabet[random.Next(alphabet.Length)] : (char)random.Next('a', 'z' + 1));
            // Written once escaped the serializer's default way and once with only what JSON requires escaped.
            values.Add(JsonSerializer.Serialize(text.ToString()));
            values.Add(JsonSerializer.Serialize(text.ToString(), Relaxed));
        }
        foreach (var value in values)
        {
            using var document = JsonDocument.Parse($"{{\"v\": {value}}}");
            var element = document.RootElement.GetProperty("v");
            EventStrings.BeginEvent();
            var expected = ElementBindingPlan.LenientString(element);
            EventStrings.BeginEvent();
            Assert.Equal(expected, EventStrings.Lenient(element));
            // Read again in the same event: the per-event slot's string, still the same text.
            Assert.Equal(expected, EventStrings.Lenient(element));
        }
    }

    [Theory]
    [InlineData("""{"eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "userIdentity": "root"}""",
        "detail is not a valid CloudTrail record: the JSON value could not be converted to CloudTrailUserIdentity (String)")]
    [InlineData("""{"eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "resources": {"ARN": "x"}}""",
        "detail is not a valid CloudTrail record: the JSON value could not be converted to a list of CloudTrailResource (Object)")]
    [InlineData("""{"eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "resources": [1]}""",
        "detail is not a valid CloudTrail record: the JSON value could not be converted to CloudTrailResource (Number)")]
    [InlineData("""{"eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "userIdentity": {"sessionContext": {"sessionIssuer": []}}}""",
        "detail is not a valid CloudTrail record: the JSON value could not be converted to CloudTrailSessionIssuer (Array)")]
    [InlineData("""{"eventName": " ", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z"}""",
        "detail lacks eventName or eventSource")]
    public void A_malformed_record_is_still_the_adapters_rejection_with_the_same_reason(string detail, string reason)
    {
        var payload = $$"""{"version": "0", "id": "e", "detail-type": "AWS API Call via CloudTrail", "source": "aws.s3", "account": "123456789012", "time": "2026-01-01T00:00:00Z", "region": "us-east-1", "resources": [], "detail": {{detail}}}""";
        var engine = RuleEngine.CreateDefault();
        var result = engine.Evaluate(Encoding.UTF8.GetBytes(payload), new EvaluationContext(IsmsSettings.Default, TimeProvider.System));
        Assert.Empty(result.Evaluations);
        Assert.Contains(reason, result.Error ?? "", StringComparison.Ordinal);
        // The plan throws the same exception text the reader throws (the reason's tail).
        using var document = JsonDocument.Parse(detail);
        var (_, planError) = Run(() => JsonElementBinder.Bind(document.RootElement, TypeInfo));
        var (_, readerError) = Run(() => CloudTrailRecordReader.Read(document.RootElement));
        Assert.Equal(planError?.Message, readerError?.Message);
    }

    [Fact]
    public void Read_bodies_outlive_the_document_they_were_read_from()
    {
        CloudTrailRecord record;
        using (var document = JsonDocument.Parse("""{"eventName": "PutBucketPolicy", "requestParameters": {"bucketName": "b", "policy": {"Statement": []}}, "responseElements": null}"""))
            record = CloudTrailRecordReader.Read(document.RootElement)!;
        Assert.Equal("b", record.RequestParameters.GetProperty("bucketName").GetString());
        Assert.Equal(JsonValueKind.Null, record.ResponseElements.ValueKind);
        Assert.Equal(JsonValueKind.Undefined, record.AdditionalEventData.ValueKind);
    }

    /// <summary>Reader and plan on one element: both throw the same message, or both read the same record (returned).</summary>
    private static CloudTrailRecord? Compare(JsonElement target, string what)
    {
        EventStrings.BeginEvent();
        var (expected, expectedError) = Run(() => JsonElementBinder.Bind(target, TypeInfo));
        EventStrings.BeginEvent();
        var (actual, actualError) = Run(() => CloudTrailRecordReader.Read(target));
        Assert.True(expectedError is null == actualError is null,
            $"{what}: plan {expectedError?.Message ?? "succeeded"}, reader {actualError?.Message ?? "succeeded"}");
        if (expectedError is not null)
        {
            Assert.Equal(expectedError.GetType(), actualError!.GetType());
            Assert.Equal(expectedError.Message, actualError.Message);
            return null;
        }
        Assert.True(Serialize(expected) == Serialize(actual), $"{what}: {Serialize(expected)} != {Serialize(actual)}");
        Assert.Equal(Kinds(expected), Kinds(actual));
        return actual as CloudTrailRecord;
    }

    /// <summary>The bodies' kinds (an absent body and a JSON null differ) and the resources' runtime list type.</summary>
    private static string Kinds(object? value) => value is CloudTrailRecord r
        ? $"{r.RequestParameters.ValueKind} {r.ResponseElements.ValueKind} {r.AdditionalEventData.ValueKind} {r.Resources?.GetType().Name ?? "-"} {r.Resources?.Count}"
        : "null";

    private static string[] Names(JsonTypeInfo typeInfo) => [.. typeInfo.Properties.Select(p => p.Name)];

    private static JsonDocument? TryParse(byte[] bytes)
    {
        try
        {
            var span = bytes.AsMemory();
            if (span.Span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) span = span[3..];
            if (!System.Text.Unicode.Utf8.IsValid(span.Span)) return null;
            return JsonDocument.Parse(span, Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // The binder tests' targets (up to 20 of a log file's records here), run and comparison serialization, shared.
    private static IEnumerable<JsonElement> Targets(JsonElement root) => JsonElementBinderTests.Targets(root, records: 20);

    private static (object? Value, Exception? Error) Run(Func<object?> action) => JsonElementBinderTests.Run(action);

    private static string Serialize(object? value) => JsonElementBinderTests.Serialize(value, TypeInfo);
}

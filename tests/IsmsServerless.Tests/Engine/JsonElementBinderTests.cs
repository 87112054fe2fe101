using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using IsmsServerless.Events;
using IsmsServerless.Tests.Robustness;

namespace IsmsServerless.Tests.Engine;

/// <summary>
/// <see cref="JsonElementBinder"/> replaced <c>JsonElement.Deserialize</c> in the adapters for speed; it must give the
/// same record for every input, or fail where the serializer fails. Checked on every fixture (and the objects nested in
/// them) and on thousands of mutations of them, for every event record type the adapters read.
/// </summary>
public sealed class JsonElementBinderTests
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64, AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    private static readonly JsonTypeInfo[] RecordTypes =
    [
        EventJsonContext.Default.CloudTrailRecord,
        EventJsonContext.Default.InspectorFindingDetail,
        EventJsonContext.Default.SsmComplianceDetail,
        EventJsonContext.Default.Ec2StateChangeDetail,
    ];

    [Fact]
    public void Binds_what_the_serializer_reads_on_every_fixture_and_its_mutations()
    {
        var compared = 0;
        var bothFailed = 0;
        foreach (var seed in FuzzCorpus.All)
        {
            for (var i = 0; i < 25; i++)
            {
                var bytes = i == 0 ? seed.Bytes : EventMutator.Apply(seed.Bytes, [EventMutator.All[i % EventMutator.All.Length], EventMutator.All[(i * 7) % EventMutator.All.Length]], i);
                JsonDocument document;
                try
                {
                    var span = bytes.AsMemory();
                    if (span.Span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) span = span[3..];
                    if (!System.Text.Unicode.Utf8.IsValid(span.Span)) continue;
                    document = JsonDocument.Parse(span, Options);
                }
                catch (JsonException)
                {
                    continue;
                }
                using (document)
                {
                    foreach (var target in Targets(document.RootElement))
                    {
                        foreach (var typeInfo in RecordTypes)
                        {
                            var (expected, expectedError) = Run(() => target.Deserialize(typeInfo));
                            foreach (var byReader in (bool[])[false, true])
                            {
                                var (actual, actualError) = Run(() => Bind(target, typeInfo, byReader));
                                Assert.True(expectedError is null == actualError is null,
                                    $"{seed.Name} mutation {i} as {typeInfo.Type.Name} ({(byReader ? "reader" : "plan")}): serializer {expectedError?.GetType().Name ?? "succeeded"}, binder {actualError?.GetType().Name ?? "succeeded"} ({actualError?.Message ?? expectedError?.Message})");
                                if (expectedError is not null)
                                {
                                    bothFailed++;
                                    continue;
                                }
                                Assert.Equal(Serialize(expected, typeInfo), Serialize(actual, typeInfo));
                                compared++;
                            }
                        }
                    }
                }
            }
        }
        Assert.True(compared > 1_000, $"only {compared} records compared");
        Assert.True(bothFailed > 0, "no mutation made the serializer fail: the failure path is not compared");
    }

    [Fact]
    public void Matches_names_without_case_keeps_the_last_duplicate_and_reads_scalars_leniently()
    {
        const string json = """
            {"EVENTNAME": "First", "eventName": "Second", "eventSource": 12.5, "readOnly": true, "errorCode": {"x": 1},
             "requestParameters": null, "responseElements": {"a": [1, 2]}, "userIdentity": {"TYPE": "Root", "arn": 7},
             "resources": [{"ARN": "arn:aws:s3:::b"}, null], "unknown": [1, 2, 3]}
            """;
        using var document = JsonDocument.Parse(json);
        var record = JsonElementBinder.Bind(document.RootElement, EventJsonContext.Default.CloudTrailRecord)!;
        Assert.Equal("Second", record.EventName);
        Assert.Equal("12.5", record.EventSource);
        Assert.Equal("true", record.ReadOnly);
        Assert.Null(record.ErrorCode);
        Assert.Equal(JsonValueKind.Null, record.RequestParameters.ValueKind);
        Assert.Equal("""{"a": [1, 2]}""", record.ResponseElements.GetRawText());
        Assert.Equal(JsonValueKind.Undefined, record.AdditionalEventData.ValueKind);
        Assert.Equal("Root", record.UserIdentity!.Type);
        Assert.Equal("7", record.UserIdentity.Arn);
        Assert.Equal(2, record.Resources!.Count);
        Assert.Equal("arn:aws:s3:::b", record.Resources[0].Arn);
        Assert.Null(record.Resources[1]);
    }

    [Fact]
    public void Bound_bodies_outlive_the_document_they_were_read_from()
    {
        CloudTrailRecord record;
        using (var document = JsonDocument.Parse("""{"eventName": "PutBucketPolicy", "requestParameters": {"bucketName": "b", "policy": {"Statement": []}}}"""))
            record = JsonElementBinder.Bind(document.RootElement, EventJsonContext.Default.CloudTrailRecord)!;
        // The pooled document is disposed; a view into it would throw ObjectDisposedException here.
        Assert.Equal("b", record.RequestParameters.GetProperty("bucketName").GetString());
    }

    [Theory]
    [InlineData("""{"userIdentity": "root"}""")]
    [InlineData("""{"resources": {"ARN": "x"}}""")]
    [InlineData("""{"resources": ["x"]}""")]
    public void Rejects_a_wrong_kind_where_the_serializer_does(string json)
    {
        using var document = JsonDocument.Parse(json);
        Assert.ThrowsAny<JsonException>(() => document.RootElement.Deserialize(EventJsonContext.Default.CloudTrailRecord));
        Assert.ThrowsAny<JsonException>(() => JsonElementBinder.Bind(document.RootElement, EventJsonContext.Default.CloudTrailRecord));
    }

    /// <summary>The binder's default path (the element plan where the type has one) or the serializer-reader path.</summary>
    private static object? Bind(JsonElement element, JsonTypeInfo typeInfo, bool byReader = false) => typeInfo switch
    {
        JsonTypeInfo<CloudTrailRecord> t => byReader ? JsonElementBinder.BindByReader(element, t) : JsonElementBinder.Bind(element, t),
        JsonTypeInfo<InspectorFindingDetail> t => byReader ? JsonElementBinder.BindByReader(element, t) : JsonElementBinder.Bind(element, t),
        JsonTypeInfo<SsmComplianceDetail> t => byReader ? JsonElementBinder.BindByReader(element, t) : JsonElementBinder.Bind(element, t),
        JsonTypeInfo<Ec2StateChangeDetail> t => byReader ? JsonElementBinder.BindByReader(element, t) : JsonElementBinder.Bind(element, t),
        _ => throw new ArgumentOutOfRangeException(nameof(typeInfo)),
    };

    [Theory]
    [InlineData("""{"event\u004eame": "Escaped", "EVENTSOURCE": "s3.amazonaws.com"}""")]
    [InlineData("""{"\u0065ventName": "A", "eventName": "B", "eventname": "C"}""")]
    [InlineData("""{"eventſource": "long-s", "awſRegion": "eu-west-1", "ſourceIPAddreſſ": "1.2.3.4", "eventNamé": "x"}""")]
    [InlineData("""{"userIdentity": {"type": "IAMUser"}, "userIdentity": null, "resources": [], "resources": null}""")]
    [InlineData("""{"requestParameters": "null", "responseElements": 5, "additionalEventData": [1], "eventName": 1e400}""")]
    [InlineData("""{"eventName": 12345678901234567890, "readOnly": 0.1, "eventTime": -0}""")]
    public void Matches_the_serializer_on_names_and_values_that_are_easy_to_get_wrong(string json)
    {
        using var document = JsonDocument.Parse(json);
        var typeInfo = EventJsonContext.Default.CloudTrailRecord;
        var (expected, expectedError) = Run(() => document.RootElement.Deserialize(typeInfo));
        var (actual, actualError) = Run(() => JsonElementBinder.Bind(document.RootElement, typeInfo));
        Assert.Equal(expectedError?.GetType(), actualError?.GetType());
        if (expectedError is null) Assert.Equal(Serialize(expected, typeInfo), Serialize(actual, typeInfo));
    }

    [Fact]
    public void Every_event_record_type_is_read_from_the_elements_not_re_tokenized()
    {
        // If a property of a shape the plan does not read is added to one of these records, the record silently takes the
        // slower serializer path (still correct, compared above); this says so, so the cost is a decision, not an accident.
        foreach (var typeInfo in RecordTypes)
            Assert.True(ElementBindingPlan.For(typeInfo) is not null, $"{typeInfo.Type.Name} has no element plan: it is bound by re-tokenizing");
    }

    [Fact]
    public void A_record_shape_the_plan_does_not_read_takes_the_serializer_path()
    {
        // EventBridgeEnvelope's resources are a list of strings, not records: no plan, and the reader path still binds it.
        Assert.Null(ElementBindingPlan.For(EventJsonContext.Default.EventBridgeEnvelope));
        using var document = JsonDocument.Parse("""{"id": 7, "detail-type": "X", "resources": ["a", null]}""");
        var envelope = JsonElementBinder.Bind(document.RootElement, EventJsonContext.Default.EventBridgeEnvelope)!;
        Assert.Equal("7", envelope.Id);
        Assert.Equal("X", envelope.DetailType);
        Assert.Equal(["a", null], envelope.Resources!);
    }

    /// <summary>The objects adapters bind: the payload, its <c>detail</c>, and each of its first <paramref name="records"/> <c>Records</c>.</summary>
    internal static IEnumerable<JsonElement> Targets(JsonElement root, int records = 5)
    {
        yield return root;
        if (root.ValueKind != JsonValueKind.Object) yield break;
        if (root.TryGetProperty("detail", out var detail)) yield return detail;
        if (root.TryGetProperty("Records", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var record in list.EnumerateArray().Take(records)) yield return record;
        }
    }

    internal static (object? Value, Exception? Error) Run(Func<object?> action)
    {
        try
        {
            return (action(), null);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return (null, ex);
        }
    }

    /// <summary>The context's options, leaving out absent (undefined) <see cref="JsonElement"/> members, which cannot be written.</summary>
    private static readonly JsonSerializerOptions Comparison = new(EventJsonContext.Default.Options)
    {
        TypeInfoResolver = EventJsonContext.Default.WithAddedModifier(typeInfo =>
        {
            foreach (var property in typeInfo.Properties)
            {
                if (property.PropertyType == typeof(JsonElement)) property.ShouldSerialize = (_, v) => v is JsonElement { ValueKind: not JsonValueKind.Undefined };
            }
        }),
    };

    internal static string Serialize(object? value, JsonTypeInfo typeInfo) =>
        value is null ? "null" : Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(value, Comparison.GetTypeInfo(typeInfo.Type)));
}

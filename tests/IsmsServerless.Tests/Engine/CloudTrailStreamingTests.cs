using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IsmsServerless.Engine;
using IsmsServerless.Events;
using IsmsServerless.Ingestion;
using IsmsServerless.Tests.Robustness;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Engine;

/// <summary>
/// <see cref="CloudTrailAdapter"/> reads an EventBridge CloudTrail event's record from the payload's bytes in the router's
/// one pass (issue 20 wave 11: <see cref="CloudTrailRecordStreamReader"/>). The document path stays the reference: every
/// payload here must give the engine result it gives (<see cref="StreamingEquivalence"/>: inputs, every rule's findings,
/// rejection and ignored texts), whether the stream read it or declined. Checked on every corpus payload (local, shared and
/// external: <see cref="FuzzCorpus"/>) and 40 mutations of each, every corpus CloudTrail record in an EventBridge envelope
/// with 40 mutations of the record, and hand-made names and values; and the payloads the change is for must be streamed.
/// </summary>
public sealed class CloudTrailStreamingTests
{
    private static readonly RuleEngine Engine = RuleEngine.CreateDefault();

    [Fact]
    public void Every_corpus_payload_and_its_mutations_give_the_document_paths_result()
    {
        var payloads = 0;
        var streamed = 0;
        foreach (var seed in FuzzCorpus.All)
        {
            for (var i = 0; i < 40; i++)
            {
                var bytes = i == 0 ? seed.Bytes : EventMutator.Apply(seed.Bytes, [EventMutator.All[i % EventMutator.All.Length], EventMutator.All[(i * 7) % EventMutator.All.Length]], i);
                StreamingEquivalence.AssertSame(bytes, Engine, $"{seed.Name} mutation {i}");
                payloads++;
                if (StreamedByCloudTrail(bytes)) streamed++;
            }
        }
        Console.WriteLine($"CloudTrail streamed {streamed} of {payloads}");
        Assert.True(streamed > 100, $"only {streamed} of {payloads} payloads streamed by the CloudTrail adapter");
    }

    [Fact]
    public void Every_corpus_record_in_an_envelope_and_its_mutations_give_the_document_paths_result()
    {
        var payloads = 0;
        var streamed = 0;
        var index = 0;
        foreach (var record in FuzzCorpus.CloudTrailRecords())
        {
            var recordBytes = Encoding.UTF8.GetBytes(record.ToJsonString());
            for (var i = 0; i < 40; i++)
            {
                var mutated = i == 0 ? recordBytes : EventMutator.Apply(recordBytes, [EventMutator.All[(i + index) % EventMutator.All.Length], EventMutator.All[(i * 7 + index) % EventMutator.All.Length]], i + 1000 * index);
                var detailType = (i % 3) switch { 0 => "AWS API Call via CloudTrail", 1 => "AWS Console Sign In via CloudTrail", _ => "AWS Service Event via CloudTrail" };
                var payload = Envelope(Encoding.UTF8.GetString(mutated), detailType);
                StreamingEquivalence.AssertSame(payload, Engine, $"record {index} mutation {i}");
                payloads++;
                if (StreamedByCloudTrail(payload)) streamed++;
            }
            index++;
        }
        Console.WriteLine($"CloudTrail streamed {streamed} of {payloads} enveloped records");
        Assert.True(payloads > 4_000, $"only {payloads} payloads");
        Assert.True(streamed > payloads / 5, $"only {streamed} of {payloads} enveloped records streamed");
        Assert.True(streamed < payloads, "no mutation declined");
    }

    [Theory]
    [InlineData("cloudtrail/eb-api-call-s3-createbucket-assumedrole.json")]
    [InlineData("cloudtrail/eb-console-signin-root-success-nomfa.json")]
    public void The_benchmarked_EventBridge_events_are_streamed_in_the_envelope_order_AWS_sends(string fixture)
    {
        // The CreateBucket sample lists its detail before its detail-type, which the router's one pass declines; EventBridge
        // itself sends version, id, detail-type, source, account, time, region, resources, detail.
        var sample = Fixtures.Shared(fixture);
        StreamingEquivalence.AssertSame(sample, Engine, fixture);
        var envelope = JsonNode.Parse(sample)!.AsObject();
        var ordered = new JsonObject();
        foreach (var name in new[] { "version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail" })
        {
            if (envelope[name] is { } value) ordered[name] = value.DeepClone();
        }
        var payload = Encoding.UTF8.GetBytes(ordered.ToJsonString());
        Assert.True(StreamedByCloudTrail(payload), fixture);
        var result = StreamingEquivalence.AssertSame(payload, Engine, fixture);
        Assert.NotEmpty(result.Evaluations);
    }

    public static TheoryData<string, string, bool> Details => new()
    {
        // Declined (the document path reads them, and words the skip or rejection).
        { "insight", """{"eventVersion": "1.08", "eventType": "AwsCloudTrailInsight", "insightDetails": {"eventName": "x"}}""", false },
        { "insight in a duplicate", """{"eventType": "AwsCloudTrailInsight", "eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "eventType": "AwsApiCall"}""", false },
        { "insight escaped", """{"eventType": "AwsCloudTrail\u0049nsight", "eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z"}""", false },
        { "escaped name", """{"event\u004eame": "Escaped", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z"}""", false },
        { "escaped unknown name", """{"eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "fo\u006f": 1}""", false },
        { "long s", """{"eventName": "CreateBucket", "eventſource": "long-s", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z"}""", false },
        { "non-ASCII unknown name", """{"eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "eventNamé": "x"}""", false },
        { "double", """{"eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "readOnly": 0.1}""", false },
        { "huge number", """{"eventName": 12345678901234567890, "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z"}""", false },
        { "1e400", """{"eventName": 1e400, "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z"}""", false },
        { "identity a string", """{"eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "userIdentity": "root"}""", false },
        { "identity wrong then right", """{"eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "userIdentity": 5, "userIdentity": {"type": "Root"}}""", false },
        { "session context an array", """{"eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "userIdentity": {"sessionContext": []}}""", false },
        { "attributes a string", """{"eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "userIdentity": {"sessionContext": {"attributes": "x"}}}""", false },
        { "issuer a boolean", """{"eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "userIdentity": {"sessionContext": {"sessionIssuer": true}}}""", false },
        { "resources an object", """{"eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "resources": {"ARN": "x"}}""", false },
        { "resource a string", """{"eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "resources": ["x"]}""", false },
        { "resource a number", """{"eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "resources": [{"ARN": "x"}, 5]}""", false },
        { "resources in other case a string", """{"eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "RESOURCES": "x"}""", false },
        { "escaped identity name", """{"eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "userIdentity": {"\u0074ype": "Root"}}""", false },
        { "too deep body", """{"eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "requestParameters": """ + new string('[', 70) + new string(']', 70) + "}", false },
        // Streamed, with the document path's result.
        { "usual", """{"eventVersion": "1.08", "eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "awsRegion": "us-east-1", "userIdentity": {"type": "Root", "arn": "arn:aws:iam::123456789012:root", "accountId": "123456789012"}, "requestParameters": {"bucketName": "b"}, "responseElements": null, "recipientAccountId": "123456789012"}""", true },
        { "other case", """{"EVENTNAME": "CreateBucket", "eventsource": "s3.amazonaws.com", "EventTime": "2026-01-01T00:00:00Z", "EventType": "AwsCloudTrailInsight", "USERIDENTITY": {"TYPE": "Root", "Arn": 7, "ACCOUNTID": "1", "sessioncontext": {"ATTRIBUTES": {"MFAAUTHENTICATED": true, "creationdate": 5}, "SESSIONISSUER": {"USERNAME": "u", "PRINCIPALID": "p", "ARN": "a", "Type": "Role", "accountid": "2"}, "SourceIdentity": "s"}}}""", true },
        { "duplicates", """{"eventName": "A", "eventName": "CreateBucket", "eventname": "PutBucketPolicy", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "userIdentity": {"type": "IAMUser"}, "userIdentity": null, "resources": [], "resources": null, "EventID": "x", "eventid": "y"}""", true },
        { "duplicate bodies", """{"eventName": "PutBucketPolicy", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "requestParameters": {"a": 1}, "requestParameters": {"bucketName": "b", "policy": [true]}, "REQUESTPARAMETERS": null, "responseelements": {"x": "y"}}""", true },
        { "bodies of every kind", """{"eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "requestParameters": "null", "responseElements": 5, "additionalEventData": [1, {"a": null}]}""", true },
        { "bodies with comments and trailing commas", """{"eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "requestParameters": /* c */ {"bucketName": "b", /* d */ "x": [1, 2,],}, "responseElements": {"a": 1} // e""" + "\n}", true },
        { "integers and literals", """{"eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "readOnly": -0, "errorCode": false, "errorMessage": true, "eventVersion": 108, "recipientAccountId": 123456789012}""", true },
        { "blank and odd strings", """{"eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "awsRegion": "\t\n", "userAgent": "\u0000", "errorCode": "\u200b", "errorMessage": "\u007fx", "eventType": " x", "requestID": "\u00a0", "sourceIPAddress": ""}""", true },
        { "escaped and non-ASCII strings", """{"eventName": "caf\u00e9", "eventSource": "café", "eventTime": "2026-01-01T00:00:00Z", "awsRegion": "\"quoted\"", "userAgent": "a\\b", "eventID": "\ud83d\ude00", "requestID": "x\/y"}""", true },
        { "long strings", """{"eventName": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "userAgent": " AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "errorMessage": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAé"}""", true },
        { "resources with nulls and other case", """{"eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "resources": [{"ARN": "arn:aws:s3:::b", "arn": "lower", "AccountID": 1, "TYPE": {"o": 1}}, null, {}], "Resources": [{"type": "t"}]}""", true },
        { "objects and arrays for strings", """{"eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "userIdentity": {"invokedBy": "AWS Internal", "accessKeyId": "", "userName": [], "principalId": {"a": [1]}, "sessionContext": null}}""", true },
        { "unknown fields of every kind", """{"eventName": "CreateBucket", "unknown": {"eventName": "B"}, "eventSource": "s3.amazonaws.com", "tlsDetails": [1, {"x": []}], "eventTime": "2026-01-01T00:00:00Z", "vpcEndpointId": null, "userIdentity": {"unknown": {"type": "x"}, "type": "y"}}""", true },
        { "empty", "{}", true },
        { "no event name", """{"eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z"}""", true },
        { "blank event name", """{"eventName": " ", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z"}""", true },
        { "bad time", """{"eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "yesterday, about noon, give or take an hour or so"}""", true },
        { "root console sign-in", """{"eventName": "ConsoleLogin", "eventSource": "signin.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "userIdentity": {"type": "Root", "arn": "arn:aws:iam::123456789012:root", "accountId": "123456789012"}, "responseElements": {"ConsoleLogin": "Success"}, "additionalEventData": {"MFAUsed": "No"}}""", true },
    };

    [Theory]
    [MemberData(nameof(Details))]
    public void Hand_made_records_are_streamed_or_declined_and_give_the_document_paths_result(string why, string record, bool streams)
    {
        foreach (var detailType in new[] { "AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail" })
        {
            var payload = Envelope(record, detailType);
            Assert.True(streams == StreamedByCloudTrail(payload), $"{why}: expected {(streams ? "streamed" : "declined")}");
            StreamingEquivalence.AssertSame(payload, Engine, why);
        }
    }

    [Fact]
    public void An_envelope_with_the_record_first_or_odd_envelope_fields_gives_the_document_paths_result()
    {
        const string record = """{"eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z"}""";
        foreach (var payload in new[]
        {
            $$"""{"detail": {{record}}, "source": "aws.s3", "detail-type": "AWS API Call via CloudTrail"}""",
            $$"""{"source": "aws.s3", "detail-type": "AWS API Call via CloudTrail", "detail": {{record}}}""",
            $$"""{"source": "aws.s3", "detail-type": "AWS API Call via CloudTrail", "account": "  ", "region": "xx-moon-1", "id": "é", "detail": {{record}}}""",
            $$"""{"source": "aws.s3", "detail-type": "AWS API Call via CloudTrail", "detail": {{record}}, "account": "111122223333"}""",
            $$"""{"source": "aws.s3", "detail-type": "Something via CloudTrail", "detail": {{record}}}""",
            $$"""{"source": "aws.s3", "detail-type": "AWS API Call via CloudTrail", "detail": {{record}}""",
        })
        {
            StreamingEquivalence.AssertSame(Encoding.UTF8.GetBytes(payload), Engine, payload);
        }
    }

    [Fact]
    public void A_record_before_the_envelope_names_its_adapter_is_read_in_place_and_gives_the_document_paths_result()
    {
        // The router reads a detail met before the source or detail type in place as a CloudTrail record when its first name
        // is eventVersion, and keeps that read only if the envelope then chooses the CloudTrail adapter: every corpus record
        // and its mutations, first in envelopes of several orders, under CloudTrail detail types and under another adapter's.
        var payloads = 0;
        var streamed = 0;
        var index = 0;
        foreach (var record in FuzzCorpus.CloudTrailRecords())
        {
            var ordered = new JsonObject { ["eventVersion"] = record["eventVersion"]?.DeepClone() ?? "1.08" };
            foreach (var (name, value) in record) if (name != "eventVersion") ordered[name] = value?.DeepClone();
            var recordBytes = Encoding.UTF8.GetBytes(ordered.ToJsonString());
            for (var i = 0; i < 12; i++)
            {
                var mutated = i == 0 ? recordBytes : EventMutator.Apply(recordBytes, [EventMutator.All[(i + index) % EventMutator.All.Length], EventMutator.All[(i * 5 + index) % EventMutator.All.Length]], i + 1000 * index);
                var detail = Encoding.UTF8.GetString(mutated);
                var payload = Encoding.UTF8.GetBytes((i % 4) switch
                {
                    0 => $$"""{"detail": {{detail}}, "source": "aws.s3", "detail-type": "AWS API Call via CloudTrail", "account": "123456789012", "region": "us-east-1"}""",
                    1 => $$"""{"version": "0", "id": "e1", "source": "aws.signin", "account": "123456789012", "time": "2026-01-01T00:00:05Z", "region": "eu-west-1", "resources": [], "detail": {{detail}}, "detail-type": "AWS Console Sign In via CloudTrail"}""",
                    2 => $$"""{"detail":{{detail}},"resources":["arn:aws:s3:::b"],"id":"e2","detail-type":"AWS Service Event via CloudTrail","source":"aws.s3","time":"2026-01-01T00:00:05Z"}""",
                    _ => $$"""{"detail": {{detail}}, "source": "aws.ssm", "detail-type": "Configuration Compliance State Change", "account": "123456789012"}""",
                });
                StreamingEquivalence.AssertSame(payload, Engine, $"record {index} mutation {i}");
                payloads++;
                if (StreamedByCloudTrail(payload)) streamed++;
            }
            index++;
        }
        Console.WriteLine($"CloudTrail streamed {streamed} of {payloads} records before their envelope");
        Assert.True(streamed > payloads / 6, $"only {streamed} of {payloads} records before their envelope streamed");
    }

    [Theory]
    [InlineData("""{"detail": {"eventVersion": "1.08", /* } */ "eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z"}, "source": "aws.s3", "detail-type": "AWS API Call via CloudTrail"}""", true)]
    [InlineData("""{"detail": {"eventVersion": "1.08", "eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "requestParameters": {"bucketName": "}]\"{["}}, "detail-type": "AWS API Call via CloudTrail", "source": "aws.s3"}""", true)]
    [InlineData("""{"detail": {"eventVersion": "1.08", "eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z"}, "source": "aws.s3", "detail-type": "AWS API Call via CloudTrail", "detail-type": "x"}""", false)]
    [InlineData("""{"detail": {"eventVersion": "1.08", "eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z"}, "source": "aws.s3", "detail-type": "AWS API Call via CloudTrail", x}""", false)]
    [InlineData("""{"detail": {"eventVersion": "1.08", "eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z"}, "source": "aws.example", "detail-type": "Something else"}""", false)]
    [InlineData("""{"detail": {"eventVersion": "1.08", "eventType": "AwsCloudTrailInsight", "insightDetails": {"eventName": "x"}}, "source": "aws.cloudtrail", "detail-type": "AWS Insight via CloudTrail"}""", false)]
    [InlineData("""{"detail": {"eventVersion": "1.08", "eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "event\u004eame": "x"}, "source": "aws.s3", "detail-type": "AWS API Call via CloudTrail"}""", false)]
    [InlineData("""{"detail": {"eventVersion": "1.08", "eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z"}, "source": "aws.s3", "detail-type": "AWS API Call via CloudTrail", "detail": {}}""", false)]
    public void A_record_before_the_envelope_is_streamed_or_declined_and_gives_the_document_paths_result(string json, bool streams)
    {
        // Read in place, a detail holding a comment with a bracket is no longer passed over by the bracket scan (which
        // declined it); a duplicate envelope field, invalid JSON after the detail, another adapter's or no adapter's
        // envelope, an Insights record and an escaped name still decline.
        var payload = Encoding.UTF8.GetBytes(json);
        Assert.True(streams == StreamedByCloudTrail(payload), $"expected {(streams ? "streamed" : "declined")}: {json}");
        StreamingEquivalence.AssertSame(payload, Engine, json);
    }

    public static TheoryData<string, string> BodySets => new()
    {
        { "two objects", """{"requestParameters": {"roleArn": "arn:aws:iam::1:role/r", "roleSessionName": "s"}, "responseElements": {"assumedRoleUser": {"arn": "arn:aws:sts::1:assumed-role/r/s"}}}""" },
        { "three of every container kind", """{"requestParameters": [], "responseElements": {}, "additionalEventData": [1, {"a": [null, true]}, "x"]}""" },
        { "one object, one null, one string", """{"requestParameters": {"bucketName": "b"}, "responseElements": null, "additionalEventData": "text"}""" },
        { "duplicates: an object replaced by null, null by an object, a number by an array", """{"requestParameters": {"a": 1}, "requestParameters": null, "responseElements": null, "RESPONSEELEMENTS": {"b": 2}, "additionalEventData": 5, "additionaleventdata": [3]}""" },
        { "duplicates: a string replaced by an object", """{"requestParameters": "x", "requestParameters": {"c": "d"}, "responseElements": {"e": 1}}""" },
        { "brackets, commas, quotes and escapes in strings", """{"requestParameters": {"k": "],[}{,\"\\\u005d"}, "responseElements": ["]", "}", ",", "\u00e9\u2028\ud83d\ude00"]}""" },
        { "comments and trailing commas in and after bodies", """{"requestParameters": /* a ] */ {"x": [1, 2,], /* } */ "y": {},} /* ] , */, "responseElements": // ]""" + "\n" + """{"z": null,}, "additionalEventData": {"w": /* [ */ 1}}""" },
        { "numbers of every form", """{"requestParameters": {"n": [0, -0, 1e400, -1.5E-7, 12345678901234567890123]}, "responseElements": {"m": 0.1}}""" },
        { "large bodies", """{"requestParameters": {"p": """ + "\"" + new string('p', 700) + "\"" + """}, "responseElements": {"q": [""" + string.Join(",", Enumerable.Range(0, 200)) + """]}}""" },
        { "deep bodies", """{"requestParameters": """ + new string('[', 58) + new string(']', 58) + """, "responseElements": """ + new string('[', 58) + "{}" + new string(']', 58) + "}" },
    };

    [Theory]
    [MemberData(nameof(BodySets))]
    public void Streamed_bodies_are_the_element_readers_bodies(string why, string bodies)
    {
        // A record's bodies of every shape, read in an envelope (in place, and before the envelope names its adapter), bare,
        // and in a log file: each has the element reader's kind and raw text, and the engine result is the document path's.
        var fields = bodies[1..^1];
        var record = "{\"eventVersion\": \"1.08\", \"eventName\": \"AssumeRole\", \"eventSource\": \"sts.amazonaws.com\", \"eventTime\": \"2026-01-01T00:00:00Z\", " + fields + "}";
        foreach (var json in new[]
        {
            Encoding.UTF8.GetString(Envelope(record, "AWS API Call via CloudTrail")),
            $$"""{"detail": {{record}}, "source": "aws.sts", "detail-type": "AWS API Call via CloudTrail"}""",
            record,
            $$"""{"Records": [{{record}}, {{record}}]}""",
        })
        {
            var payload = Encoding.UTF8.GetBytes(json);
            var large = payload.Length > CloudTrailAdapter.MaxStreamedRecordBytes;
            Assert.True(large != StreamedByCloudTrail(payload), $"{why}: {json}");
            StreamingEquivalence.AssertSame(payload, Engine, why);
            if (large) continue;
            EventStrings.BeginEvent();
            Assert.True(StreamingRouter.TryRead(payload, Engine.Adapters, StreamingEquivalence.Context, out var read));
            var streamed = read.State is List<CloudTrailRecord> file ? file[^1] : (CloudTrailRecord)read.State!;
            using var document = JsonDocument.Parse(record, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            var expected = CloudTrailRecordReader.Read(document.RootElement)!;
            foreach (var (actualBody, expectedBody) in new[] { (streamed.RequestParameters, expected.RequestParameters), (streamed.ResponseElements, expected.ResponseElements), (streamed.AdditionalEventData, expected.AdditionalEventData) })
            {
                Assert.Equal(expectedBody.ValueKind, actualBody.ValueKind);
                if (expectedBody.ValueKind != JsonValueKind.Undefined) Assert.Equal(expectedBody.GetRawText(), actualBody.GetRawText());
                if (expectedBody.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Number)) Assert.Equal(expectedBody.ToString(), actualBody.ToString());
            }
        }
    }

    [Fact]
    public void Reads_text_exactly_as_the_element_reader_for_values_of_every_kind()
    {
        var values = new List<string>
        {
            "null", "true", "false", "0", "-0", "1.5", "1e400", "-1e400", "12345678901234567890", "-9223372036854775808", "-9223372036854775809", "1E+2", "0.1", "7",
            "{}", "{\"a\": 1}", "[]", "[1, \"x\", {\"b\": [null]}]", "\"\"", "\" \"", "\"\\t\"", "\"\\u0000\"", "\"\\u200b\"", "\"\\u200bx\"", "\"\\u00a0x\"",
            "\"\u007f\"", "\"\u007fx\"", "\"x\u007f\"", "\"a\\\"b\"", "\"a\\\\b\"", "\"\\/\"", "\"é\"", "\"\\u00e9\"", "\"😀\"", "\" x\"", "\"x \"",
            "\"!\"", "\"~\"", "\"us-east-1\"", "\"AwsApiCall\"", "\"true\"", "\"123456789012\"",
        };
        var random = new Random(2011);
        var alphabet = " !\"#$%&'()*+,-./0123456789:;<=>?@AZ[\\]^_`az{|}~\u007f\u00a0é\u200b\u2028\t\n\r\u0001";
        var relaxed = new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        for (var i = 0; i < 2_000; i++)
        {
            var length = random.Next(4) switch { 0 => random.Next(0, 4), 1 => random.Next(60, 70), 2 => random.Next(100, 300), _ => random.Next(0, 40) };
            var text = new StringBuilder();
            for (var j = 0; j < length; j++)
                text.Append(random.Next(3) == 0 ? alphabet[random.Next(alphabet.Length)] : (char)random.Next('a', 'z' + 1));
            values.Add(JsonSerializer.Serialize(text.ToString()));
            values.Add(JsonSerializer.Serialize(text.ToString(), relaxed));
        }
        var declined = 0;
        foreach (var value in values)
        {
            var json = Encoding.UTF8.GetBytes($"{{\"v\": {value}, \"after\": 1}}");
            using var document = JsonDocument.Parse(json);
            EventStrings.BeginEvent();
            var expected = EventStrings.Lenient(document.RootElement.GetProperty("v"));
            var reader = new Utf8JsonReader(json);
            reader.Read();
            reader.Read();
            reader.Read();
            EventStrings.BeginEvent();
            if (!EventStrings.TryLenient(ref reader, out var actual))
            {
                // Only a number that is not a long declines (the element reader formats its double).
                Assert.Equal(JsonTokenType.Number, reader.TokenType);
                Assert.False(reader.TryGetInt64(out _), value);
                declined++;
                continue;
            }
            Assert.Equal(expected, actual);
            // The reader ends on the value's last token: the next is the following name.
            Assert.True(reader.Read());
            Assert.Equal(JsonTokenType.PropertyName, reader.TokenType);
            Assert.True(reader.ValueTextEquals("after"u8), value);
        }
        Assert.True(declined > 0);
    }

    [Fact]
    public void Every_corpus_record_alone_and_in_a_log_file_and_their_mutations_give_the_document_paths_result()
    {
        var payloads = 0;
        var streamed = 0;
        var unmutated = 0;
        var index = 0;
        var corpus = FuzzCorpus.CloudTrailRecords().ToList();
        foreach (var record in corpus)
        {
            // Alone (eventVersion first, as AWS writes it, which is what the one pass looks for), and in a log file with the
            // next two records of the corpus.
            var ordered = new JsonObject();
            if (record["eventVersion"] is { } version) ordered["eventVersion"] = version.DeepClone();
            foreach (var (name, value) in record) if (name != "eventVersion") ordered[name] = value?.DeepClone();
            var alone = Encoding.UTF8.GetBytes(ordered.ToJsonString());
            var file = Encoding.UTF8.GetBytes(new JsonObject
            {
                ["Records"] = new JsonArray(ordered.DeepClone(), corpus[(index + 1) % corpus.Count].DeepClone(), corpus[(index + 2) % corpus.Count].DeepClone()),
            }.ToJsonString());
            for (var i = 0; i < 40; i++)
            {
                foreach (var original in new[] { alone, file })
                {
                    var payload = i == 0 ? original : EventMutator.Apply(original, [EventMutator.All[(i + index) % EventMutator.All.Length], EventMutator.All[(i * 7 + index) % EventMutator.All.Length]], i + 1000 * index);
                    StreamingEquivalence.AssertSame(payload, Engine, $"record {index} {(original == alone ? "alone" : "in a log file")} mutation {i}");
                    payloads++;
                    if (StreamedByCloudTrail(payload))
                    {
                        streamed++;
                        if (i == 0) unmutated++;
                    }
                }
            }
            index++;
        }
        Console.WriteLine($"CloudTrail streamed {streamed} of {payloads} bare records and log files, {unmutated} of {2 * index} unmutated");
        Assert.True(payloads > 8_000, $"only {payloads} payloads");
        Assert.True(unmutated > index, $"only {unmutated} of {2 * index} unmutated bare records and log files streamed");
        Assert.True(streamed > payloads / 5, $"only {streamed} of {payloads} bare records and log files streamed");
        Assert.True(streamed < payloads, "no mutation declined");
    }

    [Theory]
    [InlineData("cloudtrail/raw-logfile-trailscraper-assumerole.json", true)]
    [InlineData("cloudtrail/raw-ec2-runinstances-root-autoscaling.json", false)]
    public void The_benchmarked_log_file_is_streamed_and_a_large_bare_record_is_not(string fixture, bool streams)
    {
        // RunInstances (11.6 KB) is mostly bodies, cheaper on the document path (CloudTrailAdapter.MaxStreamedRecordBytes).
        var payload = Fixtures.Shared(fixture);
        Assert.Equal(streams, StreamedByCloudTrail(payload));
        var result = StreamingEquivalence.AssertSame(payload, Engine, fixture);
        Assert.False(result.Rejected, result.Error);
        Assert.NotEmpty(result.Inputs);
    }

    [Fact]
    public void An_EventBridge_event_over_the_size_limit_takes_the_document_path()
    {
        // RunInstances in an envelope (12 KB, mostly bodies): declined before its detail; the same record without its
        // bodies is streamed.
        var record = JsonNode.Parse(Fixtures.Shared("cloudtrail/raw-ec2-runinstances-root-autoscaling.json"))!.AsObject();
        var large = Envelope(record.ToJsonString(), "AWS API Call via CloudTrail");
        Assert.True(large.Length > CloudTrailAdapter.MaxStreamedRecordBytes);
        Assert.False(StreamedByCloudTrail(large));
        StreamingEquivalence.AssertSame(large, Engine, "large");
        record.Remove("requestParameters");
        record.Remove("responseElements");
        var small = Envelope(record.ToJsonString(), "AWS API Call via CloudTrail");
        Assert.True(small.Length <= CloudTrailAdapter.MaxStreamedRecordBytes);
        Assert.True(StreamedByCloudTrail(small));
        StreamingEquivalence.AssertSame(small, Engine, "small");
    }

    private const string R1 = """{"eventVersion": "1.08", "eventName": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z", "userIdentity": {"type": "Root", "arn": "arn:aws:iam::123456789012:root", "accountId": "123456789012"}, "recipientAccountId": "123456789012", "awsRegion": "us-east-1", "requestParameters": {"bucketName": "b"}}""";

    private const string R2 = """{"eventVersion": "1.08", "eventName": "ConsoleLogin", "eventSource": "signin.amazonaws.com", "eventTime": "2026-01-01T00:00:01Z", "userIdentity": {"type": "Root", "arn": "arn:aws:iam::123456789012:root", "accountId": "123456789012"}, "responseElements": {"ConsoleLogin": "Success"}, "additionalEventData": {"MFAUsed": "No"}}""";

    public static TheoryData<string, string, bool> Roots => new()
    {
        // Streamed.
        { "log file", $$"""{"Records": [{{R1}}, {{R2}}]}""", true },
        { "empty log file", """{"Records": []}""", true },
        { "log file with other names", $$"""{"Records": [{{R1}}], "digest": {"a": [1]}, "version": 2}""", true },
        { "log file, a later record without eventVersion", $$"""{"Records": [{{R1}}, {"eventName": "X", "eventSource": "s", "eventTime": "2026-01-01T00:00:00Z"}]}""", true },
        { "log file, a later record rejected", $$"""{"Records": [{{R1}}, {"eventVersion": "1", "eventName": "X", "eventSource": "s", "eventTime": "soon"}]}""", true },
        { "log file, a later record without a name", $$"""{"Records": [{{R1}}, {"eventVersion": "1", "eventSource": "s", "eventTime": "2026-01-01T00:00:00Z"}]}""", true },
        { "log file with comments and trailing commas", $$"""{"Records": [{{R1}}, /* c */ {{R2}},], } // end""", true },
        { "bare record", R1, true },
        { "bare record with unknown names", R1[..^1] + """, "tlsDetails": {"tlsVersion": "TLSv1.2"}, "sharedEventID": "x"}""", true },
        { "bare record rejected", """{"eventVersion": "1.08", "eventName": "CreateBucket", "eventSource": "s3.amazonaws.com"}""", true },
        { "bare record, blank name", """{"eventVersion": "1.08", "eventName": " ", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z"}""", true },
        // Declined.
        { "log file beside an envelope's source", $$"""{"Records": [{{R1}}], "source": "aws.s3"}""", false },
        { "log file beside a detail-type", $$"""{"Records": [{{R1}}], "detail-type": "x", "source": "aws.s3", "detail": {"a": 1} }""", false },
        { "log file beside an invoking event", $$"""{"Records": [{{R1}}], "invokingEvent": "{}", "configRuleName": "r"}""", false },
        { "log file beside SNS names", $$"""{"Records": [{{R1}}], "Type": "Notification", "Message": "{}", "TopicArn": "arn"}""", false },
        { "log file, Records twice", $$"""{"Records": [{{R1}}], "Records": []}""", false },
        { "log file, Records not an array", """{"Records": {"a": 1}}""", false },
        { "log file, first record without eventVersion", $$"""{"Records": [{"eventName": "X", "eventSource": "s"}, {{R1}}]}""", false },
        { "log file, first record without eventName", $$"""{"Records": [{"eventVersion": "1", "eventSource": "s"}, {{R1}}]}""", false },
        { "log file, SQS batch", """{"Records": [{"messageId": "m", "eventSource": "aws:sqs", "body": "{}"}]}""", false },
        { "log file, a null record", $$"""{"Records": [{{R1}}, null]}""", false },
        { "log file, a string record", $$"""{"Records": [{{R1}}, "x"]}""", false },
        { "log file, an insight record", $$"""{"Records": [{{R1}}, {"eventVersion": "1.08", "eventType": "AwsCloudTrailInsight", "insightDetails": {"a": 1} }]}""", false },
        { "log file, escaped name", $$"""{"Records": [{{R1}}], "source": "aws.s3"}""", false },
        { "log file, trailing content", $$"""{"Records": [{{R1}}]} x""", false },
        { "log file, truncated", $$"""{"Records": [{{R1}}]""", false },
        { "bare record with a source and detail-type", R1[..^1] + """, "source": "aws.s3", "detail-type": "AWS API Call via CloudTrail"}""", false },
        { "bare record with an invoking event", R1[..^1] + """, "invokingEvent": "{}", "resultToken": "t"}""", false },
        { "bare record with Records", R1[..^1] + """, "Records": "x"}""", false },
        { "bare record with SNS names", R1[..^1] + """, "Type": "Notification", "Message": {"messageType": "x"}, "TopicArn": "arn"}""", false },
        { "bare record without eventSource", """{"eventVersion": "1.08", "eventName": "CreateBucket", "eventTime": "2026-01-01T00:00:00Z"}""", false },
        { "bare record, names in other case", """{"eventVersion": "1.08", "EVENTNAME": "CreateBucket", "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z"}""", false },
        { "bare insight record", """{"eventVersion": "1.08", "eventType": "AwsCloudTrailInsight", "insightDetails": {"eventName": "x", "eventSource": "y"}}""", false },
        { "bare record, config item names", """{"eventVersion": "1.08", "resourceType": "AWS::S3::Bucket", "configurationItemCaptureTime": "2026-01-01T00:00:00Z"}""", false },
    };

    [Theory]
    [MemberData(nameof(Roots))]
    public void Hand_made_log_files_and_records_are_streamed_or_declined_and_give_the_document_paths_result(string why, string json, bool streams)
    {
        var payload = Encoding.UTF8.GetBytes(json);
        Assert.True(streams == StreamedByCloudTrail(payload), $"{why}: expected {(streams ? "streamed" : "declined")}");
        StreamingEquivalence.AssertSame(payload, Engine, why);
    }

    [Fact]
    public void A_log_file_over_the_record_cap_declines_to_the_document_paths_rejection()
    {
        var record = """{"eventVersion": "1", "eventName": "A", "eventSource": "s", "eventTime": "2026-01-01T00:00:00Z"}""";
        foreach (var count in new[] { CloudTrailAdapter.MaxRecordsPerFile, CloudTrailAdapter.MaxRecordsPerFile + 1 })
        {
            var payload = Encoding.UTF8.GetBytes("{\"Records\": [" + string.Join(",", Enumerable.Repeat(record, count)) + "]}");
            Assert.Equal(count <= CloudTrailAdapter.MaxRecordsPerFile, StreamedByCloudTrail(payload));
            var result = StreamingEquivalence.AssertSame(payload, Engine, $"{count} records");
            if (count > CloudTrailAdapter.MaxRecordsPerFile) Assert.Contains("more than", result.Error ?? "", StringComparison.Ordinal);
        }
    }

    /// <summary>Whether the router's one pass reads the payload with the CloudTrail adapter (after the router's byte checks).</summary>
    private static bool StreamedByCloudTrail(byte[] payload)
    {
        ReadOnlyMemory<byte> prepared;
        try
        {
            prepared = EventRouter.Prepare(payload);
        }
        catch (EventRejectedException)
        {
            return false;
        }
        EventStrings.BeginEvent();
        return StreamingRouter.TryRead(prepared.Span, Engine.Adapters, StreamingEquivalence.Context, out var read) && read.Adapter is CloudTrailAdapter;
    }

    private static byte[] Envelope(string detail, string detailType) => Encoding.UTF8.GetBytes($$"""
        {"version": "0", "id": "6f1d2c3b-0000-4000-8000-000000000001", "detail-type": "{{detailType}}", "source": "aws.s3", "account": "123456789012", "time": "2026-01-01T00:00:05Z", "region": "us-east-1", "resources": [], "detail": {{detail}}}
        """);
}

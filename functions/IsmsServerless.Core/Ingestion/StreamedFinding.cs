using System.Text.Json;
using IsmsServerless.Events;

namespace IsmsServerless.Ingestion;

/// <summary>
/// An "Inspector2 Finding" detail read from a <see cref="Utf8JsonReader"/> into the records the binder makes of it
/// (<see cref="InspectorFindingDetail"/> and its nested records), for <see cref="Inspector2Adapter"/>'s streamed read.
/// Names are matched as the binder matches them (exact, then ignoring ASCII case; an escaped or non-ASCII name declines),
/// a later duplicate wins, strings are read leniently (<see cref="StreamedDetail.Lenient"/>), a nested record or list is
/// null for a JSON null, and any other kind where a record or a list is declared declines (the binder throws; the document
/// path words the rejection). Unknown properties are skipped.
/// </summary>
/// <remarks>
/// The properties the adapter never reads (<c>lastObservedAt</c>, the vulnerability's <c>vendorSeverity</c>,
/// <c>source</c> and <c>sourceUrl</c>, a package's <c>packageManager</c> and <c>remediation</c>, a resource's
/// <c>partition</c>) are checked as the binder would read them (a number that is not a finite double declines) and left
/// null: no string is made for them. The streaming equivalence tests compare the adapter's inputs on every corpus finding,
/// so an adapter change that starts reading one of them fails there.
/// </remarks>
internal static class StreamedFinding
{
    /// <summary><see cref="InspectorFindingDetail"/>'s JSON names in declaration order (tests hold them to the serializer's).</summary>
    internal static readonly byte[][] FindingNames = StreamedDetail.Names(
        "awsAccountId", "findingArn", "type", "status", "severity", "title", "firstObservedAt", "lastObservedAt", "updatedAt",
        "fixAvailable", "exploitAvailable", "inspectorScore", "packageVulnerabilityDetails", "resources");

    /// <summary><see cref="InspectorPackageVulnerabilityDetails"/>' JSON names.</summary>
    internal static readonly byte[][] VulnerabilityNames = StreamedDetail.Names(
        "vulnerabilityId", "vendorCreatedAt", "vendorSeverity", "source", "sourceUrl", "vulnerablePackages");

    /// <summary><see cref="InspectorVulnerablePackage"/>'s JSON names.</summary>
    internal static readonly byte[][] PackageNames = StreamedDetail.Names(
        "name", "version", "release", "fixedInVersion", "packageManager", "remediation");

    /// <summary><see cref="InspectorResource"/>'s JSON names.</summary>
    internal static readonly byte[][] ResourceNames = StreamedDetail.Names("id", "type", "region", "partition");

    /// <summary>The values Inspector gives its finding's type, status, severity and availability fields, and its resources' types (read as these constants).</summary>
    internal static readonly string[] KnownTypes = ["PACKAGE_VULNERABILITY", "NETWORK_REACHABILITY", "CODE_VULNERABILITY"];

    internal static readonly string[] KnownStatuses = ["ACTIVE", "CLOSED", "SUPPRESSED"];

    internal static readonly string[] KnownSeverities = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNTRIAGED"];

    internal static readonly string[] KnownAvailability = ["YES", "NO", "PARTIAL"];

    internal static readonly string[] KnownResourceTypes = ["AWS_EC2_INSTANCE", "AWS_ECR_CONTAINER_IMAGE", "AWS_ECR_REPOSITORY", "AWS_LAMBDA_FUNCTION", "CODE_REPOSITORY"];

    /// <summary>Reads the detail object the reader is on, leaving it on the object's end.</summary>
    public static InspectorFindingDetail Read(ref Utf8JsonReader reader)
    {
        string? account = null, arn = null, type = null, status = null, severity = null, title = null, firstObserved = null,
            updated = null, fix = null, exploit = null, score = null;
        InspectorPackageVulnerabilityDetails? vulnerability = null;
        List<InspectorResource?>? resources = null;
        while (NextProperty(ref reader))
        {
            var field = FindingField(ref reader);
            Value(ref reader);
            switch (field)
            {
                case 0: account = StreamedDetail.Lenient(ref reader); break;
                case 1: arn = StreamedDetail.Lenient(ref reader); break;
                case 2: type = StreamedDetail.Lenient(ref reader, KnownTypes); break;
                case 3: status = StreamedDetail.Lenient(ref reader, KnownStatuses); break;
                case 4: severity = StreamedDetail.Lenient(ref reader, KnownSeverities); break;
                case 5: title = StreamedDetail.Lenient(ref reader); break;
                case 6: firstObserved = StreamedDetail.Lenient(ref reader, updated); break;
                case 8: updated = StreamedDetail.Lenient(ref reader, firstObserved); break;
                case 9: fix = StreamedDetail.Lenient(ref reader, KnownAvailability); break;
                case 10: exploit = StreamedDetail.Lenient(ref reader, KnownAvailability); break;
                case 11: score = StreamedDetail.Lenient(ref reader); break;
                case 12: vulnerability = IsNull(ref reader) ? null : ReadVulnerability(ref reader); break;
                case 13: resources = ReadList(ref reader, ReadResource); break;
                case 7: SkipLenient(ref reader); break;
                default: reader.Skip(); break;
            }
        }
        return new InspectorFindingDetail
        {
            AwsAccountId = account,
            FindingArn = arn,
            Type = type,
            Status = status,
            Severity = severity,
            Title = title,
            FirstObservedAt = firstObserved,
            UpdatedAt = updated,
            FixAvailable = fix,
            ExploitAvailable = exploit,
            InspectorScore = score,
            PackageVulnerabilityDetails = vulnerability,
            Resources = resources,
        };
    }

    private static int FindingField(ref Utf8JsonReader reader)
    {
        var name = reader.ValueSpan;
        if (!reader.ValueIsEscaped)
        {
            switch (name.Length)
            {
                case 4 when name.SequenceEqual("type"u8): return 2;
                case 5 when name.SequenceEqual("title"u8): return 5;
                case 6 when name.SequenceEqual("status"u8): return 3;
                case 8 when name.SequenceEqual("severity"u8): return 4;
                case 9 when name.SequenceEqual("resources"u8): return 13;
                case 9 when name.SequenceEqual("updatedAt"u8): return 8;
                case 10 when name.SequenceEqual("findingArn"u8): return 1;
                case 12 when name.SequenceEqual("awsAccountId"u8): return 0;
                case 12 when name.SequenceEqual("fixAvailable"u8): return 9;
                case 14 when name.SequenceEqual("inspectorScore"u8): return 11;
                case 14 when name.SequenceEqual("lastObservedAt"u8): return 7;
                case 15 when name.SequenceEqual("firstObservedAt"u8): return 6;
                case 16 when name.SequenceEqual("exploitAvailable"u8): return 10;
                case 27 when name.SequenceEqual("packageVulnerabilityDetails"u8): return 12;
            }
        }
        return StreamedDetail.IndexIgnoringCase(ref reader, name, FindingNames);
    }

    private static InspectorPackageVulnerabilityDetails ReadVulnerability(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw StreamedDetail.Decline();
        string? id = null, vendorCreated = null;
        List<InspectorVulnerablePackage?>? packages = null;
        while (NextProperty(ref reader))
        {
            var name = reader.ValueSpan;
            var field = !reader.ValueIsEscaped && name.SequenceEqual("vulnerabilityId"u8) ? 0
                : !reader.ValueIsEscaped && name.SequenceEqual("vendorCreatedAt"u8) ? 1
                : !reader.ValueIsEscaped && name.SequenceEqual("vulnerablePackages"u8) ? 5
                : StreamedDetail.IndexIgnoringCase(ref reader, name, VulnerabilityNames);
            Value(ref reader);
            switch (field)
            {
                case 0: id = StreamedDetail.Lenient(ref reader); break;
                case 1: vendorCreated = StreamedDetail.Lenient(ref reader); break;
                case 5: packages = ReadList(ref reader, ReadPackage); break;
                case 2 or 3 or 4: SkipLenient(ref reader); break;
                default: reader.Skip(); break;
            }
        }
        return new InspectorPackageVulnerabilityDetails { VulnerabilityId = id, VendorCreatedAt = vendorCreated, VulnerablePackages = packages };
    }

    private static InspectorVulnerablePackage ReadPackage(ref Utf8JsonReader reader)
    {
        string? name = null, version = null, release = null, fixedIn = null;
        while (NextProperty(ref reader))
        {
            var field = ExactOrIgnoringCase(ref reader, PackageNames);
            Value(ref reader);
            switch (field)
            {
                case 0: name = StreamedDetail.Lenient(ref reader); break;
                case 1: version = StreamedDetail.Lenient(ref reader); break;
                case 2: release = StreamedDetail.Lenient(ref reader); break;
                case 3: fixedIn = StreamedDetail.Lenient(ref reader); break;
                case 4 or 5: SkipLenient(ref reader); break;
                default: reader.Skip(); break;
            }
        }
        return new InspectorVulnerablePackage { Name = name, Version = version, Release = release, FixedInVersion = fixedIn };
    }

    private static InspectorResource ReadResource(ref Utf8JsonReader reader)
    {
        string? id = null, type = null, region = null;
        while (NextProperty(ref reader))
        {
            var field = ExactOrIgnoringCase(ref reader, ResourceNames);
            Value(ref reader);
            switch (field)
            {
                case 0: id = StreamedDetail.Lenient(ref reader); break;
                case 1: type = StreamedDetail.Lenient(ref reader, KnownResourceTypes); break;
                case 2: region = StreamedDetail.Lenient(ref reader); break;
                case 3: SkipLenient(ref reader); break;
                default: reader.Skip(); break;
            }
        }
        return new InspectorResource { Id = id, Type = type, Region = region };
    }

    private delegate T ItemReader<T>(ref Utf8JsonReader reader);

    /// <summary>A list of records as the binder reads it: null for a JSON null, each item null or a record; else declines.</summary>
    private static List<T?>? ReadList<T>(ref Utf8JsonReader reader, ItemReader<T> item) where T : class
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.StartArray) throw StreamedDetail.Decline();
        // Inspector lists one resource per finding and most findings one package: sized for one, as the binder sizes it.
        var list = new List<T?>(1);
        while (true)
        {
            Value(ref reader);
            switch (reader.TokenType)
            {
                case JsonTokenType.EndArray: return list;
                case JsonTokenType.Null: list.Add(null); break;
                case JsonTokenType.StartObject: list.Add(item(ref reader)); break;
                default: throw StreamedDetail.Decline();
            }
        }
    }

    /// <summary>A name of <paramref name="names"/> in its exact spelling (a length and a byte compare each), else ignoring case.</summary>
    private static int ExactOrIgnoringCase(ref Utf8JsonReader reader, byte[][] names)
    {
        var name = reader.ValueSpan;
        if (!reader.ValueIsEscaped)
        {
            for (var i = 0; i < names.Length; i++)
            {
                if (name.SequenceEqual(names[i])) return i;
            }
        }
        return StreamedDetail.IndexIgnoringCase(ref reader, name, names);
    }

    private static bool IsNull(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.Null;

    /// <summary>Moves to the next property's name (true) or the object's end (false).</summary>
    private static bool NextProperty(ref Utf8JsonReader reader)
    {
        if (!reader.Read()) throw StreamedDetail.Decline();
        return reader.TokenType == JsonTokenType.PropertyName;
    }

    /// <summary>Moves to the next token (a value's first token, or an array's end).</summary>
    private static void Value(ref Utf8JsonReader reader)
    {
        if (!reader.Read()) throw StreamedDetail.Decline();
    }

    /// <summary>
    /// A lenient string no one reads: skipped, after the one check the binder's read could fail (a number that is not a
    /// finite double, which the streamed read declines rather than guess how the element would convert it).
    /// </summary>
    private static void SkipLenient(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Number && !reader.TryGetInt64(out _) && !reader.TryGetDouble(out _)) throw StreamedDetail.Decline();
        reader.Skip();
    }
}

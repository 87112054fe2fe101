using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using IsmsServerless.Engine;
using IsmsServerless.Events;
using IsmsServerless.Inputs;
using IsmsServerless.Observability;

namespace IsmsServerless.Ingestion;

/// <summary>
/// EventBridge "Configuration Compliance State Change" events (source <c>aws.ssm</c>) of compliance type
/// <c>Patch</c> → <see cref="InstancePatchComplianceInput"/>. Association and custom compliance types are not patch
/// compliance and yield nothing. The source must be exactly <c>aws.ssm</c>: the SSM docs' compliant example carries
/// <c>"source": "aws.123456789012"</c>, and an event claiming another source is not trusted as SSM's word.
/// </summary>
public sealed class SsmComplianceAdapter : IStreamingDetailAdapter
{
    public const string Source = "aws.ssm";
    public const string DetailType = "Configuration Compliance State Change";

    public string Name => "ssm-compliance";

    public bool CanAdapt(InboundEvent inbound) =>
        inbound.Kind == InboundKind.EventBridge && inbound.Source == Source && inbound.DetailType == DetailType;

    public IReadOnlyList<RuleInput> Adapt(InboundEvent inbound, EvaluationContext context)
    {
        // The detail's six fields found in one pass and decoded only when read (DetailFields); anything the pass cannot
        // read exactly as the binder does takes the binder (same record, same strings, same exceptions).
        if (!DetailFields.TryRead(inbound.Detail, out var fields))
        {
            var detail = DetailReader.Read(inbound, EventJsonContext.Default.SsmComplianceDetail);
            return Adapt(inbound, new DetailFields(detail));
        }
        return Adapt(inbound, fields);
    }

    /// <summary>
    /// The detail's six fields read from the bytes as <see cref="DetailFields.TryRead"/> reads them from the document (the
    /// same names, the same declines): the compliance type and status of AWS's usual spellings become their constants
    /// without a decode, <c>resource-type</c>, which nothing reads, is skipped. The state is the input itself for the usual
    /// event, else the record the binder would make, which <see cref="AdaptRead"/> takes through <c>Adapt</c>.
    /// </summary>
    public bool TryReadDetail(ref Utf8JsonReader reader, InboundEvent header, EvaluationContext context, out object? state)
    {
        state = null;
        string? resourceId = null, status = null, type = null, baseline = null, severity = null;
        var patch = false;
        while (true)
        {
            if (!reader.Read()) return false;
            if (reader.TokenType == JsonTokenType.EndObject) break;
            var name = reader.ValueSpan;
            var escaped = reader.ValueIsEscaped;
            var field = escaped ? Field.Other : FieldOf(name);
            if (field == Field.Other && (escaped || !Ascii.IsValid(name) || DetailFields.IsDeclaredIgnoringCase(name))) return false;
            if (!reader.Read()) return false;
            if (field == Field.Other)
            {
                reader.Skip();
                continue;
            }
            // A number in any of the six takes the binder (as DetailFields.TryRead declines it).
            if (reader.TokenType == JsonTokenType.Number) return false;
            switch (field)
            {
                case Field.ResourceType: reader.Skip(); break;
                case Field.ResourceId: resourceId = StreamedDetail.Lenient(ref reader); break;
                case Field.Severity: severity = StreamedDetail.Lenient(ref reader, KnownSeverities); break;
                case Field.PatchBaselineId: baseline = StreamedDetail.Lenient(ref reader); break;
                case Field.ComplianceType:
                    patch = reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && reader.ValueSpan.SequenceEqual("Patch"u8);
                    type = patch ? "Patch" : StreamedDetail.Lenient(ref reader);
                    break;
                case Field.ComplianceStatus:
                    status = reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped ? KnownStatus(reader.ValueSpan) : null;
                    status ??= StreamedDetail.Lenient(ref reader);
                    break;
            }
        }
        // The usual event (a patch verdict on a managed instance, in a status AWS spells) is its input already: no record in
        // between. Anything else (not patch, no instance, an unknown status: a log line or a rejection) is decided by Adapt
        // on the record, when AdaptRead runs.
        var instanceId = resourceId?.Trim();
        if (patch && DetailReader.IsManagedInstanceId(instanceId) && ComplianceStatus(status) is { } compliant)
        {
            state = Input(header, instanceId!, compliant, severity, baseline);
            return true;
        }
        state = new SsmComplianceDetail { ResourceId = resourceId, ComplianceStatus = status, ComplianceType = type, PatchBaselineId = baseline, Severity = severity };
        return true;
    }

    public IReadOnlyList<RuleInput> AdaptRead(object? state, InboundEvent header, EvaluationContext context) =>
        state as IReadOnlyList<RuleInput> ?? Adapt(header, new DetailFields((SsmComplianceDetail)state!));

    /// <summary>The severities SSM reports, in the docs' and the API's spellings (read as these constants).</summary>
    internal static readonly string[] KnownSeverities = ["critical", "high", "medium", "low", "informational", "unspecified", "CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNSPECIFIED"];

    /// <summary><see cref="SsmComplianceDetail"/>'s JSON names, in declaration order (the binder matches them ignoring case).</summary>
    internal static readonly byte[][] DetailNames = StreamedDetail.Names("resource-type", "resource-id", "compliance-status", "compliance-type", "patch-baseline-id", "severity");

    private enum Field { Other, ResourceType, ResourceId, ComplianceStatus, ComplianceType, PatchBaselineId, Severity }

    private static Field FieldOf(ReadOnlySpan<byte> name) => name.Length switch
    {
        8 when name.SequenceEqual("severity"u8) => Field.Severity,
        11 when name.SequenceEqual("resource-id"u8) => Field.ResourceId,
        13 when name.SequenceEqual("resource-type"u8) => Field.ResourceType,
        15 when name.SequenceEqual("compliance-type"u8) => Field.ComplianceType,
        17 when name.SequenceEqual("compliance-status"u8) => Field.ComplianceStatus,
        17 when name.SequenceEqual("patch-baseline-id"u8) => Field.PatchBaselineId,
        _ => Field.Other,
    };

    /// <summary>The four spellings of <c>compliance-status</c> AWS uses, as their constants (the text the bytes decode to).</summary>
    private static string? KnownStatus(ReadOnlySpan<byte> body) => body.Length switch
    {
        9 when body.SequenceEqual("compliant"u8) => "compliant",
        9 when body.SequenceEqual("COMPLIANT"u8) => "COMPLIANT",
        13 when body.SequenceEqual("non_compliant"u8) => "non_compliant",
        13 when body.SequenceEqual("NON_COMPLIANT"u8) => "NON_COMPLIANT",
        _ => null,
    };

    private static IReadOnlyList<RuleInput> Adapt(InboundEvent inbound, DetailFields detail)
    {
        if (!detail.IsPatch())
        {
            Log.Info("ssm-compliance.not-patch", ("complianceType", DetailReader.Shorten(detail.ComplianceType)));
            return [];
        }
        var resourceId = detail.ResourceId;
        var instanceId = resourceId?.Trim();
        if (!DetailReader.IsManagedInstanceId(instanceId))
            throw new EventRejectedException($"SSM patch compliance event names no managed instance id ('{DetailReader.Shorten(resourceId)}')");

        // "compliant" / "non_compliant" in the docs; the API spells them COMPLIANT / NON_COMPLIANT.
        bool compliant = detail.Compliant()
            ?? throw new EventRejectedException($"SSM patch compliance event has an unknown compliance-status '{DetailReader.Shorten(detail.ComplianceStatus)}'");
        return Input(inbound, instanceId!, compliant, detail.Severity, detail.PatchBaselineId);
    }

    private static IReadOnlyList<RuleInput> Input(InboundEvent inbound, string instanceId, bool compliant, string? severity, string? baselineId) =>
    [
        new InstancePatchComplianceInput
        {
            AccountId = inbound.Account ?? "unknown",
            Region = inbound.Region ?? "unknown",
            ObservedAt = inbound.Time,
            SourceEventId = inbound.Id,
            InstanceId = instanceId,
            Compliant = compliant,
            SeverityText = severity,
            BaselineId = baselineId,
            Origin = "ssm-event",
            NonCompliantSince = compliant ? null : inbound.Time,
        },
    ];

    /// <summary>
    /// The fields of the detail the adapter reads, as <see cref="SsmComplianceDetail"/>'s binder reads them, decoded only
    /// when read: the compliance type and status of the usual spellings are compared as bytes (no string), and
    /// <c>resource-type</c>, which nothing reads, is never decoded. <see cref="TryRead"/> declines (and the binder reads the
    /// detail) for a detail that is not an object, a property name that is escaped, not ASCII, or one of the six names in
    /// another case (the binder matches names case-insensitively), and a number in any of the six (the binder converts or
    /// throws on it), so every accepted value is a string, a literal, null, an object or an array, which the binder's
    /// lenient read never fails on. A later duplicate wins, as in the binder.
    /// </summary>
    internal readonly struct DetailFields
    {
        private readonly JsonElement _resourceId, _complianceStatus, _complianceType, _patchBaselineId, _severity;
        private readonly SsmComplianceDetail? _bound;

        public DetailFields(SsmComplianceDetail bound) => _bound = bound;

        private DetailFields(JsonElement resourceId, JsonElement complianceStatus, JsonElement complianceType, JsonElement patchBaselineId, JsonElement severity)
        {
            _resourceId = resourceId;
            _complianceStatus = complianceStatus;
            _complianceType = complianceType;
            _patchBaselineId = patchBaselineId;
            _severity = severity;
        }

        public static bool TryRead(JsonElement detail, out DetailFields fields)
        {
            fields = default;
            if (detail.ValueKind != JsonValueKind.Object) return false;
            JsonElement resourceId = default, status = default, type = default, baseline = default, severity = default;
            foreach (var property in detail.EnumerateObject())
            {
                var raw = JsonMarshal.GetRawUtf8PropertyName(property);
                var value = property.Value;
                switch (raw.Length)
                {
                    case 8 when raw.SequenceEqual("severity"u8): severity = value; break;
                    case 11 when raw.SequenceEqual("resource-id"u8): resourceId = value; break;
                    case 13 when raw.SequenceEqual("resource-type"u8): break;
                    case 15 when raw.SequenceEqual("compliance-type"u8): type = value; break;
                    case 17 when raw.SequenceEqual("compliance-status"u8): status = value; break;
                    case 17 when raw.SequenceEqual("patch-baseline-id"u8): baseline = value; break;
                    default:
                        // Another property: the binder skips it unless it is one of the six in another case or escaped.
                        if (raw.IndexOf((byte)'\\') >= 0 || !Ascii.IsValid(raw) || IsDeclaredIgnoringCase(raw)) return false;
                        continue;
                }
                if (value.ValueKind == JsonValueKind.Number) return false;
            }
            fields = new DetailFields(resourceId, status, type, baseline, severity);
            return true;
        }

        internal static bool IsDeclaredIgnoringCase(ReadOnlySpan<byte> name)
        {
            foreach (var declared in DetailNames)
            {
                if (Ascii.EqualsIgnoreCase(name, declared)) return true;
            }
            return false;
        }

        public string? ResourceId => _bound is { } b ? b.ResourceId : Lenient(_resourceId);
        public string? ComplianceStatus => _bound is { } b ? b.ComplianceStatus : Lenient(_complianceStatus);
        public string? ComplianceType => _bound is { } b ? b.ComplianceType : Lenient(_complianceType);
        public string? PatchBaselineId => _bound is { } b ? b.PatchBaselineId : Lenient(_patchBaselineId);
        public string? Severity => _bound is { } b ? b.Severity : Lenient(_severity);

        /// <summary><c>compliance-type</c> trimmed is <c>Patch</c> in any case (the exact spelling decided from its bytes).</summary>
        public bool IsPatch()
        {
            if (_bound is null && _complianceType.ValueKind == JsonValueKind.String && JsonMarshal.GetRawUtf8Value(_complianceType).SequenceEqual("\"Patch\""u8))
                return true;
            return string.Equals(ComplianceType?.Trim(), "Patch", StringComparison.OrdinalIgnoreCase);
        }

        /// <summary><see cref="SsmComplianceAdapter.ComplianceStatus"/> of <c>compliance-status</c> (the four spellings AWS uses decided from their bytes).</summary>
        public bool? Compliant()
        {
            if (_bound is null && _complianceStatus.ValueKind == JsonValueKind.String)
            {
                var raw = JsonMarshal.GetRawUtf8Value(_complianceStatus);
                if (raw.SequenceEqual("\"non_compliant\""u8) || raw.SequenceEqual("\"NON_COMPLIANT\""u8)) return false;
                if (raw.SequenceEqual("\"compliant\""u8) || raw.SequenceEqual("\"COMPLIANT\""u8)) return true;
            }
            return SsmComplianceAdapter.ComplianceStatus(ComplianceStatus);
        }

        /// <summary>What the binder's lenient string read returns for a value other than a number (absent: null).</summary>
        private static string? Lenient(JsonElement value) => value.ValueKind switch
        {
            JsonValueKind.String => Model.Present.OrNull(EventStrings.GetString(value)),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => null,
        };
    }

    /// <summary>
    /// True for COMPLIANT, false for NONCOMPLIANT, null for anything else, after trimming, upper-casing (invariant) and
    /// dropping <c>_</c> and <c>-</c>: the test <c>status.Trim().ToUpperInvariant().Replace("_", "").Replace("-", "")</c>
    /// made, compared character by character instead of building three strings per event.
    /// </summary>
    internal static bool? ComplianceStatus(string? text)
    {
        var status = (text ?? "").AsSpan().Trim();
        if (Matches(status, "COMPLIANT")) return true;
        if (Matches(status, "NONCOMPLIANT")) return false;
        return null;

        static bool Matches(ReadOnlySpan<char> status, string expected)
        {
            var at = 0;
            foreach (var c in status)
            {
                if (c is '_' or '-') continue;
                if (at == expected.Length || char.ToUpperInvariant(c) != expected[at]) return false;
                at++;
            }
            return at == expected.Length;
        }
    }
}

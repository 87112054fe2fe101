using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using IsmsServerless.Inputs;
using IsmsServerless.Model;

namespace IsmsServerless.Changes;

/// <summary>
/// One classified mutating call, with everything the register needs to fold it into its session's record.
/// Built from a <see cref="CloudTrailInput"/> by <see cref="ChangeClassifier"/>.
/// </summary>
public sealed record ChangeCall
{
    private const int MaxResourcesPerCall = 10;
    private const int MaxValueLength = 256;

    public required string ChangeId { get; init; }
    public required ChangeKind Kind { get; init; }

    /// <summary>CloudTrail eventID (a GUID), else qualified by a digest of the call (<see cref="CloudTrailInput.CallId"/>).</summary>
    public required string EventId { get; init; }

    public required string EventName { get; init; }
    public required string EventSource { get; init; }
    public required DateTimeOffset EventTime { get; init; }
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required string Actor { get; init; }
    public required string Principal { get; init; }
    public string? RoleName { get; init; }
    public string? SessionIssuerArn { get; init; }
    public string? AccessKeyId { get; init; }
    public DateTimeOffset? SessionCreatedAt
    {
        get => _sessionCreatedAt;
        init
        {
            _sessionCreatedAt = value;
            _sessionCreatedText.Value = null;
        }
    }

    public required string SessionKey { get; init; }

    private readonly DateTimeOffset? _sessionCreatedAt;

    // The wire text of SessionCreatedAt when From wrote it into the session key, so the change evidence does not format it
    // again. Not part of the record's value (MemoSlot equals every other slot); setting SessionCreatedAt (a `with` copy
    // included) clears it.
    private MemoSlot _sessionCreatedText;

    /// <summary><see cref="Timestamps.ToWire"/> of <see cref="SessionCreatedAt"/>, or null without one.</summary>
    internal string? SessionCreatedText =>
        _sessionCreatedText.Value as string ?? (_sessionCreatedAt is { } created ? Timestamps.ToWire(created) : null);
    public string? CallerAccountId { get; init; }
    public string? SourceIp { get; init; }
    public IReadOnlyList<string> Resources { get; init; } = [];

    public string ApiName => string.Concat(ServiceOf(EventSource), ":", EventName);

    // The last eventSource whose service name was asked on this thread, and that name. Within an event the resource list
    // and the API name ask for the same source; across events the source is one shared string (EventStrings' table), so
    // the replacement is made once, not twice per change evaluation. Strings are immutable: same instance, same answer.
    [ThreadStatic] private static string? t_source;
    [ThreadStatic] private static string? t_service;

    /// <summary><c>eventSource.Replace(".amazonaws.com", "", Ordinal)</c>: "s3.amazonaws.com" → "s3".</summary>
    internal static string ServiceOf(string eventSource)
    {
        if (ReferenceEquals(eventSource, t_source) && t_service is { } service) return service;
        service = eventSource.Replace(".amazonaws.com", "", StringComparison.Ordinal);
        t_source = eventSource;
        t_service = service;
        return service;
    }

    // One SHA-256 state per thread, reset after each id: OpenSSL's one-shot builds and frees a digest context per call.
    [ThreadStatic] private static IncrementalHash? t_sha256;

    internal static ChangeCall From(CloudTrailInput input, ChangeKind kind)
    {
        var record = input.Record;
        var identity = record.UserIdentity;
        var eventTime = input.ObservedAt ?? throw new ArgumentException("a CloudTrail input always has an event time", nameof(input));
        var sessionCreated = Timestamps.ParseOrNull(identity?.SessionContext?.Attributes?.CreationDate);
        var accessKey = string.IsNullOrWhiteSpace(identity?.AccessKeyId) ? null : identity.AccessKeyId;
        var createdText = sessionCreated is { } created ? Timestamps.ToWire(created) : null;
        var sessionKey = SessionKeyOf(input, accessKey, createdText, eventTime);
        var callerAccount = identity?.AccountId is { Length: > 0 } caller && caller != input.AccountId ? caller : null;
        var call = new ChangeCall
        {
            ChangeId = ChangeIdOf(input.AccountId, sessionKey),
            Kind = kind,
            EventId = input.CallId,
            EventName = input.EventName,
            EventSource = input.EventSource,
            EventTime = eventTime,
            AccountId = input.AccountId,
            Region = input.Region,
            Actor = input.Actor,
            Principal = PrincipalName.Of(identity, input.AccountId),
            RoleName = input.RoleName,
            SessionIssuerArn = identity?.SessionContext?.SessionIssuer?.Arn,
            AccessKeyId = accessKey,
            SessionCreatedAt = sessionCreated,
            SessionKey = sessionKey,
            CallerAccountId = callerAccount,
            SourceIp = record.SourceIpAddress,
            Resources = ResourcesOf(input),
        };
        call._sessionCreatedText.Value = createdText;
        return call;
    }

    /// <summary>
    /// The session: the principal (for a role session its ARN names the session) plus the session's creation time
    /// identify one console sign-in or one AssumeRole. Not the access key: the console rotates a session's temporary
    /// ASIA… key while the session lasts (real samples show two keys under one creationDate). Long-term keys (AKIA…,
    /// CLI users) have no session, so their calls group per principal, key and UTC day.
    /// </summary>
    private static string SessionKeyOf(CloudTrailInput input, string? accessKey, string? createdText, DateTimeOffset eventTime)
    {
        var identity = input.Record.UserIdentity;
        var principal = identity?.Arn ?? identity?.PrincipalId ?? input.Actor;
        // The session's creation time as the ledger writes it (Timestamps.ToWire), concatenated (no pooled buffer).
        if (createdText is not null)
            return string.Concat("session|", principal, "|", createdText);
        return $"day|{principal}|{accessKey ?? ""}|{eventTime.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}";
    }

    /// <summary>
    /// <c>chg-</c> and the first 12 bytes, in lower-case hex, of the SHA-256 of UTF-8(<paramref name="accountId"/> U+001F
    /// <paramref name="sessionKey"/>): the change record's and the finding's identity, so its value never changes (ledgers
    /// hold these ids). Encoded into a stack or pooled buffer, not through an intermediate string and byte array.
    /// </summary>
    public static string ChangeIdOf(string accountId, string sessionKey)
    {
        ArgumentNullException.ThrowIfNull(accountId);
        ArgumentNullException.ThrowIfNull(sessionKey);
        // The separator is ASCII, so encoding the two texts apart gives the bytes of their concatenation (a lone surrogate
        // at the end of one cannot pair with the start of the next across it).
        var length = Encoding.UTF8.GetMaxByteCount(accountId.Length + 1 + sessionKey.Length);
        byte[]? rented = null;
        var buffer = length <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var written = Encoding.UTF8.GetBytes(accountId, buffer);
            buffer[written++] = 0x1F;
            written += Encoding.UTF8.GetBytes(sessionKey, buffer[written..]);
            Span<byte> hash = stackalloc byte[32];
            var sha = t_sha256 ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            sha.AppendData(buffer[..written]);
            sha.GetHashAndReset(hash);
            return string.Create(4 + 24, hash[..12], static (text, digest) =>
            {
                "chg-".CopyTo(text);
                Convert.TryToHexStringLower(digest, text[4..], out _);
            });
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// The resources a call touched: CloudTrail's own <c>resources</c> ARNs, else top-level request parameters whose
    /// names say they identify something (…Name, …Id, …Arn), as <c>service:key/value</c>. Bounded and length-capped:
    /// request parameters are caller-controlled text.
    /// </summary>
    private static IReadOnlyList<string> ResourcesOf(CloudTrailInput input)
    {
        // Distinct, in ordinal order, at most MaxResourcesPerCall: a sorted list (a call names a handful at most).
        List<string>? found = null;
        foreach (var resource in input.Record.Resources ?? [])
        {
            if (!string.IsNullOrWhiteSpace(resource.Arn)) AddSorted(ref found, Cap(resource.Arn));
            if (found?.Count >= MaxResourcesPerCall) return found;
        }
        var parameters = input.Record.RequestParameters;
        if (found is null && parameters.ValueKind == JsonValueKind.Object)
        {
            string? service = null;
            foreach (var property in parameters.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.String || !Identifies(property)) continue;
                var name = property.Name;
                var value = property.Value.GetString();
                if (string.IsNullOrWhiteSpace(value)) continue;
                service ??= ServiceOf(input.EventSource);
                AddSorted(ref found, value.StartsWith("arn:", StringComparison.Ordinal) ? Cap(value) : Cap(string.Concat([service, ":", name, "/", value])));
                if (found!.Count >= MaxResourcesPerCall) break;
            }
        }
        return found is null ? Array.Empty<string>() : found;
    }

    private static void AddSorted(ref List<string>? list, string value)
    {
        if (list is null)
        {
            // The first resource needs no search (most calls name one).
            list = new List<string>(4) { value };
            return;
        }
        var at = list.BinarySearch(value, StringComparer.Ordinal);
        if (at < 0) list.Insert(~at, value);
    }

    /// <summary>
    /// <see cref="Identifies(string)"/> on the raw UTF-8 name, so names that identify nothing are never decoded. Exact for
    /// ASCII names (no other character folds to the ASCII letters compared); an escaped or non-ASCII name is decoded.
    /// </summary>
    private static bool Identifies(JsonProperty property)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(property);
        if (raw.IndexOf((byte)'\\') >= 0 || !Ascii.IsValid(raw)) return Identifies(property.Name);
        return (raw.Length >= 4 && Ascii.EqualsIgnoreCase(raw[^4..], "Name"u8)) || raw.EndsWith("Id"u8)
            || (raw.Length >= 3 && Ascii.EqualsIgnoreCase(raw[^3..], "Arn"u8)) || raw.SequenceEqual("name"u8) || raw.SequenceEqual("bucketName"u8)
            || raw.SequenceEqual("key"u8);
    }

    private static bool Identifies(string key) =>
        key.EndsWith("Name", StringComparison.OrdinalIgnoreCase) || key.EndsWith("Id", StringComparison.Ordinal)
        || key.EndsWith("Arn", StringComparison.OrdinalIgnoreCase) || key is "name" or "bucketName" or "key";

    private static string Cap(string value) => value.Length <= MaxValueLength ? value : value[..MaxValueLength] + "…";
}

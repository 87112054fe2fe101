using IsmsServerless.Engine;
using IsmsServerless.Events;
using IsmsServerless.Model;

namespace IsmsServerless.Inputs;

/// <summary>One CloudTrail record with the facts every CloudTrail rule needs already derived.</summary>
public sealed record CloudTrailInput : RuleInput
{
    public required CloudTrailRecord Record { get; init; }

    /// <summary>EventBridge <c>detail-type</c> when it came through EventBridge, else null.</summary>
    public string? DetailType { get; init; }

    /// <summary>
    /// For a failed console sign-in in the store-backed pipeline: failures of the same user and the same source IP within
    /// <see cref="Settings.IsmsSettings.FailedLoginWindowMinutes"/>, this one included (set by
    /// <see cref="Monitoring.SignInFailureCounter"/>). Null in <c>./isms evaluate</c>, which keeps no state.
    /// </summary>
    public SignInFailureCounts? RecentSignInFailures { get; init; }

    /// <summary>
    /// The call's identity for keys (finding sub-keys, change calls, sign-in failure counts). CloudTrail's
    /// <c>eventID</c> is a GUID unique per event; redacted and hand-written records (detection-rule test data, anonymised
    /// samples: <c>"1"</c>, <c>"XXXXXXXXXXX"</c>, <c>"{REDACTED}"</c>, <c>"-"</c>) reuse one placeholder across distinct calls,
    /// which would merge them into one finding or one call. A non-GUID id is therefore qualified with a digest of the
    /// call's identifying fields (a re-delivered duplicate has the same digest, so duplicates still fold); a missing one
    /// is the digest alone.
    /// </summary>
    public string CallId => CallIdOf(Record, Actor);

    internal static string CallIdOf(CloudTrailRecord record, string actor)
    {
        var id = record.EventId?.Trim();
        if (id is { Length: > 0 } && Guid.TryParse(id, out _)) return id;
        var parameters = record.RequestParameters.ValueKind is System.Text.Json.JsonValueKind.Undefined ? "" : record.RequestParameters.GetRawText();
        var canonical = string.Join('\u001f', record.EventTime, record.EventSource, record.EventName, actor, record.RecipientAccountId,
            record.AwsRegion, record.RequestId, parameters);
        Span<byte> hash = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(canonical), hash);
        var digest = Convert.ToHexStringLower(hash[..16]);
        return id is { Length: > 0 } ? $"{id}~{digest}" : "synthetic-" + digest;
    }

    // The change classification of this input under one settings object, computed once for the change rules, the
    // implementer rule and the change register (ChangeClassifier). Not part of the record's value: MemoSlot compares equal
    // to any other, and a `with` copy, which copies the slot, recomputes (the memo names the input it was computed for).
    private MemoSlot _changeMemo;

    internal ref MemoSlot ChangeMemo => ref _changeMemo;

    public string EventName => Record.EventName ?? "";
    public string EventSource => Record.EventSource ?? "";

    /// <summary>CloudTrail rules are keyed on the service that was called (<c>eventSource</c>).</summary>
    public override string? DispatchKey => EventSource;
    public string IdentityType => Record.UserIdentity?.Type ?? "";

    /// <summary>The call failed (AccessDenied, UnauthorizedOperation, ...): attempted, not changed.</summary>
    public bool Failed => !string.IsNullOrEmpty(Record.ErrorCode) || !string.IsNullOrEmpty(Record.ErrorMessage);

    /// <summary>
    /// The call may change state. CloudTrail's <c>readOnly</c> is authoritative when present; old records lack it,
    /// so the verb decides: Describe/Get/List/Head/Lookup and friends are reads.
    /// </summary>
    public bool Mutating
    {
        get
        {
            // Tools that re-serialize records through Python write "True"/"False"; AWS writes JSON booleans.
            var readOnly = Record.ReadOnly.AsSpan().Trim();
            if (readOnly.Equals("true", StringComparison.OrdinalIgnoreCase)) return false;
            if (readOnly.Equals("false", StringComparison.OrdinalIgnoreCase)) return true;
            return !IsReadVerb(EventName);
        }
    }

    /// <summary>The role name for an assumed-role session (the session issuer's userName), else null.</summary>
    public string? RoleName => Record.UserIdentity?.SessionContext?.SessionIssuer is { Type: "Role" } issuer
        ? issuer.UserName ?? RoleNameFromArn(issuer.Arn)
        : null;

    /// <summary>Who acted, as an auditor would write it: the principal ARN, else type and principal id.</summary>
    public string Actor
    {
        get
        {
            var id = Record.UserIdentity;
            if (id is null) return "unknown";
            if (!string.IsNullOrEmpty(id.Arn)) return id.Arn;
            if (!string.IsNullOrEmpty(id.UserName)) return $"{id.Type}:{id.UserName}";
            if (!string.IsNullOrEmpty(id.InvokedBy)) return id.InvokedBy;
            return $"{id.Type ?? "unknown"}:{id.PrincipalId ?? "unknown"}";
        }
    }

    /// <summary>
    /// An AWS service acting on its own (identity type <c>AWSService</c>, a service-linked role, or <c>invokedBy</c> a
    /// service such as <c>autoscaling.amazonaws.com</c>), not a person. <c>invokedBy</c> values that are the console
    /// itself (<see cref="PersonInvokers"/>: <c>signin.amazonaws.com</c> in AWS's own records of console calls, e.g. the
    /// CloudTrail user guide's StartLogging and Redshift's CreateCluster examples) are a person working in the console.
    /// </summary>
    public bool IsAwsService =>
        IdentityType is "AWSService"
        || (RoleName?.StartsWith("AWSServiceRoleFor", StringComparison.Ordinal) ?? false)
        || (Record.UserIdentity?.InvokedBy is { Length: > 0 } by && IsServiceInvoker(by));

    /// <summary>A person in the console: <c>invokedBy</c> is one of <see cref="PersonInvokers"/> or a service's console host.</summary>
    public bool InvokedByConsole => Record.UserIdentity?.InvokedBy is { Length: > 0 } by && (PersonInvokers.Contains(by.Trim()) || IsConsoleHost(by));

    /// <summary>
    /// A console host as CloudTrail writes it in <c>userAgent</c> or <c>invokedBy</c>: the bare
    /// <c>console.amazonaws.com</c> or a service's own console, <c>console.&lt;service&gt;.amazonaws.com</c>
    /// (e.g. <c>console.ec2.amazonaws.com</c>, which the EC2 console records for AuthorizeSecurityGroupIngress).
    /// </summary>
    public static bool IsConsoleHost(string value)
    {
        var host = value.AsSpan().Trim();
        return host.StartsWith("console.", StringComparison.OrdinalIgnoreCase)
            && (host.EndsWith(".amazonaws.com", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".aws.amazon.com", StringComparison.OrdinalIgnoreCase))
            && host.IndexOfAny(' ', '/', '(') < 0;
    }

    /// <summary><c>invokedBy</c> values CloudTrail writes for calls a person makes through the AWS Management Console.</summary>
    public static IReadOnlySet<string> PersonInvokers { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "signin.amazonaws.com", "console.amazonaws.com", "console.aws.amazon.com",
    };

    private static bool IsServiceInvoker(string invokedBy)
    {
        var by = invokedBy.Trim();
        return by.EndsWith(".amazonaws.com", StringComparison.OrdinalIgnoreCase) && !PersonInvokers.Contains(by)
            && !by.StartsWith("console.", StringComparison.OrdinalIgnoreCase);
    }

    public override IEnumerable<Evaluation> Dispatch(RuleRegistry registry, EvaluationContext context) =>
        registry.Evaluate(this, context);

    /// <summary>Common evidence for an evaluation raised from this record, with room for eight lines a rule adds.</summary>
    public Dictionary<string, string> Evidence() => Evidence(extra: 8);

    /// <summary>
    /// Common evidence for an evaluation raised from this record, sized for these lines and the <paramref name="extra"/>
    /// lines the rule adds, so it is never regrown and holds no unused slots (order, hence output, is insertion order).
    /// </summary>
    public Dictionary<string, string> Evidence(int extra)
    {
        var record = Record;
        var role = RoleName;
        var count = 3 + (record.EventId is null ? 0 : 1) + (record.EventTime is null ? 0 : 1) + (record.SourceIpAddress is null ? 0 : 1)
            + (record.ErrorCode is null ? 0 : 1) + (role is null ? 0 : 1);
        var evidence = new Dictionary<string, string>(count + Math.Max(0, extra), StringComparer.Ordinal)
        {
            ["eventName"] = EventName,
            ["eventSource"] = EventSource,
            ["actor"] = Actor,
        };
        if (record.EventId is { } eventId) evidence["eventId"] = eventId;
        if (record.EventTime is { } time) evidence["eventTime"] = time;
        if (record.SourceIpAddress is { } ip) evidence["sourceIp"] = ip;
        if (record.ErrorCode is { } error) evidence["errorCode"] = error;
        if (role is not null) evidence["role"] = role;
        return evidence;
    }

    internal static bool IsReadVerb(string eventName) =>
        eventName.StartsWith("Describe", StringComparison.Ordinal) || eventName.StartsWith("Get", StringComparison.Ordinal)
        || eventName.StartsWith("List", StringComparison.Ordinal) || eventName.StartsWith("Head", StringComparison.Ordinal)
        || eventName.StartsWith("Lookup", StringComparison.Ordinal) || eventName.StartsWith("Search", StringComparison.Ordinal)
        || eventName.StartsWith("Query", StringComparison.Ordinal) || eventName.StartsWith("Scan", StringComparison.Ordinal)
        || eventName.StartsWith("BatchGet", StringComparison.Ordinal) || eventName.StartsWith("Check", StringComparison.Ordinal)
        || eventName is "ConsoleLogin" or "CheckMfa" or "SwitchRole" or "ExitRole" or "RenewRole";

    private static string? RoleNameFromArn(string? arn)
    {
        if (string.IsNullOrEmpty(arn)) return null;
        var slash = arn.LastIndexOf('/');
        return slash >= 0 && slash < arn.Length - 1 ? arn[(slash + 1)..] : null;
    }
}

/// <summary>Failed console sign-ins within the burst window, by the failing user and by the source IP.</summary>
public sealed record SignInFailureCounts(int ByUser, int ByIp, int WindowMinutes);

/// <summary>
/// A per-input cache slot outside the record's value: every slot equals every other and hashes to 0, so record equality,
/// hashing and printing of the input are what they were without it.
/// </summary>
internal struct MemoSlot : IEquatable<MemoSlot>
{
    public object? Value;

    public readonly bool Equals(MemoSlot other) => true;
    public override readonly bool Equals(object? obj) => obj is MemoSlot;
    public override readonly int GetHashCode() => 0;
}

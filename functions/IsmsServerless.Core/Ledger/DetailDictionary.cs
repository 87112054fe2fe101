using System.Buffers;
using System.IO.Compression;
using System.Text;

namespace IsmsServerless.Ledger;

/// <summary>
/// A fixed dictionary for the finding item's <c>detail</c> (issue 20 wave 9; docs/data-model.md "Finding item layout,
/// wave 9"). A finding's detail is ~400–2,000 bytes of JSON, too short for Brotli to learn its own vocabulary: the member
/// names, the evidence keys every rule writes, the ARN prefixes and the rules' message phrases cost most of the
/// compressed bytes. Brotli in .NET takes no custom dictionary, so the dictionary primes the stream instead: the encoder
/// compresses <see cref="Text"/>, flushes (a byte-aligned end of metablock), then compresses the detail JSON, which
/// refers back into the dictionary like into any earlier text. Only the bytes after the flush are stored.
/// <para>
/// The bytes before the flush (the primed prefix) are this encoder's output for <see cref="Text"/> at one quality; they
/// are kept here as constants (<see cref="Prefix5"/>, <see cref="Prefix11"/>), so a reader needs no encoder: it
/// decodes prefix + stored bytes with any Brotli decoder and drops the dictionary from the front of the output. A writer
/// primes only when its encoder still produces exactly these prefixes (checked once per process): a runtime whose Brotli
/// encodes the dictionary differently writes the unprimed <c>detail</c> of wave 8 instead, never an item no reader could
/// decode. The dictionary and its prefixes never change once written; a new dictionary is a new format byte.
/// </para>
/// </summary>
internal static class DetailDictionary
{
    /// <summary>The stored value's first byte: version 1 of the dictionary, primed at quality 5.</summary>
    public const byte FormatQuality5 = 1;

    /// <summary>The stored value's first byte: version 1 of the dictionary, primed at quality 11.</summary>
    public const byte FormatQuality11 = 2;

    private const int Window = 18;

    /// <summary>
    /// Version 1: the detail's own skeleton and member names, every evidence key the rules write, and the fixed phrases of
    /// their messages and diffs (what repeats from finding to finding); the most frequent last (nearest, cheapest to refer to).
    /// </summary>
    public static readonly byte[] Text = Encoding.UTF8.GetBytes(
        "backupPlanArn backupPlanId backupResourceType backupRetentionPeriod recoveryPointAgeUnit recoveryPointAgeValue restoreTestingPlanArn "
        + "nextRestoreTestDue selectionName planName jobKind jobId lastOperationEndTime completionDate completedWithIssues "
        + "requiredRetentionDays minRetentionDays maxAgeDays requiredFrequencyValue requiredFrequencyUnit copyRegions destinationRegion sourceRegion "
        + "replicationRole replicaBuckets pointInTimeRecovery continuousBackup isEncrypted malwareProtectionPlan scanResultStatus scanEndTime "
        + "obligationId attestedBy attestedAt decidedBy decidedAt reviewer reviewedAt verdict satisfiedBy satisfiedAt implementerRoles authorRoles "
        + "authorisedRoles emergencyRole callerAccountId callCount lastCallAt firstCallAt accessKeyId sessionArn threats campaign classification "
        + "\"complianceType\":\"NON_COMPLIANT\",\"configRuleName\":\"\",\"managedRuleIdentifier\":\"\",\"previousComplianceType\":\"COMPLIANT\","
        + "\"pingStatus\":\"Online\",\"platform\":\"\",\"patchId\":\"\",\"cveIds\":\"\",\"exploitAvailable\":\"\",\"vendorSeverity\":\"\",\"windowMinutes\":\"15\","
        + "Systems Manager reports  NON_COMPLIANT with baseline  patches missing) \"baselineId\":\"\",\"origin\":\"ssm-event\",\"ssmSeverity\":\"critical\","
        + "Root user  signed in to the console without MFA (MFAUsed=No) from Failed console sign-in for  from  (Failed authentication); "
        + " for the user and  from the IP within  minutes, below the burst threshold  failed console sign-ins for  within  minutes (threshold ), latest from "
        + "\"failuresByIp\":\"\",\"failuresByUser\":\"\",\"user\":\"\",\"actor\":\"IAMUser:\",\"eventName\":\"ConsoleLogin\",\"eventSource\":\"signin.amazonaws.com\","
        + "Manual console change on production by Change outside the deployment pipeline by  as role  (change chg-); review due within 24h of the session's first call "
        + "\"call\":\"\",\"changeId\":\"chg-\",\"changeKind\":\"manual-console\",\"out-of-pipeline\",\"principal\":\"\",\"resources\":\"\",\"role\":\"\",\"sessionCreatedAt\":\"\","
        + " called iam: on arn:aws:iam:::user/:role/:root\",\"eventSource\":\"iam.amazonaws.com\",\"ec2.amazonaws.com\",\"s3.amazonaws.com\",\"rds.amazonaws.com\","
        + " vulnerability  on arn:aws:ecr::repository//sha256: (no fixed version named); fix availability not reported; fix available; published  days before it was first observed here "
        + "\"evidence\":{\"clockStartSource\":\"firstObservedAt\",\"cveAgeDays\":\"\",\"eventId\":\"\",\"findingArn\":\"arn:aws:inspector2::finding/\",\"firstObservedAt\":\"\","
        + "\"fixAvailable\":\"absent\",\"inspectorResourceType\":\"AWS_ECR_CONTAINER_IMAGE\",\"AWS_EC2_INSTANCE\",\"inspectorScore\":\"\",\"inspectorSeverity\":\"\","
        + "\"inspectorStatus\":\"ACTIVE\",\"packages\":\"\",\"policyVersion\":\"\",\"vendorCreatedAt\":\"\",\"vulnerabilityId\":\"CVE-\"},"
        + "AWS::EC2::Instance AWS::EC2::Volume AWS::EC2::SecurityGroup AWS::RDS::DBInstance AWS::SQS::Queue AWS::IAM::User AWS::IAM::Role AWS::ECR::Repository "
        + "AWS::S3::Bucket drifts from the AWS::S3::Bucket baseline : s3.encryption-at-rest: supplementaryConfiguration.ServerSideEncryptionConfiguration is not configured, "
        + "expected default encryption (SSE-S3 or SSE-KMS) configured; s3.public-access-blocked.BlockPublicAcls: supplementaryConfiguration.PublicAccessBlockConfiguration.BlockPublicAcls "
        + "is not set, expected true; s3.public-access-blocked.IgnorePublicAcls: .BlockPublicPolicy: .RestrictPublicBuckets: s3.tls-required: supplementaryConfiguration.BucketPolicy.policyText "
        + "is false, expected true; (RunInstances by ): volume  requested with encrypted=false (encrypted anyway if EBS encryption by default is on; the volume's Config item confirms) "
        + "configuration.storageEncrypted configuration.KmsMasterKeyId | configuration.SqsManagedSseEnabled https://sqs..amazonaws.com/ "
        + "\"evidence\":{\"actor\":\"arn:aws:sts:::assumed-role/\",\"baseline\":\"AWS::@\",\"changeType\":\"CREATE\",\"configurationItemCaptureTime\":\"\","
        + "\"configurationItemStatus\":\"ResourceDiscovered\",\"OK\",\"eventId\":\"\",\"eventName\":\"\",\"eventSource\":\"\",\"eventTime\":\"\",\"policyVersion\":\"2026.\","
        + "\"resourceId\":\"\",\"resourceType\":\"AWS::\",\"sourceIp\":\"\",\"trigger\":\"config-item-change\",\"unmetRequirements\":\"\"},"
        + "\"diff\":[{\"path\":\"supplementaryConfiguration.\",\"expected\":\"true\",\"actual\":\"not set\"},{\"path\":\"configuration.\",\"expected\":\"\",\"actual\":\"false\"}],"
        + "{\"resourceId\":\"arn:aws:\",\"subKey\":\"\",\"message\":\"\",\"evidence\":{\"actor\":\"arn:aws:iam::\",\"eventId\":\"\",\"policyVersion\":\"2026.\"},"
        + "\"firstSeenAt\":\"2026-01-01T00:00:00.000Z\",\"atRiskAt\":\"\",\"tl\":\"2026-01-01T00:00:00.000Z|=|=||=#1|=|1\"}");

    /// <summary>This encoder's bytes for <see cref="Text"/> at quality 5, window 18, up to the flush (base64; see the class remarks).</summary>
    private static readonly byte[] Prefix5 = Convert.FromBase64String(Prefix5Base64);

    /// <summary>The same at quality 11.</summary>
    private static readonly byte[] Prefix11 = Convert.FromBase64String(Prefix11Base64);

    private const string Prefix5Base64 =
        "A1AIAMQvX9W+ft8gV6RptpMOX6OKbzg+lZC6VmBiJe2FAhjswjZdrub+nTpgFyGrK4RcuEwvuQ+PCJMrAai+qk4loCRZ5cHVxlDbw4UICJcum4c//iB329aFIgV8+0v/ICwERmRmgxG8l2PYUuLokUgc/77fRg5aHOjnwPqM1qCg38EdiXI4dA3cH1eVXr/IdN1MIxyDNVg4dwcmOv+PN9cc/EOk9JBTdtNRMp/IMngZr+HsDkMcw8Jp1qfJ/8p6LEUyCaRiDuatFq4XnDh8Vt19caCkaCWvPgoUmn5IuiIcPtjLGys6cAwC+VO2DZFyRk+iruWmSiK29L0wy80nUsHF8nvKMDZVydSxk/fdHHLMMtPIT4NlGZrUd0oeJ9feuUTbFFWEIOYQpLnl5TK6anWaJVPIzDH5OkoPp+qPk37WJ6cKhaeGfQG/yULHYGABSm+QP3dLyXOjWA7I4lZmOlkoPIiH0oh9Ant13eZYyOeZUxoeFHa1UKWZ7y39LXodNITuuWvbQmHRnKZZ995r6ksPIRGO5ua4DrABwRTQrNfs570ivDA2E2MXrP5njDXrzfrf+Wa1/aks1jszNo4iU+WWrLLPWGPGZh0O6Qs8pbei3J4pFQsfcNI5bRfdXMfhoJ64sWaBFyiJtk7PksbEepw2x9Jn9DS3VHp5ECs5dLIWt45bB0D33bcUfEz1OZBirP0Trw7SseKQlQjkL96YcZw7DtdHFlS6uotJBRi7hNeRcDnAnxdgSNK8WRDhcBjClAsuyR9uyYqcJh7JY8ZpJ1e8VM+0a824ilFxTqi/AoQPgTw44B9bwKEDufi+mBWrqwKD1VXxs5D/dh2H8HjDuHLckm8AlKITDpGUKvkxeAZbAzWR0qPDS1SE3pCJuAu+FWR7y23feQ6Avw2OETy7cJOTqFlJ8cm3Bvac2PKoI3YeBo1jwzG8PvUuDa2ZnEhmfdmJ1JEb+FnMaz2nMq7R+Bgpi1UVaS0DxM5Was95wiAniikugo56+BA4TCNm1N3J2dmWzHjlQnbtaCh25BEDwgzMl/xNj3nZ+Vl3xxQE0+Gpa2M/0yWQFdpM300PONmrvzgwINjXHA+T4aUPKcBnklL+5esjsDLPXt/XMr9x6ntg/uK5gOTQ7oCkmQuBImasgQZqMhKwzIGsk7ifMIdztI9Dw50jqlLIU5K1FucUcyPnLgQcGpaQa+rwYHeyAppwKVh3JzbPY62OPGeWDPx18ajivym708vDDTUv8y8urx5umrzcnohrnrGCW9YePBnUJJjdvyKsMfVnZ3J0L9+8tRiEuFKbAmxA0BPxw8uSdSwTSjTjIaqDuJB8lftausTipREPQI91oOsE7pz+BBRS2NXLNQNoDGMfAZjR8lamfLCd2jz4CvV7HJLZ94E8hcsR55L1FMntmKrIBOloesRfWlvJOquvIc9ETrj3oo7/BgP0bNJxgaHfMtYUv9b/LufVv/PNeleU62X1b7kqflyacen+l/+W6/qG9XxJSNaYlDp15Lv9tONbxIQDivmu/GUZds2nOyW39dhy0+NJyia/rzHTE41loMh+ZP7LcmKex8WvtbXL+Utry3CG2usaQvYLv8Q2n54yNTWZUwS5VGZUi/oiixkFo/5Y5z9mynlGWazAMTnfMKoz+YPVnWmcTCb2yloU9Er4xHvdYNDWMaNSj4W8mhIW6uQYJk4neLNuIbkDHlmX+nn8tjNo9ExrIxhKNXtaNnbXioLF9FVT0EF+DLpXUZw8APRx6PidGNT1clK/QkxI3X+9qoft5SWbOFl8zQSh0CZelPx0e4wXmHv8ommFc1EViGBbTRUdOTGM64WUfzxL9eGytKI8hJjo0UXa2hpfxGIK23OJGy1i3IrKKGgrE3x8+AOihkTVnlp1Zkf3yjluUemfCoMqB6OTEluSQ4uVuxGRI2wlxMLK8ZNfRzGIQeZ/wIX+zvXgPZazWovBm163vMuw1qXlUSexrwUDqIGVTsq9Lp1EzTQs2JS5zh0Il2uqzF6fZOVEKcHTkz3d7qs/I6Cs1ELL4JE6PI6q3eEWD5HPMvX8JznzpQILCCfYIyrW2kMCvH4SjYJmDNfIkyWt/SF0CnjarJbFbol3mb93lUqnues0J9p44CCsrWW6LuEzowuWrZfXJW/GZnPtvF1YRR8kRaajT63ng4N6jp/GbkH65MljS4uMuOLOjjelAUDgUOREufZEHICxauFEWpkyWDA633c9j43n/d7YPx9huTyiqMO0cYLoaMQRY80zITYrYw6enEnzPKZ3ug0JV3M065eY57/Hj8MX2ofx5vPNNUUW3uYXYj1Mq0H0otXTYQhePUfTbE0UAg4UvWdyfjE5v9idn9tfW6ee8z94b2jF8iksXa62Lb719O3Tt09P3764ePr26cI8Gw==";
    private const string Prefix11Base64 =
        "A1AIABwHbizHSit23O9aqb6+O5t2NxPcCqlIvszg0nBaQbCSUIEzi8rZTuuwzPVtlh2Qrv7nfr2/CHJ9ratTfefSUrazWaAHBYQkRVCE41thO74sxRey9BhqdaS9NeLAhYBK0rz3+MUvWm2lN1SO8DXQflEMQYrMGEiQhxSVFbQQSL9oqkbUzZJ8Im4g5Sv7kNKgEfubbm2rkwUNjVAFQW7SynSSBtpcWLz2wySm3TRtoqexATqjQ8QKE3pTrAmhuWKJQXfJs+YhGu63azWiVfVlGl6SpKQVJR/4ItotYf6zMW+NIQYnZGpnwTkp04y+ju8t3JQKD9h4HdOmPV1BrW71SuS3QOAmuty1hTzM7WxlM1VD9EPtYGfj7p9Y7QOGmmdB5TugPdhCAka9brVQBUjPoNctMGdkG1BeofNFS8o+uAIPB9QKvnQdH0ZBPOUUt3lzleiyIzB5M6vSWGjM2OWa39P+TFSHEAHKcT1VBrRknWvd5Iw6D1KxgG4irqkEnCChLcSZPNiI9b+C8PLq8m//6uL6XKvLOwwJBRT4iPh3obmIU7h57bFoxzBQtlYacNs+7AjujjbEUfFklkzrs2etugyMuEdfe4MT3JK056vwXNPp4yvxYZ8NecpD6e5MO2THYdmyc3sfa+eKKpG0RG6FtKPRAZIDcYJGsgtioNRlPbTXWDI9XLCdeS4oksfWw1gpKfRYzyyEmjYcIMWgpFnj1GHYvRefFFS/QO1x27vLVDd4WKVMPQDSTIR4JG0DqJwB1wqKpdCndeCQQoNWtQ3zDvT1IIbQW9t0dv9gkbmgVZNpcna+ckxafEsCewgqz3kdzPqWQ+axn3udbrM0NIXuJz9tXqxts66k21SrCycNeadsFyyVve8Rk1Nr5ovZVR6jhyfMYWZXPJFxrFSnqeG54w6OMo+b1RHbPcZTO0tdTYdiBQ4/z4NVnBlABfAENx6Juk7r0i8ol4qdvfGmsjIlTqSrAim4ib9x4gkc4x1AmmnGKPDBooETKQFmnrQoIg1F5GBqoiUDNaYoRp1UpyQ2sgu9niofPCKwLdi5zKBzbI7SrliaeSnLyG9KMPjt8alkf+Y0+fluJLdj/njevWw0e74VHnlI+leiONXIZdTun+FQUu42N3lsd/YPJFQx9TRItwEJML7O5haYS0kVumIn1Yze9EWg58Fa19a81KYQ2iwdFGi2o0eUX0lqs/whf+5q6atC94QllwjzU0mOyHheZbJjRbEtckvVo9iR0tGzN/E1eAFyy5qK5nbAZMvgRMLQPBCqr+Zv0789BnP+TzXssh3u/D1U9QgQKbxzoGIe0+n4S3kCT+X0Am0lLGaZT+TJiO4n0PRWxAzKsi/3vzQC/1NfjZRNf0fKQbXAmPVVg7sqjJOQy3a12xPzmJMehJq5MTQSSUtNqwsQptAIXF3BN24vhpwCJt+VUgr6KPgchqXBkHRjXOkECby7QbLQvEKKwhaRiYvUuXna5u6wR3mPmYdN8NR4jl3NIDDqO2cxJL/DAOlACwL+LFTGNMLsQsqw9ubZhan9N99Ek8XwtpBQnGiS0+HYtK6tP1y5GcdcnQII+Y2dJMFpMp5kKvFHK+Fqo/QJPYop0y0CzTsbzcwhtu/IwZUvkVupMHaVGQv5+OoTxB4ZKk9iBoYpe4EVqtLx3lXdLiLSNZm39GtDqw7+5GkksXRIMube8lFFonLNxu6iDsIQmp5xrGxN/jAKeYpv5m01fzVIADqCpYXouJgtWdLeM7k85SQ/m/PeV1k8vd3Teb25Z4GyMEya3tFxcr+D73mD8t+6SUtVFjAieBIXllL2DjQFN8KrVByhZJWUH1mn0DeeR27YRPHD9i+yl9vhXZB+066MdCnNDOae5V3h1RnxjmWVmElGhhZmmvLhoR5C3q2gb8kUW9KaLeJwdStN6QH6aIrCbYvsgIz1VpxT2XoGPv+H/6EPwyH6+YitLWOEOI7YCRLjHR8ssbUWModUzgoP3t06EJF32t9491/i5GvpI707F4Mz4izS5meDq8QakV6icrrKjHf/uelJhiiqYjURW9s/NtxtbcnlG37rR9ybZfsuZUsvWGboo/v07vumW/fZ9q/TbbwB";

    private static readonly Lazy<bool> Primes5 = new(() => PrefixOf(5).AsSpan().SequenceEqual(Prefix5));
    private static readonly Lazy<bool> Primes11 = new(() => PrefixOf(11).AsSpan().SequenceEqual(Prefix11));

    /// <summary>Whether this process's encoder reproduces the kept prefix of <paramref name="quality"/> (5 or 11), so it may write primed values.</summary>
    public static bool CanPrime(int quality) => quality switch { 5 => Primes5.Value, 11 => Primes11.Value, _ => false };

    /// <summary>This process's encoder's prefix for the dictionary at <paramref name="quality"/> (the constants were made by it; tests compare).</summary>
    internal static byte[] PrefixOf(int quality)
    {
        using var encoder = new BrotliEncoder(quality, Window);
        var buffer = new byte[BrotliEncoder.GetMaxCompressedLength(Text.Length) + 64];
        if (encoder.Compress(Text, buffer, out _, out var written, isFinalBlock: false) != OperationStatus.Done
            || encoder.Flush(buffer.AsSpan(written), out var flushed) != OperationStatus.Done)
            throw new InvalidOperationException("Brotli could not prime the detail dictionary");
        return buffer.AsSpan(0, written + flushed).ToArray();
    }

    /// <summary>
    /// The stored value of <paramref name="json"/> primed by the dictionary at <paramref name="quality"/> (5 or 11): the
    /// format byte and the Brotli bytes after the prefix. Null when this process cannot prime at that quality (<see cref="CanPrime"/>).
    /// </summary>
    public static byte[]? Compress(ReadOnlySpan<byte> json, int quality)
    {
        if (!CanPrime(quality)) return null;
        var prefix = quality == 5 ? Prefix5 : Prefix11;
        using var encoder = new BrotliEncoder(quality, Window);
        var buffer = ArrayPool<byte>.Shared.Rent(prefix.Length + 64 + BrotliEncoder.GetMaxCompressedLength(json.Length) + 64);
        try
        {
            if (encoder.Compress(Text, buffer, out _, out var written, isFinalBlock: false) != OperationStatus.Done
                || encoder.Flush(buffer.AsSpan(written), out var flushed) != OperationStatus.Done
                || !buffer.AsSpan(0, written + flushed).SequenceEqual(prefix))
                throw new InvalidOperationException("Brotli primed the detail dictionary differently from its first check");
            var start = written + flushed;
            if (encoder.Compress(json, buffer.AsSpan(start), out var consumed, out var body, isFinalBlock: true) != OperationStatus.Done || consumed != json.Length)
                throw new InvalidOperationException("Brotli compression failed");
            var stored = new byte[1 + body];
            stored[0] = quality == 5 ? FormatQuality5 : FormatQuality11;
            buffer.AsSpan(start, body).CopyTo(stored.AsSpan(1));
            return stored;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The detail JSON of a primed stored value, in a buffer rented from <see cref="ArrayPool{T}.Shared"/> (the caller
    /// returns it; the JSON is <c>rented[offset..(offset + length)]</c>). False, with the reason and nothing rented, for an
    /// unknown format byte, bytes that do not decode after the prefix, or JSON beyond <paramref name="maxBytes"/>.
    /// </summary>
    public static bool TryDecompress(ReadOnlySpan<byte> stored, int maxBytes, out byte[] rented, out int offset, out int length, out string problem)
    {
        rented = [];
        offset = length = 0;
        if (stored.Length < 2 || stored[0] is not (FormatQuality5 or FormatQuality11)) { problem = "unknown dictionary format"; return false; }
        var prefix = stored[0] == FormatQuality5 ? Prefix5 : Prefix11;
        var whole = ArrayPool<byte>.Shared.Rent(prefix.Length + stored.Length - 1);
        try
        {
            prefix.CopyTo(whole, 0);
            stored[1..].CopyTo(whole.AsSpan(prefix.Length));
            if (!Storage.CompressedAttribute.TryDecompress(whole.AsSpan(0, prefix.Length + stored.Length - 1), Text.Length + maxBytes, out rented, out var written, out problem))
                return false;
            if (written < Text.Length || !rented.AsSpan(0, Text.Length).SequenceEqual(Text))
            {
                ArrayPool<byte>.Shared.Return(rented);
                rented = [];
                problem = "the value does not follow the dictionary";
                return false;
            }
            offset = Text.Length;
            length = written - Text.Length;
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(whole);
        }
    }
}

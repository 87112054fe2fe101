using System.Buffers;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace IsmsServerless.Drift;

/// <summary>
/// The stored configuration's compressed layout (issue 20; docs/data-model.md, "Drift"): a resource's configuration,
/// supplementary configuration and tags, three JSON texts of one to tens of KB, kept as ONE binary attribute
/// (<see cref="Attribute"/>) holding a format byte and the Brotli-compressed UTF-8 of
/// <c>{"c":configuration,"s":supplementaryConfiguration,"t":tags,"a":arn,"n":name,"acct":account,"r":region,"st":status}</c>, plus <see cref="DigestAttribute"/>, a digest of that
/// uncompressed text, which decides ties of equal capture times (order-free, as the plain text's ordinal order did).
/// AWS documents this for large attribute values ("Best practices for storing large items and attributes": compress
/// them and store them as Binary); DynamoDB bills a write per started KB of the whole item, so a 1.7 KB configuration
/// item (2 units, plus its index entries) becomes one under 1 KB (1 unit), and a 20 KB one a few units.
/// </summary>
public static class PackedConfiguration
{
    /// <summary>The binary attribute holding <see cref="Format"/> + the compressed texts.</summary>
    public const string Attribute = "configZ";

    /// <summary>First 64 bits of the SHA-256 of the uncompressed texts, lower-case hex: the tie-break of equal capture times.</summary>
    public const string DigestAttribute = "configDigest";

    /// <summary>The format byte: 1 = Brotli of the UTF-8 JSON object below. Another value is not read (malformed item).</summary>
    public const byte Format = 1;

    public const string ConfigurationKey = "c";
    public const string SupplementaryKey = "s";
    public const string TagsKey = "t";
    public const string ArnKey = "a";
    public const string NameKey = "n";
    public const string AccountKey = "acct";
    public const string RegionKey = "r";
    public const string StatusKey = "st";

    /// <summary>The stored configuration's descriptive facts kept in the blob (issue 20: off the item's plain attributes).</summary>
    public sealed record Facts(string? ResourceName, string AccountId, string Region, string Status);

    /// <summary>A string fact of an unpacked document, or null.</summary>
    public static string? Text(JsonElement root, string key) =>
        root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>
    /// Largest uncompressed size read back: the store refuses configurations over <see cref="DriftStore.MaxConfigurationChars"/>
    /// characters, at most 3 UTF-8 bytes each, plus the tags. A blob inflating beyond it is not read (no decompression bomb).
    /// </summary>
    public const int MaxUnpackedBytes = DriftStore.MaxConfigurationChars * 3 + 256 * 1024;

    /// <summary>
    /// Brotli window (log2): 64 KB. Measured: at quality 9 a window of 18 costs 20–30× the CPU of 16 on these texts
    /// (its larger hash tables), for under 0.5 % fewer bytes.
    /// </summary>
    private const int Window = 16;

    /// <summary>Texts up to this size are compressed at quality 11, larger ones at 9.</summary>
    private const int SmallText = 4 * 1024;

    /// <summary>
    /// The compressed attribute value and its digest, from the three canonical JSON texts and the resource's ARN (kept in
    /// the blob: <c>"a":true</c> when it is the resource key itself, the usual case, which the item already holds four
    /// times in its keys; its text otherwise; absent when the item has none).
    /// </summary>
    public static (byte[] Compressed, string Digest) Pack(string configuration, string supplementaryConfiguration, string tags, string? arn = null, string? resourceKey = null,
        Facts? facts = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(supplementaryConfiguration);
        ArgumentNullException.ThrowIfNull(tags);
        var text = new ArrayBufferWriter<byte>(configuration.Length + supplementaryConfiguration.Length + tags.Length + 64);
        using (var writer = new Utf8JsonWriter(text, new JsonWriterOptions { SkipValidation = false }))
        {
            writer.WriteStartObject();
            writer.WritePropertyName(ConfigurationKey);
            writer.WriteRawValue(configuration, skipInputValidation: true);
            writer.WritePropertyName(SupplementaryKey);
            writer.WriteRawValue(supplementaryConfiguration, skipInputValidation: true);
            writer.WritePropertyName(TagsKey);
            writer.WriteRawValue(tags, skipInputValidation: true);
            if (!string.IsNullOrEmpty(arn))
            {
                if (arn == resourceKey) writer.WriteBoolean(ArnKey, true);
                else writer.WriteString(ArnKey, arn);
            }
            if (facts is { } f)
            {
                // The item's descriptive facts (read, never indexed or compared): in the blob, where the name and ids
                // the configuration already spells compress to a few bytes.
                if (!string.IsNullOrEmpty(f.ResourceName)) writer.WriteString(NameKey, f.ResourceName);
                writer.WriteString(AccountKey, f.AccountId);
                writer.WriteString(RegionKey, f.Region);
                writer.WriteString(StatusKey, f.Status);
            }
            writer.WriteEndObject();
        }
        var digest = Convert.ToHexStringLower(SHA256.HashData(text.WrittenSpan).AsSpan(0, 8));
        var buffer = ArrayPool<byte>.Shared.Rent(BrotliEncoder.GetMaxCompressedLength(text.WrittenCount) + 1);
        try
        {
            buffer[0] = Format;
            // The usual configuration (up to 4 KB of text) at Brotli's best quality, 11: ~8 % smaller than 9 on these
            // texts, which keeps most items under the 1 KB step, for ~1.5 ms of CPU at 1.5 KB (a write unit costs ~50×
            // that CPU time's price). Larger texts at 9 (0.05–0.2 ms up to 16 KB, where 11 costs ~12 ms). Measured in
            // docs/benchmarks.md, issue 20 wave 6.
            var quality = text.WrittenCount <= SmallText ? 11 : 9;
            if (!BrotliEncoder.TryCompress(text.WrittenSpan, buffer.AsSpan(1), out var written, quality, Window))
                throw new InvalidOperationException("Brotli compression of a stored configuration failed");
            return (buffer.AsSpan(0, written + 1).ToArray(), digest);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The ARN kept in an unpacked document: the resource key, the stored text, or null.</summary>
    public static string? Arn(JsonElement root, string resourceKey) =>
        root.TryGetProperty(ArnKey, out var a)
            ? a.ValueKind switch { JsonValueKind.True => resourceKey, JsonValueKind.String => a.GetString(), _ => null }
            : null;

    /// <summary>
    /// The uncompressed texts as one JSON document (<see cref="ConfigurationKey"/>, <see cref="SupplementaryKey"/>,
    /// <see cref="TagsKey"/>), or null when the value is not this format, does not inflate, inflates beyond
    /// <see cref="MaxUnpackedBytes"/> or is not a JSON object (the caller treats the item as malformed).
    /// </summary>
    public static JsonDocument? Unpack(byte[] packed)
    {
        ArgumentNullException.ThrowIfNull(packed);
        if (packed.Length < 2 || packed[0] != Format) return null;
        using var output = new MemoryStream();
        try
        {
            using var input = new MemoryStream(packed, 1, packed.Length - 1, writable: false);
            using var brotli = new BrotliStream(input, CompressionMode.Decompress);
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = brotli.Read(chunk, 0, chunk.Length)) > 0)
            {
                if (output.Length + read > MaxUnpackedBytes) return null;
                output.Write(chunk, 0, read);
            }
        }
        catch (InvalidDataException)
        {
            return null;
        }
        try
        {
            var document = JsonDocument.Parse(output.GetBuffer().AsMemory(0, (int)output.Length));
            if (document.RootElement.ValueKind == JsonValueKind.Object) return document;
            document.Dispose();
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

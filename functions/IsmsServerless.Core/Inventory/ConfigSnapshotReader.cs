using System.Buffers;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace IsmsServerless.Inventory;

/// <summary>A snapshot file that is not what Config delivers (not JSON, no <c>configurationItems</c> array, truncated, an item over the limit).</summary>
public sealed class SnapshotFormatException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Streams the items of an AWS Config configuration snapshot (<c>{"fileVersion":…,"configSnapshotId":…,
/// "configurationItems":[…]}</c>, gzip-compressed as Config writes it, or plain) one at a time, with memory bounded by
/// the largest single item, never by the file: a <see cref="Utf8JsonReader"/> walks a pooled buffer that is refilled
/// from the stream, and each complete array element is copied out into its own small <see cref="JsonDocument"/>.
/// The caller disposes every document it receives.
/// </summary>
public static class ConfigSnapshotReader
{
    /// <summary>Largest single configuration item accepted (Config's own item limit is far below this).</summary>
    public const int DefaultMaxItemBytes = 16 * 1024 * 1024;

    private const int InitialBuffer = 64 * 1024;

    /// <summary>Nesting allowed inside one item (the adapter's own limit), plus the two levels of the file around it.</summary>
    private const int MaxItemDepth = 64;

    private static readonly JsonReaderOptions OuterOptions = new() { MaxDepth = MaxItemDepth + 2 };
    private static readonly JsonReaderOptions ItemOptions = new() { MaxDepth = MaxItemDepth };

    /// <summary>The snapshot's header fields seen before the items, when the file has them first (Config does).</summary>
    public sealed class Header
    {
        public string? ConfigSnapshotId { get; internal set; }
        public string? FileVersion { get; internal set; }
    }

    private enum Phase { SeekArray, ExpectArray, InArray, AfterArray, Done }

    private enum Step { Item, NeedMore, Done }

    /// <summary>
    /// The items, in file order. Gzip is detected from the stream's first bytes. Throws
    /// <see cref="SnapshotFormatException"/> on a malformed file; items already yielded stay valid.
    /// </summary>
    public static async IAsyncEnumerable<JsonDocument> ReadItemsAsync(
        Stream source,
        Header? header = null,
        int maxItemBytes = DefaultMaxItemBytes,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        var stream = await DecompressIfGzipAsync(source, cancellationToken).ConfigureAwait(false);
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);
        try
        {
            int start = 0, end = 0;
            var eof = false;
            var state = new JsonReaderState(OuterOptions);
            var phase = Phase.SeekArray;
            string? pendingHeader = null;
            while (true)
            {
                Step step;
                JsonDocument? item;
                int consumed;
                try
                {
                    step = Next(buffer.AsSpan(start, end - start), eof, ref state, ref phase, ref pendingHeader, header, out consumed, out item);
                }
                catch (JsonException ex)
                {
                    throw new SnapshotFormatException($"snapshot is {(eof ? "truncated or " : "")}not valid JSON: {ex.Message}", ex);
                }
                start += consumed;
                if (step == Step.Item)
                {
                    yield return item!;
                    continue;
                }
                if (step == Step.Done) yield break;
                if (eof)
                    throw new SnapshotFormatException(phase == Phase.SeekArray ? "snapshot has no configurationItems array" : "snapshot ends inside the configurationItems array (truncated)");
                if (start > 0)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                    end -= start;
                    start = 0;
                }
                if (end == buffer.Length)
                {
                    if (buffer.Length >= maxItemBytes)
                        throw new SnapshotFormatException($"a snapshot item (or token) is larger than {maxItemBytes} bytes");
                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(maxItemBytes, buffer.Length * 2));
                    Buffer.BlockCopy(buffer, 0, larger, 0, end);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                var read = await stream.ReadAsync(buffer.AsMemory(end), cancellationToken).ConfigureAwait(false);
                if (read == 0) eof = true;
                end += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (!ReferenceEquals(stream, source)) await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Advances over the buffered bytes until one item is complete, more bytes are needed, or the file ends.
    /// <paramref name="consumed"/> is how many leading bytes are done with; <paramref name="state"/> resumes after them.
    /// </summary>
    private static Step Next(ReadOnlySpan<byte> data, bool eof, ref JsonReaderState state, ref Phase phase, ref string? pendingHeader, Header? header, out int consumed, out JsonDocument? item)
    {
        item = null;
        var reader = new Utf8JsonReader(data, eof, state);
        while (true)
        {
            switch (phase)
            {
                case Phase.SeekArray:
                {
                    if (!reader.Read()) return NeedMore(ref reader, ref state, out consumed);
                    if (reader.CurrentDepth == 0 && reader.TokenType != JsonTokenType.StartObject && reader.TokenType != JsonTokenType.EndObject)
                        throw new SnapshotFormatException("snapshot is not a JSON object");
                    if (reader.CurrentDepth == 1 && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        if (reader.ValueTextEquals("configurationItems"u8)) phase = Phase.ExpectArray;
                        else pendingHeader = reader.ValueTextEquals("configSnapshotId"u8) ? "id" : reader.ValueTextEquals("fileVersion"u8) ? "version" : null;
                    }
                    else if (reader.CurrentDepth == 1 && pendingHeader is not null && header is not null && reader.TokenType == JsonTokenType.String)
                    {
                        if (pendingHeader == "id") header.ConfigSnapshotId = reader.GetString();
                        else header.FileVersion = reader.GetString();
                        pendingHeader = null;
                    }
                    else if (reader.CurrentDepth == 0 && reader.TokenType == JsonTokenType.EndObject)
                    {
                        throw new SnapshotFormatException("snapshot has no configurationItems array");
                    }
                    break;
                }
                case Phase.ExpectArray:
                {
                    if (!reader.Read()) return NeedMore(ref reader, ref state, out consumed);
                    if (reader.TokenType != JsonTokenType.StartArray) throw new SnapshotFormatException("configurationItems is not an array");
                    phase = Phase.InArray;
                    break;
                }
                case Phase.InArray:
                {
                    var before = reader.CurrentState;
                    var beforeConsumed = (int)reader.BytesConsumed;
                    if (!reader.Read())
                    {
                        consumed = beforeConsumed;
                        state = before;
                        return Step.NeedMore;
                    }
                    if (reader.TokenType == JsonTokenType.EndArray)
                    {
                        phase = Phase.AfterArray;
                        break;
                    }
                    var tokenStart = (int)reader.TokenStartIndex;
                    if (!reader.TrySkip())
                    {
                        // The element is not complete in the buffer: resume from its first byte once more has arrived.
                        consumed = beforeConsumed;
                        state = before;
                        return Step.NeedMore;
                    }
                    var element = data[tokenStart..(int)reader.BytesConsumed];
                    var itemReader = new Utf8JsonReader(element, ItemOptions);
                    // ParseValue copies the bytes into the document's own pooled storage: the buffer can be reused.
                    item = JsonDocument.ParseValue(ref itemReader);
                    consumed = (int)reader.BytesConsumed;
                    state = reader.CurrentState;
                    return Step.Item;
                }
                case Phase.AfterArray:
                {
                    if (!reader.Read())
                    {
                        if (eof)
                        {
                            phase = Phase.Done;
                            consumed = (int)reader.BytesConsumed;
                            state = reader.CurrentState;
                            return Step.Done;
                        }
                        return NeedMore(ref reader, ref state, out consumed);
                    }
                    break;
                }
                default:
                    consumed = data.Length;
                    return Step.Done;
            }
        }
    }

    private static Step NeedMore(ref Utf8JsonReader reader, ref JsonReaderState state, out int consumed)
    {
        consumed = (int)reader.BytesConsumed;
        state = reader.CurrentState;
        return Step.NeedMore;
    }

    /// <summary>Config writes <c>.json.gz</c>; a plain JSON file (a manual export) is read as is.</summary>
    private static async Task<Stream> DecompressIfGzipAsync(Stream source, CancellationToken cancellationToken)
    {
        var head = new byte[2];
        var got = 0;
        while (got < 2)
        {
            var n = await source.ReadAsync(head.AsMemory(got), cancellationToken).ConfigureAwait(false);
            if (n == 0) break;
            got += n;
        }
        var replay = new PrefixedStream(head.AsMemory(0, got), source);
        return got == 2 && head[0] == 0x1f && head[1] == 0x8b ? new GZipStream(replay, CompressionMode.Decompress, leaveOpen: false) : replay;
    }

    /// <summary>Gives back the bytes read to sniff the format, then the rest of the inner stream. Read-only, forward-only.</summary>
    private sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream inner) : Stream
    {
        private ReadOnlyMemory<byte> _prefix = prefix;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_prefix.IsEmpty) return inner.Read(buffer);
            var n = Math.Min(buffer.Length, _prefix.Length);
            _prefix.Span[..n].CopyTo(buffer);
            _prefix = _prefix[n..];
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_prefix.IsEmpty) return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            var n = Math.Min(buffer.Length, _prefix.Length);
            _prefix.Span[..n].CopyTo(buffer.Span);
            _prefix = _prefix[n..];
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}

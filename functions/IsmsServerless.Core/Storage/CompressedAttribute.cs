using System.Buffers;
using System.IO.Compression;

namespace IsmsServerless.Storage;

/// <summary>
/// The one Brotli codec of the stored items that keep large text as a compressed Binary attribute (AWS, DynamoDB
/// developer guide, "Best practices for storing large items and attributes": compress large attribute values): the
/// finding's <c>detail</c> (<c>Ledger/FindingItemLayout</c>) and the stored configuration (<c>Drift/PackedConfiguration</c>).
/// Compression is deterministic for a given quality and window (the same text gives the same bytes, so a retried or
/// concurrent identical write is recognised as already stored); decompression is bounded, so a hostile or corrupted value
/// cannot make a reader allocate more than the caller's limit.
/// </summary>
public static class CompressedAttribute
{
    /// <summary>
    /// <paramref name="prefix"/> (a format byte, or nothing) followed by the Brotli stream of <paramref name="data"/>.
    /// </summary>
    public static byte[] Compress(ReadOnlySpan<byte> data, int quality, int window, ReadOnlySpan<byte> prefix = default)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(prefix.Length + BrotliEncoder.GetMaxCompressedLength(data.Length));
        try
        {
            prefix.CopyTo(buffer);
            if (!BrotliEncoder.TryCompress(data, buffer.AsSpan(prefix.Length), out var written, quality, window))
                throw new InvalidOperationException("Brotli compression failed");
            return buffer.AsSpan(0, prefix.Length + written).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Inflates <paramref name="compressed"/> into a buffer rented from <see cref="ArrayPool{T}.Shared"/> (the caller
    /// returns it; its first <paramref name="length"/> bytes are the text). False, with the reason and nothing rented, when
    /// the value is not a complete Brotli stream or inflates beyond <paramref name="maxBytes"/>.
    /// </summary>
    public static bool TryDecompress(ReadOnlySpan<byte> compressed, int maxBytes, out byte[] rented, out int length, out string problem)
    {
        rented = ArrayPool<byte>.Shared.Rent(Math.Clamp(compressed.Length * 4, 1024, maxBytes + 1));
        length = 0;
        using var decoder = new BrotliDecoder();
        var read = 0;
        while (true)
        {
            var status = decoder.Decompress(compressed[read..], rented.AsSpan(length), out var consumed, out var produced);
            read += consumed;
            length += produced;
            if (length > maxBytes) break;
            if (status == OperationStatus.Done)
            {
                problem = "";
                return true;
            }
            if (status == OperationStatus.DestinationTooSmall)
            {
                if (rented.Length > maxBytes) break;
                var larger = ArrayPool<byte>.Shared.Rent(Math.Min(rented.Length * 4, maxBytes + 1));
                rented.AsSpan(0, length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(rented);
                rented = larger;
                continue;
            }
            problem = status == OperationStatus.NeedMoreData ? "the compressed value is truncated" : "the value is not Brotli data";
            return Fail(ref rented, ref length);
        }
        problem = $"the value decompresses beyond {maxBytes} bytes";
        return Fail(ref rented, ref length);
    }

    private static bool Fail(ref byte[] rented, ref int length)
    {
        ArrayPool<byte>.Shared.Return(rented);
        rented = [];
        length = 0;
        return false;
    }
}

using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IsmsServerless.Benchmarks.Snapshot;
using IsmsServerless.Inventory;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Inventory;

/// <summary>The streaming snapshot reader: item boundaries at any chunk size, gzip or plain, and clear refusals.</summary>
public sealed class ConfigSnapshotReaderTests
{
    private static byte[] Snapshot(int items, bool gzip)
    {
        using var buffer = new MemoryStream();
        using (Stream target = gzip ? new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true) : buffer)
            SnapshotFiles.Write(target, SnapshotBackfillTests.RealItems(), items, "snap-1");
        return buffer.ToArray();
    }

    private static async Task<List<string>> ReadAllAsync(Stream stream, ConfigSnapshotReader.Header? header = null, int maxItemBytes = ConfigSnapshotReader.DefaultMaxItemBytes)
    {
        var ids = new List<string>();
        await foreach (var document in ConfigSnapshotReader.ReadItemsAsync(stream, header, maxItemBytes))
        {
            using (document) ids.Add(document.RootElement.GetProperty("resourceId").GetString()!);
        }
        return ids;
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(true, 7)]
    [InlineData(false, 1)]
    [InlineData(false, 4096)]
    public async Task Items_come_out_whole_and_in_order_whatever_the_chunk_size(bool gzip, int chunk)
    {
        var bytes = Snapshot(37, gzip);
        var header = new ConfigSnapshotReader.Header();
        var ids = await ReadAllAsync(new TrickleStream(bytes, chunk), header);
        var templates = SnapshotBackfillTests.RealItems();
        Assert.Equal(37, ids.Count);
        Assert.Equal(Enumerable.Range(0, 37).Select(i => SnapshotFiles.Variant(templates[i % templates.Count], i)["resourceId"]!.GetValue<string>()), ids);
        Assert.Equal("snap-1", header.ConfigSnapshotId);
        Assert.Equal("1.0", header.FileVersion);
    }

    [Fact]
    public async Task An_item_larger_than_the_first_buffer_is_read_whole()
    {
        // The SSM inventory item (~60 KB of hotfixes) plus padding crosses the reader's 64 KB starting buffer.
        var inventory = JsonNode.Parse(Fixtures.Shared("config/ci-ssm-managedinstanceinventory-windows-rdk.json"))!["configurationItem"]!.DeepClone().AsObject();
        inventory["padding"] = new string('x', 100_000);
        using var buffer = new MemoryStream();
        SnapshotFiles.Write(buffer, [inventory], 3, "snap-2");
        Assert.Equal(3, (await ReadAllAsync(new TrickleStream(buffer.ToArray(), 8192))).Count);
    }

    [Theory]
    [InlineData("{\"fileVersion\":\"1.0\",\"configurationItems\":[{\"resourceId\":\"a\"},{\"resource", "truncated")]
    [InlineData("{\"fileVersion\":\"1.0\"}", "no configurationItems array")]
    [InlineData("{\"configurationItems\":{\"resourceId\":\"a\"}}", "not an array")]
    [InlineData("[{\"resourceId\":\"a\"}]", "not a JSON object")]
    [InlineData("{\"configurationItems\":[{\"resourceId\":\"a\",}]}", "not valid JSON")]
    [InlineData("", "truncated or not valid JSON")]
    public async Task A_malformed_file_is_refused_with_the_reason(string text, string reason)
    {
        var error = await Assert.ThrowsAsync<SnapshotFormatException>(() => ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(text))));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_item_over_the_limit_is_refused_not_buffered()
    {
        var text = "{\"configurationItems\":[{\"resourceId\":\"" + new string('a', 300_000) + "\"}]}";
        var error = await Assert.ThrowsAsync<SnapshotFormatException>(() => ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)), maxItemBytes: 128 * 1024));
        Assert.Contains("larger than 131072 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Items_already_read_stay_valid_after_the_buffer_moves_on()
    {
        var documents = new List<JsonDocument>();
        await foreach (var document in ConfigSnapshotReader.ReadItemsAsync(new TrickleStream(Snapshot(25, gzip: true), 3)))
            documents.Add(document);
        Assert.Equal(25, documents.Select(d => d.RootElement.GetProperty("resourceId").GetString()).Distinct().Count());
        documents.ForEach(d => d.Dispose());
    }

    /// <summary>Returns at most <c>chunk</c> bytes per read, as a slow network would.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));
        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, chunk)]);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => base.ReadAsync(buffer, offset, Math.Min(count, chunk), cancellationToken);
    }
}

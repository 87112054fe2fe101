using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace IsmsServerless.Benchmarks.Snapshot;

/// <summary>
/// Writes a configuration snapshot file as AWS Config delivers it (<c>{"fileVersion":"1.0","configSnapshotId":…,
/// "configurationItems":[…]}</c>, gzip) from real configuration items, item <c>i</c> being template <c>i mod n</c> with
/// its resource id, name and ARN suffixed by <c>i</c> so every item is a distinct resource. Written item by item
/// through a <see cref="Utf8JsonWriter"/> on the gzip stream: the generator's memory does not grow with the file.
/// </summary>
public static class SnapshotFiles
{
    public static void Write(string path, IReadOnlyList<JsonObject> templates, int items, string snapshotId = "16da64e4-cb65-4846-b061-e6c3ba43cb96", bool gzip = true)
    {
        using var file = File.Create(path);
        using Stream output = gzip ? new GZipStream(file, CompressionLevel.Fastest) : file;
        Write(output, templates, items, snapshotId);
    }

    public static void Write(Stream output, IReadOnlyList<JsonObject> templates, int items, string snapshotId)
    {
        using var writer = new Utf8JsonWriter(output);
        writer.WriteStartObject();
        writer.WriteString("fileVersion", "1.0");
        writer.WriteString("configSnapshotId", snapshotId);
        writer.WriteStartArray("configurationItems");
        for (var i = 0; i < items; i++)
        {
            Variant(templates[i % templates.Count], i).WriteTo(writer);
            if (writer.BytesPending > 256 * 1024) writer.Flush();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Template <paramref name="template"/> as resource number <paramref name="i"/> (id, name and ARN suffixed).</summary>
    public static JsonObject Variant(JsonObject template, int i)
    {
        var item = template.DeepClone().AsObject();
        var suffix = "-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var field in new[] { "resourceId", "resourceName", "arn", "ARN" })
        {
            if (item[field] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0) item[field] = text + suffix;
        }
        return item;
    }
}

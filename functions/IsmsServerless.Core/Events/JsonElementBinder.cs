using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace IsmsServerless.Events;

/// <summary>
/// Reads a record from a <see cref="JsonElement"/> of a document that is already parsed, with the record's own
/// source-generated metadata and options (so every property a record declares, now or later, is read exactly as the
/// serializer reads it). The difference from <c>element.Deserialize(typeInfo)</c> is what happens to
/// <see cref="JsonElement"/>-typed members (CloudTrail's request and response bodies, usually most of the event): the
/// serializer copies each one into a document of its own by parsing it a second time; here the reader skips over it
/// and the member becomes a <see cref="JsonElement.Clone"/> of the element already parsed (a byte copy, no parse).
/// </summary>
public static class JsonElementBinder
{
    [ThreadStatic] private static Source? _current;

    private static readonly ConditionalWeakTable<JsonSerializerOptions, JsonSerializerOptions> ViewOptions = new();

    /// <summary>Reads <paramref name="element"/> as <typeparamref name="T"/>; throws what the serializer throws.</summary>
    public static T? Bind<T>(JsonElement element, JsonTypeInfo<T> typeInfo)
    {
        // Records of the usual shapes are read from the elements themselves (no second tokenization): ElementBindingPlan.
        return ElementBindingPlan.For(typeInfo) is { } plan ? (T?)plan.Read(element) : BindByReader(element, typeInfo);
    }

    /// <summary>
    /// The serializer's reader over the element's bytes, <see cref="JsonElement"/> members cloned from the element: the
    /// path of a record type that has no <see cref="ElementBindingPlan"/> (tests compare both paths with the serializer).
    /// </summary>
    internal static T? BindByReader<T>(JsonElement element, JsonTypeInfo<T> typeInfo)
    {
        var options = ViewOptions.GetValue(typeInfo.Options, static o => new JsonSerializerOptions(o)
        {
            TypeInfoResolver = o.TypeInfoResolver!.WithAddedModifier(UseViews),
        });
        var viewInfo = (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
        var previous = _current;
        _current = new Source(element);
        try
        {
            return JsonSerializer.Deserialize(JsonMarshal.GetRawUtf8Value(element), viewInfo);
        }
        finally
        {
            _current = previous;
        }
    }

    private static void UseViews(JsonTypeInfo typeInfo)
    {
        if (typeInfo.Kind != JsonTypeInfoKind.Object) return;
        foreach (var property in typeInfo.Properties)
        {
            if (property.PropertyType == typeof(JsonElement) && property.CustomConverter is null) property.CustomConverter = ViewConverter.Instance;
        }
    }

    /// <summary>The element being bound on this thread: the reader's offsets are relative to its raw bytes.</summary>
    private sealed class Source(JsonElement root)
    {
        public JsonElement Root { get; } = root;

        /// <summary>The element whose value starts <paramref name="offset"/> bytes into the root's raw bytes.</summary>
        public JsonElement At(long offset)
        {
            var rootBytes = JsonMarshal.GetRawUtf8Value(Root);
            var current = Root;
            while (true)
            {
                var bytes = JsonMarshal.GetRawUtf8Value(current);
                var start = Unsafe.ByteOffset(ref MemoryMarshal.GetReference(rootBytes), ref MemoryMarshal.GetReference(bytes));
                if (start == offset) return current;
                var found = false;
                if (current.ValueKind == JsonValueKind.Object)
                {
                    foreach (var property in current.EnumerateObject())
                    {
                        if (Contains(rootBytes, property.Value, offset)) { current = property.Value; found = true; break; }
                    }
                }
                else if (current.ValueKind == JsonValueKind.Array)
                {
                    foreach (var item in current.EnumerateArray())
                    {
                        if (Contains(rootBytes, item, offset)) { current = item; found = true; break; }
                    }
                }
                if (!found) throw new InvalidOperationException($"no JSON value starts at offset {offset}");
            }
        }

        private static bool Contains(ReadOnlySpan<byte> rootBytes, JsonElement element, long offset)
        {
            var bytes = JsonMarshal.GetRawUtf8Value(element);
            var start = (long)Unsafe.ByteOffset(ref MemoryMarshal.GetReference(rootBytes), ref MemoryMarshal.GetReference(bytes));
            return offset >= start && offset < start + bytes.Length;
        }
    }

    /// <summary>A <see cref="JsonElement"/> member: skip its tokens, return a clone of the element already parsed.</summary>
    private sealed class ViewConverter : JsonConverter<JsonElement>
    {
        public static readonly ViewConverter Instance = new();

        public override bool HandleNull => true;

        public override JsonElement Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (_current is not { } source || reader.HasValueSequence) return JsonElement.ParseValue(ref reader);
            var start = reader.TokenStartIndex;
            reader.Skip();
            return source.At(start).Clone();
        }

        public override void Write(Utf8JsonWriter writer, JsonElement value, JsonSerializerOptions options) => value.WriteTo(writer);
    }
}

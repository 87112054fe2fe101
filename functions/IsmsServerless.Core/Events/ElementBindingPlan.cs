using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace IsmsServerless.Events;

/// <summary>
/// How <see cref="JsonElementBinder"/> reads a record straight from the parsed document's elements, without a second
/// tokenization: built once per record type from the type's own serializer metadata (JSON names, case-insensitivity,
/// converters), for the shapes the event records use: objects whose properties are strings (plain or read by
/// <see cref="LenientStringConverter"/>), <see cref="JsonElement"/> bodies, nested records and lists of nested records.
/// A type with anything else (a number, an enum, a required or extension-data member, a custom converter, a property
/// initializer) has no plan and is bound by the serializer as before, so a property someone adds later is never
/// silently dropped: it either fits these shapes and is read like the others, or the whole type takes the old path.
/// <c>JsonElementBinderTests</c> holds both paths to the serializer's result on every fixture and its mutations.
/// </summary>
internal abstract class ElementBindingPlan
{
    private static readonly ConcurrentDictionary<JsonTypeInfo, ElementBindingPlan?> Plans = new();

    /// <summary>The plan for <paramref name="typeInfo"/>, or null when the type needs the serializer.</summary>
    public static ElementBindingPlan? For(JsonTypeInfo typeInfo) =>
        Plans.TryGetValue(typeInfo, out var plan) ? plan : Plans.GetOrAdd(typeInfo, static t => Build(t, depth: 0));

    /// <summary>Reads <paramref name="element"/>: null for a JSON null, a <see cref="JsonException"/> for another kind.</summary>
    public abstract object? Read(JsonElement element);

    private static ElementBindingPlan? Build(JsonTypeInfo typeInfo, int depth)
    {
        if (depth > 8 || typeInfo.Kind != JsonTypeInfoKind.Object || typeInfo.Type.IsValueType) return null;
        // (A type with a converter of its own has Kind None, so it never gets here.)
        if (typeInfo.Type.GetConstructor(Type.EmptyTypes) is null) return null;
        var instance = Activator.CreateInstance(typeInfo.Type)!;
        var properties = new List<PropertyPlan>();
        foreach (var property in typeInfo.Properties)
        {
            if (property.IsRequired || property.IsExtensionData || property.AttributeProvider is not PropertyInfo clr
                || clr.SetMethod is not { IsPublic: true } || clr.GetIndexParameters().Length > 0 || clr.DeclaringType is null)
                return null;
            // A property initializer would be lost by the serializer (it assigns every init-only property); keep its path.
            var initial = clr.GetValue(instance);
            if (initial is not null && !(initial is JsonElement { ValueKind: JsonValueKind.Undefined })) return null;
            var reader = ValueReader(property, typeInfo.Options, depth);
            if (reader is null) return null;
            // Strings and bodies (nearly every property) call their reader directly rather than through a second delegate.
            var plan = reader.Method.DeclaringType == typeof(ElementBindingPlan) && reader.Method.Name is nameof(PlainString) or nameof(LenientString)
                ? (PropertyPlan)Activator.CreateInstance(typeof(StringPropertyPlan<>).MakeGenericType(typeInfo.Type), property.Name, clr.SetMethod,
                    reader.Method.Name == nameof(LenientString))!
                : reader.Method.DeclaringType == typeof(ElementBindingPlan) && reader.Method.Name == nameof(CloneBody)
                    ? (PropertyPlan)Activator.CreateInstance(typeof(BodyPropertyPlan<>).MakeGenericType(typeInfo.Type), property.Name, clr.SetMethod)!
                    : (PropertyPlan)Activator.CreateInstance(
                        typeof(PropertyPlan<,>).MakeGenericType(typeInfo.Type, property.PropertyType), property.Name, clr.SetMethod, reader)!;
            properties.Add(plan);
        }
        return (ElementBindingPlan)Activator.CreateInstance(typeof(ObjectPlan<>).MakeGenericType(typeInfo.Type),
            properties.ToArray(), typeInfo.Options.PropertyNameCaseInsensitive, typeInfo.CreateObject)!;
    }

    /// <summary>A reader for one property's value, or null when its shape is not one this plan reads.</summary>
    private static Delegate? ValueReader(JsonPropertyInfo property, JsonSerializerOptions options, int depth)
    {
        var type = property.PropertyType;
        if (type == typeof(string))
        {
            if (property.CustomConverter is null) return (Func<JsonElement, string?>)PlainString;
            return property.CustomConverter.GetType() == typeof(LenientStringConverter) ? (Func<JsonElement, string?>)LenientString : null;
        }
        if (property.CustomConverter is not null) return null;
        if (type == typeof(JsonElement)) return (Func<JsonElement, JsonElement>)CloneBody;
        var info = options.GetTypeInfo(type);
        if (info.Kind == JsonTypeInfoKind.Object)
        {
            var nested = Build(info, depth + 1);
            return nested is null ? null : Delegate.CreateDelegate(typeof(Func<,>).MakeGenericType(typeof(JsonElement), type), nested,
                typeof(ElementBindingPlan).GetMethod(nameof(ReadAs), BindingFlags.Instance | BindingFlags.NonPublic)!.MakeGenericMethod(type));
        }
        if (info.Kind == JsonTypeInfoKind.Enumerable && type.IsGenericType
            && (type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>) || type.GetGenericTypeDefinition() == typeof(List<>)))
        {
            var itemType = type.GetGenericArguments()[0];
            var item = Build(options.GetTypeInfo(itemType), depth + 1);
            if (item is null) return null;
            var list = Activator.CreateInstance(typeof(ListReader<>).MakeGenericType(itemType), item)!;
            return Delegate.CreateDelegate(typeof(Func<,>).MakeGenericType(typeof(JsonElement), type), list, list.GetType().GetMethod("Read")!);
        }
        return null;
    }

    private T? ReadAs<T>(JsonElement element) where T : class => (T?)Read(element);

    private static string? PlainString(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => EventStrings.GetString(value),
        JsonValueKind.Null => null,
        _ => throw new JsonException($"the JSON value could not be converted to System.String ({value.ValueKind})"),
    };

    /// <summary>Exactly <see cref="LenientStringConverter.Read"/>, from an element.</summary>
    internal static string? LenientString(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => Model.Present.OrNull(EventStrings.GetString(value)),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Number => value.TryGetInt64(out var l) ? l.ToString(CultureInfo.InvariantCulture) : value.GetDouble().ToString("R", CultureInfo.InvariantCulture),
        _ => null,
    };

    /// <summary>
    /// A body outlives the router's pooled document: a byte copy of the element, not a parse. A JSON <c>null</c> body
    /// (<c>requestParameters</c> and <c>responseElements</c> of most sign-ins, reads and log-file records) is one shared,
    /// immutable null element rather than a new document per record: same kind, same raw text.
    /// </summary>
    internal static JsonElement CloneBody(JsonElement value) => value.ValueKind == JsonValueKind.Null ? NullBody : value.Clone();

    /// <summary>A detached JSON <c>null</c> (its document is GC-owned and read-only: safe to share between threads).</summary>
    internal static readonly JsonElement NullBody = NewNull();

    private static JsonElement NewNull()
    {
        using var document = JsonDocument.Parse("null"u8.ToArray());
        return document.RootElement.Clone();
    }

    private sealed class ListReader<T>(ElementBindingPlan item) where T : class
    {
        public List<T?>? Read(JsonElement value)
        {
            if (value.ValueKind == JsonValueKind.Null) return null;
            if (value.ValueKind != JsonValueKind.Array) throw new JsonException($"the JSON value could not be converted to a list of {typeof(T).Name} ({value.ValueKind})");
            var list = new List<T?>(value.GetArrayLength());
            foreach (var element in value.EnumerateArray()) list.Add((T?)item.Read(element));
            return list;
        }
    }

    private abstract class PropertyPlan(string name)
    {
        public string Name { get; } = name;
        public byte[] Utf8Name { get; } = Encoding.UTF8.GetBytes(name);
        public abstract void Read(object target, JsonElement value);
    }

    private sealed class PropertyPlan<TObject, TValue>(string name, MethodInfo setter, Func<JsonElement, TValue> reader) : PropertyPlan(name)
    {
        private readonly Action<TObject, TValue> _set = (Action<TObject, TValue>)Delegate.CreateDelegate(typeof(Action<TObject, TValue>), setter);

        public override void Read(object target, JsonElement value) => _set((TObject)target, reader(value));
    }

    private sealed class StringPropertyPlan<TObject>(string name, MethodInfo setter, bool lenient) : PropertyPlan(name)
    {
        private readonly Action<TObject, string?> _set = (Action<TObject, string?>)Delegate.CreateDelegate(typeof(Action<TObject, string?>), setter);

        public override void Read(object target, JsonElement value) => _set((TObject)target, lenient ? LenientString(value) : PlainString(value));
    }

    private sealed class BodyPropertyPlan<TObject>(string name, MethodInfo setter) : PropertyPlan(name)
    {
        private readonly Action<TObject, JsonElement> _set = (Action<TObject, JsonElement>)Delegate.CreateDelegate(typeof(Action<TObject, JsonElement>), setter);

        public override void Read(object target, JsonElement value) => _set((TObject)target, CloneBody(value));
    }

    private sealed class ObjectPlan<T> : ElementBindingPlan where T : class, new()
    {
        private readonly PropertyPlan[] _properties;
        private readonly bool _ignoreCase;
        private readonly bool _asciiNames;
        private readonly Dictionary<string, PropertyPlan> _byName;

        // The type's own constructor as its serializer metadata holds it (the source generator's `() => new T()`): a
        // direct call, where `new T()` in this shared generic code goes through Activator's reflection cache.
        private readonly Func<object> _create;

        // The properties by the UTF-8 length of their names (declaration order kept within a length, so the first match
        // is the one a scan of every property finds): a name is compared only with the few of its own length.
        private readonly PropertyPlan[][] _byLength;

        public ObjectPlan(PropertyPlan[] properties, bool ignoreCase, Func<object>? create)
        {
            _create = create ?? (static () => new T());
            _properties = properties;
            _ignoreCase = ignoreCase;
            _asciiNames = properties.All(p => Ascii.IsValid(p.Name) && !p.Name.Contains('\\', StringComparison.Ordinal));
            _byName = new Dictionary<string, PropertyPlan>(ignoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
            foreach (var p in properties) _byName.TryAdd(p.Name, p);
            _byLength = new PropertyPlan[properties.Length == 0 ? 0 : properties.Max(p => p.Utf8Name.Length) + 1][];
            for (var length = 0; length < _byLength.Length; length++)
                _byLength[length] = [.. properties.Where(p => p.Utf8Name.Length == length)];
        }

        public override object? Read(JsonElement element)
        {
            if (element.ValueKind == JsonValueKind.Null) return null;
            if (element.ValueKind != JsonValueKind.Object) throw new JsonException($"the JSON value could not be converted to {typeof(T).Name} ({element.ValueKind})");
            var target = (T)_create();
            foreach (var property in element.EnumerateObject())
            {
                // Later duplicates overwrite earlier ones, as the serializer does.
                Find(property)?.Read(target, property.Value);
            }
            return target;
        }

        private PropertyPlan? Find(JsonProperty property)
        {
            var raw = JsonMarshal.GetRawUtf8PropertyName(property);
            // Names the record declares are ASCII without '\\': raw bytes equal to one of them (ASCII case folded) are that
            // name, unescaped and unfolded alike, so they are matched first, without scanning the bytes for escapes.
            if (_asciiNames && raw.Length < _byLength.Length)
            {
                var candidates = _byLength[raw.Length];
                // AWS spells the names exactly as declared: an exact match first. Two declared names never differ only in
                // case (the serializer rejects such a type when names are case-insensitive), so the exact match is the
                // same property the case-insensitive scan below finds first.
                foreach (var candidate in candidates)
                {
                    if (raw.SequenceEqual(candidate.Utf8Name)) return candidate;
                }
                if (_ignoreCase)
                {
                    foreach (var candidate in candidates)
                    {
                        if (Ascii.EqualsIgnoreCase(raw, candidate.Utf8Name)) return candidate;
                    }
                }
            }
            // Escaped or non-ASCII names are matched the serializer's way (unescaped, OrdinalIgnoreCase: 'ſ' is 'S').
            if (!_asciiNames || raw.IndexOf((byte)'\\') >= 0 || !Ascii.IsValid(raw)) return _byName.GetValueOrDefault(property.Name);
            return null;
        }
    }
}

using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace IsmsServerless.Model;

/// <summary>
/// An evaluation's evidence lines (<see cref="Evaluation.Evidence"/>) as a <c>Dictionary&lt;string, string&gt;</c> with the
/// ordinal comparer would hold them, and enumerate them: in the order the keys were first set, a value set again replaced
/// in place. Built per evaluation and read once or twice (written to the ledger, looked up by a key or two), so the lines
/// are one array of keys and values searched in order: no hash of each key, no buckets and entries. A rule's dozen lines
/// cost a fifth of the dictionary's memory (14 lines: one 248-byte array instead of 600 bytes over three objects).
/// </summary>
public sealed class EvidenceDictionary : IReadOnlyDictionary<string, string>
{
    // Keys at even indices, each followed by its value.
    private string[] _items;
    private int _count;

    /// <summary>Room for <paramref name="capacity"/> lines before the array is regrown (it never is when sized right).</summary>
    public EvidenceDictionary(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _items = capacity == 0 ? [] : new string[2 * capacity];
    }

    public int Count => _count;

    /// <summary>The value of <paramref name="key"/>; setting a key already present replaces its value where it stands.</summary>
    public string this[string key]
    {
        get => IndexOf(key) is var at and >= 0 ? _items[at + 1] : throw new KeyNotFoundException($"The given key '{key}' was not present in the dictionary.");
        set
        {
            var at = IndexOf(key);
            if (at >= 0) _items[at + 1] = value;
            else Append(key, value);
        }
    }

    /// <summary>Adds a line; a key already present throws, as <see cref="Dictionary{TKey, TValue}.Add"/> does.</summary>
    public void Add(string key, string value)
    {
        if (IndexOf(key) >= 0) throw new ArgumentException($"An item with the same key has already been added. Key: {key}", nameof(key));
        Append(key, value);
    }

    public bool ContainsKey(string key) => IndexOf(key) >= 0;

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value)
    {
        var at = IndexOf(key);
        if (at < 0)
        {
            value = default;
            return false;
        }
        value = _items[at + 1];
        return true;
    }

    public IEnumerable<string> Keys
    {
        get
        {
            for (var i = 0; i < _count; i++) yield return _items[2 * i];
        }
    }

    public IEnumerable<string> Values
    {
        get
        {
            for (var i = 0; i < _count; i++) yield return _items[2 * i + 1];
        }
    }

    public Enumerator GetEnumerator() => new(this);

    IEnumerator<KeyValuePair<string, string>> IEnumerable<KeyValuePair<string, string>>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The index of <paramref name="key"/> in <see cref="_items"/>, or -1.</summary>
    private int IndexOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var items = _items;
        for (var i = 0; i < 2 * _count; i += 2)
        {
            if (string.Equals(items[i], key, StringComparison.Ordinal)) return i;
        }
        return -1;
    }

    private void Append(string key, string value)
    {
        if (2 * _count == _items.Length) Array.Resize(ref _items, Math.Max(8, 2 * _items.Length));
        _items[2 * _count] = key;
        _items[2 * _count + 1] = value;
        _count++;
    }

    /// <summary>The lines in order; a line added while enumerating throws, as a dictionary's enumerator does.</summary>
    public struct Enumerator : IEnumerator<KeyValuePair<string, string>>
    {
        private readonly EvidenceDictionary _map;
        private readonly int _count;
        private int _index;

        internal Enumerator(EvidenceDictionary map)
        {
            _map = map;
            _count = map._count;
            _index = -1;
        }

        public readonly KeyValuePair<string, string> Current => new(_map._items[2 * _index], _map._items[2 * _index + 1]);

        readonly object IEnumerator.Current => Current;

        public bool MoveNext()
        {
            if (_map._count != _count) throw new InvalidOperationException("Collection was modified; enumeration operation may not execute.");
            if (_index + 1 >= _count) return false;
            _index++;
            return true;
        }

        public void Reset() => _index = -1;

        public readonly void Dispose()
        {
        }
    }
}

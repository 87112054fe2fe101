using System.Text.Json;
using IsmsServerless.Drift;

namespace IsmsServerless.Tests.Drift;

/// <summary>
/// <see cref="Json.Get"/>'s case-insensitive fallback compares raw UTF-8 names instead of decoding each one: it must find
/// exactly what <c>string.Equals(name, OrdinalIgnoreCase)</c> finds, escaped names included.
/// </summary>
public sealed class JsonGetTests
{
    [Theory]
    [InlineData("""{"KmsMasterKeyId":"k"}""", "kmsMasterKeyId", "k")]
    [InlineData("""{"kmsmasterkeyid":"k"}""", "KmsMasterKeyId", "k")]
    [InlineData("""{"Km\u0073MasterKeyId":"escaped"}""", "kmsMasterKeyId", "escaped")]
    [InlineData("""{"other":1,"ARN":"a"}""", "arn", "a")]
    [InlineData("""{"Ärn":"x"}""", "arn", null)]
    [InlineData("""{"\u212Arn":"kelvin"}""", "krn", null)]
    [InlineData("""{"arnx":"x"}""", "arn", null)]
    public void Case_insensitive_lookup_matches_ordinal_ignore_case(string json, string name, string? expected)
    {
        using var document = JsonDocument.Parse(json);
        var reference = document.RootElement.EnumerateObject().FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
        Assert.Equal(reference.Value.ValueKind == JsonValueKind.Undefined ? null : reference.Value.GetString(), expected);
        Assert.Equal(expected, Json.Text(document.RootElement, name));
    }
}

using IsmsServerless.Engine;
using IsmsServerless.Settings;
using Microsoft.Extensions.Time.Testing;

namespace IsmsServerless.Tests.Support;

public static class TestContexts
{
    public static FakeTimeProvider ClockAt(string isoInstant) => new(DateTimeOffset.Parse(isoInstant, System.Globalization.CultureInfo.InvariantCulture));

    public static EvaluationContext At(string isoInstant, IsmsSettings? settings = null) =>
        new(settings ?? IsmsSettings.Default, ClockAt(isoInstant));
}

using IsmsServerless.Changes;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Settings;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Changes;

internal static class ChangeTestData
{
    private static readonly RuleEngine Engine = RuleEngine.CreateDefault();

    public static CloudTrailInput Input(byte[] payload) =>
        Assert.IsType<CloudTrailInput>(Assert.Single(Engine.Adapt(payload, TestContexts.At("2023-06-01T00:00:00Z")).Inputs));

    /// <summary>The five calls of thien's real console session (2023-05-31 04:44:57 → 05:37:26 UTC).</summary>
    public static IReadOnlyList<ChangeCall> ThienCalls(IsmsSettings? settings = null) =>
        ChangeDetectionTests.ThienSession
            .Select(file => ChangeClassifier.ToCall(Input(Fixtures.Local(file)), settings ?? IsmsSettings.Default)!)
            .ToList();

    public static readonly DateTimeOffset ThienFirstCall = DateTimeOffset.Parse("2023-05-31T04:44:57Z", System.Globalization.CultureInfo.InvariantCulture);
    public static readonly DateTimeOffset ThienLastCall = DateTimeOffset.Parse("2023-05-31T05:37:26Z", System.Globalization.CultureInfo.InvariantCulture);
}

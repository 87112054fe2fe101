using System.Text.Json;
using IsmsServerless.Access;
using IsmsServerless.Drift;
using IsmsServerless.Tests.Support;

namespace IsmsServerless.Tests.Access;

/// <summary>
/// The IAM credential report keyed like every other source (issue 18): a real recorded GetCredentialReport response
/// (Cloud Custodian placebo data, Fixtures/access, SOURCES.md) with its quirks (the root row, <c>no_information</c>,
/// <c>N/A</c>, <c>not_supported</c>, a user listed twice), plus rows edited in for a user with a path and hostile rows.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class CredentialReportTests(DynamoDbLocalFixture dynamo)
{
    private static string Content()
    {
        using var doc = JsonDocument.Parse(Fixtures.Local("access/iam-getcredentialreport-custodian.json"));
        return doc.RootElement.GetProperty("data").GetProperty("Content").GetString()!;
    }

    private const string Alice = "alice,arn:aws:iam::644160558196:user/division/team/alice,2016-08-30T17:37:35+00:00,true,2016-11-20T09:00:00+00:00,2016-08-30T18:24:44+00:00,N/A,true,true,2016-10-11T15:27:35+00:00,2016-11-21T10:00:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A";

    [Fact]
    public void The_published_report_is_read_with_its_quirks()
    {
        var rows = CredentialReport.Parse(Content(), out var rejected);
        Assert.Empty(rejected);
        Assert.Equal(20, rows.Count); // 21 data lines, christopher twice
        var root = Assert.Single(rows, r => r.Root);
        Assert.Equal(("arn:aws:iam::644160558196:root", (bool?)null, true), (root.PrincipalKey, root.PasswordEnabled, root.MfaActive));
        var christopher = Assert.Single(rows, r => r.User == "christopher");
        Assert.Equal(DateTimeOffset.Parse("2016-11-21T18:44:00Z", System.Globalization.CultureInfo.InvariantCulture), christopher.LastUsedAt); // the row with the later use
        var jeff = Assert.Single(rows, r => r.User == "jeff");
        Assert.Null(jeff.LastUsedAt); // no_information
        Assert.Equal(2, Assert.Single(rows, r => r.User == "kit").ActiveAccessKeys);
        Assert.Equal("arn:aws:iam::644160558196:user/Jennifer", Assert.Single(rows, r => r.User == "Jennifer").PrincipalKey);
    }

    [Fact]
    public void A_user_with_a_path_is_the_principal_config_and_cloudtrail_name()
    {
        var rows = CredentialReport.Parse(Content() + "\n" + Alice, out _);
        var alice = Assert.Single(rows, r => r.User == "alice");
        Assert.Equal("arn:aws:iam::644160558196:user/division/team/alice", alice.Arn);
        Assert.Equal(ResourceKeys.For("arn:aws:iam::644160558196:user/division/team/alice", "AWS::IAM::User", "AIDA"), alice.PrincipalKey);
        Assert.Equal(ResourceKeys.IamUser("644160558196", "alice"), alice.PrincipalKey);
        Assert.Equal(DateTimeOffset.Parse("2016-11-21T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture), alice.LastUsedAt); // the key's use, later than the password's
    }

    [Theory]
    [InlineData("<script>,arn:aws:iam::644160558196:user/<script>", "not an IAM user name")]
    [InlineData("mallory,arn:aws:iam::644160558196:user/division/alice", "does not name IAM user mallory")]
    [InlineData("mallory,arn:aws:s3:::mallory", "does not name IAM user mallory")]
    [InlineData("<root_account>,arn:aws:iam::644160558196:user/root", "does not name the root user")]
    public void Hostile_rows_are_rejected_with_the_reason_and_the_rest_is_read(string prefix, string reason)
    {
        var line = prefix + ",2016-08-30T17:37:35+00:00,true,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A";
        var rows = CredentialReport.Parse(Content() + "\n" + line + "\nshort,row", out var rejected);
        Assert.Equal(20, rows.Count);
        Assert.Equal(2, rejected.Count);
        Assert.Contains(rejected, r => r.Contains(reason, StringComparison.Ordinal));
        Assert.Contains(rejected, r => r.Contains("2 cells", StringComparison.Ordinal));
    }

    [Fact]
    public void A_report_without_the_needed_columns_is_refused()
    {
        Assert.Throws<FormatException>(() => CredentialReport.Parse("user,arn\nandrew,arn:aws:iam::644160558196:user/andrew", out _));
        Assert.Throws<FormatException>(() => CredentialReport.Parse("", out _));
    }

    [Fact]
    public async Task The_report_records_onto_the_same_principal_as_cloudtrail_calls()
    {
        AccessActivityStore.ForgetProcessMemory();
        var table = await dynamo.NewTableAsync("credential-report");
        var store = new AccessActivityStore(dynamo.Client, table);
        var rows = CredentialReport.Parse(Content() + "\n" + Alice, out _);
        var generated = DateTimeOffset.Parse("2017-02-22T23:07:48Z", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(21, await store.RecordCredentialReportAsync(rows, generated));

        // What CloudTrail's userIdentity.arn (with the path) reads is what the report wrote.
        var alice = (await store.GetAsync("arn:aws:iam::644160558196:user/division/team/alice"))!;
        Assert.True(alice.LoginProfile);
        Assert.Equal(DateTimeOffset.Parse("2016-11-21T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture), alice.LastSeenAt);
        // A DeleteLoginProfile call after the report wins over it.
        await store.RecordCredentialAsync(ResourceKeys.IamUser("644160558196", "alice"), "loginProfile", "false", generated.AddDays(1));
        Assert.False((await store.GetAsync("arn:aws:iam::644160558196:user/division/team/alice"))!.LoginProfile);
        Assert.False((await store.GetAsync("arn:aws:iam::644160558196:user/c7n-test"))!.LoginProfile);
        Assert.Equal(21, (await store.ReadAllAsync()).Count);
    }
}

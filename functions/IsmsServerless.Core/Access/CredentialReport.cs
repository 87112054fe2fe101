using System.Globalization;
using IsmsServerless.Drift;

namespace IsmsServerless.Access;

/// <summary>One user of the IAM credential report, keyed as every other source keys the principal.</summary>
/// <param name="User">The report's <c>user</c> (<c>&lt;root_account&gt;</c> for root).</param>
/// <param name="Arn">The report's <c>arn</c>, with the user's path as IAM spells it.</param>
/// <param name="PrincipalKey">The one key of the principal (<see cref="ResourceKeys.Principal"/>: the ARN without the path).</param>
/// <param name="PasswordEnabled">True/false; null for root (<c>not_supported</c>).</param>
/// <param name="LastUsedAt">The latest of the password's and the access keys' last use; null when never used (<c>no_information</c>, <c>N/A</c>).</param>
/// <param name="ActiveAccessKeys">How many of the two access key slots are active.</param>
public sealed record CredentialReportRow(string User, string Arn, string PrincipalKey, bool Root, bool? PasswordEnabled, bool MfaActive,
    DateTimeOffset? LastUsedAt, int ActiveAccessKeys);

/// <summary>
/// The IAM credential report (<c>GetCredentialReport</c>'s <c>Content</c>, CSV with a header row), read into rows keyed
/// by the principal's one key, so the report's user <c>arn:aws:iam::123456789012:user/division/team/alice</c> is the same
/// principal as Config's item and CloudTrail's <c>userIdentity.arn</c> for alice. Columns are found by name in the header
/// (AWS has added columns over time). A row whose user IAM could not hold, whose ARN is not an IAM user or root ARN, or
/// whose ARN names another user is rejected with the reason; a user listed twice keeps its latest use. Pure.
/// </summary>
public static class CredentialReport
{
    public const string RootUser = "<root_account>";

    /// <summary>Largest report read (characters): IAM's 5,000 users at ~400 characters a row, with room.</summary>
    public const int MaxLength = 8 * 1024 * 1024;

    private static readonly string[] Required = ["user", "arn", "password_enabled", "password_last_used", "mfa_active", "access_key_1_active", "access_key_2_active"];

    public static IReadOnlyList<CredentialReportRow> Parse(string content, out IReadOnlyList<string> rejected)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (content.Length > MaxLength) throw new FormatException($"the credential report is {content.Length} characters, more than {MaxLength}");
        var lines = content.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToList();
        if (lines.Count == 0) throw new FormatException("the credential report is empty");
        var header = lines[0].Split(',');
        var column = header.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i, StringComparer.Ordinal);
        if (Required.FirstOrDefault(r => !column.ContainsKey(r)) is { } missing)
            throw new FormatException($"the credential report has no '{missing}' column (header: {Shorten(lines[0])})");

        var problems = new List<string>();
        var rows = new Dictionary<string, CredentialReportRow>(StringComparer.Ordinal);
        for (var n = 1; n < lines.Count; n++)
        {
            var cells = lines[n].Split(',');
            if (cells.Length != header.Length)
            {
                problems.Add($"line {n + 1}: {cells.Length} cells, the header has {header.Length}");
                continue;
            }
            string Cell(string name) => cells[column[name]];
            var user = Cell("user");
            var arn = Cell("arn");
            var root = user == RootUser;
            if (!root && !ResourceKeys.IamName(user))
            {
                problems.Add($"line {n + 1}: '{Shorten(user)}' is not an IAM user name");
                continue;
            }
            var key = ResourceKeys.Principal(arn);
            var expected = root ? null : ":user/" + user;
            if (!arn.StartsWith("arn:", StringComparison.Ordinal) || arn.Any(char.IsControl)
                || (root ? !arn.EndsWith(":root", StringComparison.Ordinal) : !key.EndsWith(expected!, StringComparison.Ordinal) || !key.Contains(":iam::", StringComparison.Ordinal)))
            {
                problems.Add($"line {n + 1}: ARN '{Shorten(arn)}' does not name {(root ? "the root user" : "IAM user " + user)}");
                continue;
            }
            var lastUsed = new[] { Cell("password_last_used"), column.TryGetValue("access_key_1_last_used_date", out var k1) ? cells[k1] : "", column.TryGetValue("access_key_2_last_used_date", out var k2) ? cells[k2] : "" }
                .Select(Time).Where(t => t is not null).Max();
            var row = new CredentialReportRow(user, arn, key, root, Bool(Cell("password_enabled")), Bool(Cell("mfa_active")) == true, lastUsed,
                (Bool(Cell("access_key_1_active")) == true ? 1 : 0) + (Bool(Cell("access_key_2_active")) == true ? 1 : 0));
            // A user listed twice (reports do: a user deleted and re-created between the two reads): the latest use wins.
            if (rows.TryGetValue(key, out var other) && (other.LastUsedAt ?? DateTimeOffset.MinValue) > (row.LastUsedAt ?? DateTimeOffset.MinValue)) continue;
            rows[key] = row;
        }
        rejected = problems;
        return rows.Values.OrderBy(r => r.PrincipalKey, StringComparer.Ordinal).ToList();
    }

    private static bool? Bool(string text) => text switch { "true" => true, "false" => false, _ => null };

    private static DateTimeOffset? Time(string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at.ToUniversalTime() : null;

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";
}

using System.Globalization;
using System.Text.Json;
using IsmsServerless.Drift;
using IsmsServerless.Engine;
using IsmsServerless.Inputs;
using IsmsServerless.Model;
using IsmsServerless.Settings;

namespace IsmsServerless.Rules.Drift;

/// <summary>
/// Security groups are default-deny: no ingress from the whole internet (0.0.0.0/0, ::/0) unless the group and port are
/// listed in <see cref="IsmsSettings.ApprovedIngress"/>, and never SSH (22) or RDP (3389). Judged on every Config item
/// (which resolves the finding once the rule is gone) and raised early by the CloudTrail calls that add such rules, in
/// every CloudTrail form EC2 writes: the request's simple top-level <c>cidrIp</c>/<c>fromPort</c>/<c>toPort</c>/<c>ipProtocol</c>, its
/// <c>ipPermissions.items</c> (IPv4 and IPv6 ranges), and the response's <c>securityGroupRuleSet</c>. Any CIDR with prefix length 0 is
/// the whole internet.
/// </summary>
public sealed class SecurityGroupBaselineRule : IRule<ConfigItemInput>, IRule<CloudTrailInput>, IKeyedRule<CloudTrailInput>, IKeyedRule<ConfigItemInput>
{
    public const string ResourceTypeName = "AWS::EC2::SecurityGroup";

    private static readonly string[] NetworkControls =
        [Controls.IsoNetworkSecurity, Controls.IsoConfiguration, Controls.Soc2BoundaryProtection, Controls.Soc2ConfigurationMonitoring];

    public static Baseline Baseline { get; } = new(ResourceTypeName, "2026.11.1",
    [
        new("sg.no-world-admin-ports", "configuration.ipPermissions", "no ingress from 0.0.0.0/0 or ::/0 to port 22 or 3389 (never approvable)",
            PolicyClauses.QwestlySecurityGroups, NetworkControls, Severity.Critical),
        new("sg.no-unapproved-world-ingress", "configuration.ipPermissions", "no ingress from 0.0.0.0/0 or ::/0 unless the group and port are in approvedIngress",
            PolicyClauses.QwestlySecurityGroups, NetworkControls, Severity.High),
    ]);

    public RuleMetadata Metadata { get; } = new(
        Id: "drift.security-group-baseline",
        Title: "Security group open to the internet",
        Category: Category.Drift,
        Severity: Severity.High,
        ResourceType: ResourceTypeName,
        PolicyClause: PolicyClauses.QwestlySecurityGroups + "; " + PolicyClauses.Proc002Baseline,
        Controls: NetworkControls,
        Risk: "A rule open to the whole internet exposes every instance in the group to scanning and brute force; SSH and RDP are the most attacked ports.",
        Remediation: "Revoke the 0.0.0.0/0 or ::/0 rule (aws ec2 revoke-security-group-ingress) and reach hosts through SSM Session Manager or the VPN; if a public port is intended, add the group and port to approvedIngress through a reviewed change.")
    {
        Sla = TimeSpan.FromDays(2),
    };

    public IEnumerable<Evaluation> Evaluate(ConfigItemInput input, EvaluationContext context)
    {
        if (input.ResourceType != ResourceTypeName || !input.HasConfiguration) yield break;
        var groupId = Json.Text(input.Configuration, "groupId") ?? input.ResourceId;
        var rules = Json.Items(Json.Get(input.Configuration, "ipPermissions")).SelectMany(FromConfigPermission);
        yield return BaselineVerdict.Judge(Metadata, Baseline, input.ResourceKey, ResourceTypeName, input.AccountId, input.Region,
            BaselineVerdict.Subject(ResourceTypeName, groupId), Check(groupId, rules, context.Settings), input.CaptureTime, input.Evidence());
    }

    /// <summary>Only calls to ec2.amazonaws.com (the first check of the CloudTrail evaluation below).</summary>
    IReadOnlyList<string> IKeyedRule<CloudTrailInput>.DispatchKeys { get; } = ["ec2.amazonaws.com"];

    /// <summary>Configuration items of this type only (the first check of <c>Evaluate</c>).</summary>
    IReadOnlyList<string> IKeyedRule<ConfigItemInput>.DispatchKeys { get; } = [ResourceTypeName];

    public IEnumerable<Evaluation> Evaluate(CloudTrailInput input, EvaluationContext context)
    {
        if (input.Failed || input.EventSource != "ec2.amazonaws.com") yield break;
        var request = input.Record.RequestParameters;
        string? groupId;
        List<IngressRule> rules;
        switch (input.EventName)
        {
            case "AuthorizeSecurityGroupIngress":
            {
                var ruleSet = Json.Items(Json.Get(input.Record.ResponseElements, "securityGroupRuleSet")).ToList();
                groupId = Json.Text(request, "groupId") ?? ruleSet.Select(r => Json.Text(r, "groupId")).FirstOrDefault(g => g is not null);
                rules = Json.Items(Json.Get(request, "ipPermissions")).SelectMany(FromRequestPermission)
                    .Concat(FromTopLevelRequest(request))
                    .Concat(ruleSet.Where(r => Json.Bool(Json.Get(r, "isEgress")) != true).SelectMany(FromRuleSetItem))
                    .ToList();
                break;
            }
            case "ModifySecurityGroupRules":
            {
                var modify = Json.Get(request, "ModifySecurityGroupRulesRequest");
                groupId = Json.Text(modify, "GroupId");
                rules = ModifiedRules(Json.Get(modify, "SecurityGroupRule")).ToList();
                break;
            }
            default:
                yield break;
        }
        if (!ResourceKeys.Plausible(groupId)) yield break;
        var violations = Check(groupId, rules, context.Settings);
        // A call that adds a restricted rule says nothing about the rest of the group: only the Config item can clear it.
        if (violations.Count == 0) yield break;
        var evidence = input.Evidence();
        yield return BaselineVerdict.Judge(Metadata, Baseline, ResourceKeys.SecurityGroup(input.Region, input.AccountId, groupId), ResourceTypeName,
            input.AccountId, input.Region, BaselineVerdict.Subject(ResourceTypeName, groupId), violations, input.ObservedAt, evidence,
            source: $"{input.EventName} by {input.Actor}");
    }

    /// <summary>One (protocol, port range, source CIDR) of a group's ingress.</summary>
    private sealed record IngressRule(string Protocol, long? FromPort, long? ToPort, string Cidr);

    private static List<BaselineViolation> Check(string groupId, IEnumerable<IngressRule> rules, IsmsSettings settings)
    {
        var violations = new List<BaselineViolation>();
        foreach (var rule in rules.Where(r => IsWorld(r.Cidr)).DistinctBy(r => (r.Protocol, r.FromPort, r.ToPort, r.Cidr)))
        {
            var path = $"configuration.ipPermissions[{Describe(rule)}]";
            if (Covers(rule, 22) || Covers(rule, 3389))
            {
                var port = Covers(rule, 22) ? "22 (SSH)" : "3389 (RDP)";
                violations.Add(new BaselineViolation(Baseline["sg.no-world-admin-ports"], rule.Cidr, path,
                    $"{groupId} allows {Describe(rule)} from {rule.Cidr}, which includes port {port}"));
            }
            else if (!IsApproved(groupId, rule, settings))
            {
                violations.Add(new BaselineViolation(Baseline["sg.no-unapproved-world-ingress"], rule.Cidr, path,
                    $"{groupId} allows {Describe(rule)} from {rule.Cidr} and that group/port is not in approvedIngress"));
            }
        }
        return violations;
    }

    private static bool IsApproved(string groupId, IngressRule rule, IsmsSettings settings) =>
        !IsAllTraffic(rule.Protocol) && rule.FromPort is { } from && rule.FromPort == rule.ToPort
        && settings.ApprovedIngress.Any(a => string.Equals(a.GroupId, groupId, StringComparison.Ordinal) && a.Port == from && a.Port is not (22 or 3389));

    private static bool Covers(IngressRule rule, int port)
    {
        if (IsAllTraffic(rule.Protocol)) return true;
        if (rule.Protocol is not ("tcp" or "udp" or "6" or "17")) return false;
        var from = rule.FromPort ?? 0;
        var to = rule.ToPort ?? 65535;
        if (from < 0 || to < 0) return true; // -1 on tcp/udp means all ports
        return from <= port && port <= to;
    }

    private static bool IsAllTraffic(string protocol) => protocol is "-1" or "all" or "";

    /// <summary>
    /// The whole address space: any CIDR whose prefix length is 0, whatever its address bits (<c>0.0.0.0/0</c>,
    /// <c>10.1.2.3/0</c>, <c>::/0</c>, <c>2001:db8::/0</c>). EC2 accepts such host bits and the rule still matches everything.
    /// </summary>
    internal static bool IsWorld(string cidr)
    {
        var slash = cidr.LastIndexOf('/');
        if (slash <= 0 || slash == cidr.Length - 1) return false;
        var prefix = cidr[(slash + 1)..].Trim();
        if (!int.TryParse(prefix, NumberStyles.None, CultureInfo.InvariantCulture, out var length) || length != 0) return false;
        return System.Net.IPAddress.TryParse(cidr[..slash].Trim(), out _);
    }

    private static string Describe(IngressRule rule)
    {
        var protocol = IsAllTraffic(rule.Protocol) ? "all traffic" : rule.Protocol;
        if (IsAllTraffic(rule.Protocol)) return protocol;
        var ports = rule.FromPort is null && rule.ToPort is null ? "all ports"
            : rule.FromPort == rule.ToPort ? rule.FromPort?.ToString(CultureInfo.InvariantCulture)
            : $"{rule.FromPort?.ToString(CultureInfo.InvariantCulture) ?? "0"}-{rule.ToPort?.ToString(CultureInfo.InvariantCulture) ?? "65535"}";
        return $"{protocol} {ports}";
    }

    private static string Protocol(JsonElement permission, string name) =>
        (Json.Text(permission, name) ?? "-1").Trim().ToLowerInvariant() is var p && p.Length <= 16 ? p : "invalid";

    /// <summary>A Config item's permission: ranges as <c>ipv4Ranges[{cidrIp}]</c>, <c>ipv6Ranges[{cidrIpv6}]</c> and/or the older <c>ipRanges</c> (strings or objects).</summary>
    private static IEnumerable<IngressRule> FromConfigPermission(JsonElement permission)
    {
        var protocol = Protocol(permission, "ipProtocol");
        var from = Json.WholeNumber(Json.Get(permission, "fromPort"));
        var to = Json.WholeNumber(Json.Get(permission, "toPort"));
        foreach (var range in Json.Items(Json.Get(permission, "ipv4Ranges")).Concat(Json.Items(Json.Get(permission, "ipRanges"))))
        {
            var cidr = range.ValueKind == JsonValueKind.String ? range.GetString() : Json.Text(range, "cidrIp");
            if (!string.IsNullOrEmpty(cidr)) yield return new IngressRule(protocol, from, to, cidr.Trim());
        }
        foreach (var range in Json.Items(Json.Get(permission, "ipv6Ranges")))
        {
            var cidr = range.ValueKind == JsonValueKind.String ? range.GetString() : Json.Text(range, "cidrIpv6");
            if (!string.IsNullOrEmpty(cidr)) yield return new IngressRule(protocol, from, to, cidr.Trim());
        }
    }

    /// <summary>The legacy request form: <c>ipPermissions.items[].ipRanges.items[].cidrIp</c> and <c>ipv6Ranges.items[].cidrIpv6</c>.</summary>
    private static IEnumerable<IngressRule> FromRequestPermission(JsonElement permission)
    {
        var protocol = Protocol(permission, "ipProtocol");
        var from = Json.WholeNumber(Json.Get(permission, "fromPort"));
        var to = Json.WholeNumber(Json.Get(permission, "toPort"));
        foreach (var range in Json.Items(Json.Get(permission, "ipRanges")))
        {
            var cidr = range.ValueKind == JsonValueKind.String ? range.GetString() : Json.Text(range, "cidrIp");
            if (!string.IsNullOrEmpty(cidr)) yield return new IngressRule(protocol, from, to, cidr.Trim());
        }
        foreach (var range in Json.Items(Json.Get(permission, "ipv6Ranges")))
        {
            var cidr = range.ValueKind == JsonValueKind.String ? range.GetString() : Json.Text(range, "cidrIpv6");
            if (!string.IsNullOrEmpty(cidr)) yield return new IngressRule(protocol, from, to, cidr.Trim());
        }
    }

    /// <summary>
    /// The simple request form (<c>aws ec2 authorize-security-group-ingress --protocol tcp --port 22 --cidr 0.0.0.0/0</c>
    /// and the API's top-level <c>CidrIp</c>/<c>FromPort</c>/<c>ToPort</c>/<c>IpProtocol</c>): one rule at the top of
    /// <c>requestParameters</c>, which older records carry with no <c>securityGroupRuleSet</c> in the response.
    /// </summary>
    private static IEnumerable<IngressRule> FromTopLevelRequest(JsonElement request)
    {
        if (request.ValueKind != JsonValueKind.Object) yield break;
        var protocol = Protocol(request, "ipProtocol");
        var from = Json.WholeNumber(Json.Get(request, "fromPort"));
        var to = Json.WholeNumber(Json.Get(request, "toPort"));
        foreach (var name in new[] { "cidrIp", "cidrIpv6" })
        {
            if (Json.Text(request, name) is { Length: > 0 } cidr) yield return new IngressRule(protocol, from, to, cidr.Trim());
        }
    }

    /// <summary>The rule form EC2 returns since 2021: <c>securityGroupRuleSet.items[]</c> with <c>cidrIpv4</c>/<c>cidrIpv6</c>.</summary>
    private static IEnumerable<IngressRule> FromRuleSetItem(JsonElement item)
    {
        var protocol = Protocol(item, "ipProtocol");
        var from = Json.WholeNumber(Json.Get(item, "fromPort"));
        var to = Json.WholeNumber(Json.Get(item, "toPort"));
        foreach (var name in new[] { "cidrIpv4", "cidrIpv6" })
        {
            if (Json.Text(item, name) is { Length: > 0 } cidr) yield return new IngressRule(protocol, from, to, cidr.Trim());
        }
    }

    /// <summary>
    /// ModifySecurityGroupRules: <c>SecurityGroupRule</c> (one or a list) of <c>{SecurityGroupRuleId, SecurityGroupRule: {CidrIpv4, IpProtocol, FromPort, ToPort}}</c>.
    /// The request does not say whether the rule is ingress or egress; a world-open egress rule raised here is cleared by the next Config item.
    /// </summary>
    private static IEnumerable<IngressRule> ModifiedRules(JsonElement element)
    {
        var entries = element.ValueKind == JsonValueKind.Array ? element.EnumerateArray().ToList() : element.ValueKind == JsonValueKind.Object ? [element] : [];
        foreach (var entry in entries)
        {
            var rule = Json.Get(entry, "SecurityGroupRule");
            if (rule.ValueKind != JsonValueKind.Object) continue;
            var protocol = Protocol(rule, "IpProtocol");
            var from = Json.WholeNumber(Json.Get(rule, "FromPort"));
            var to = Json.WholeNumber(Json.Get(rule, "ToPort"));
            foreach (var name in new[] { "CidrIpv4", "CidrIpv6" })
            {
                if (Json.Text(rule, name) is { Length: > 0 } cidr) yield return new IngressRule(protocol, from, to, cidr.Trim());
            }
        }
    }
}

using Amazon.CDK.AWS.Config;
using Constructs;
using IsmsServerless.Drift;

namespace IsmsServerless.Infra.Constructs;

/// <summary>
/// The AWS managed Config rules whose "Config Rules Compliance Change" events the drift area consumes, one per entry of
/// <see cref="ManagedConfigRules.All"/> (the same list the rule engine reads, so deployed and understood rules match).
/// Resource-scoped rules run on configuration change; account-level rules (CloudTrail, IAM MFA) every 24 hours.
/// Requires an AWS Config configuration recorder in the account and region (Config allows one per region, usually
/// owned by Control Tower or the organisation's baseline, so this stack does not create it).
/// </summary>
public sealed class DriftConfigRules : Construct
{
    public IReadOnlyList<ManagedRule> Rules { get; }

    public DriftConfigRules(Construct scope, string id) : base(scope, id)
    {
        var rules = new List<ManagedRule>();
        foreach (var managed in ManagedConfigRules.All)
        {
            var props = new ManagedRuleProps
            {
                Identifier = managed.Identifier,
                ConfigRuleName = managed.DeployedName,
                Description = $"IsmsServerless drift: {managed.Title}",
            };
            if (managed.Periodic)
            {
                props.MaximumExecutionFrequency = MaximumExecutionFrequency.TWENTY_FOUR_HOURS;
            }
            else
            {
                props.RuleScope = RuleScope.FromResources(managed.ResourceTypes.Select(ResourceType.Of).ToArray());
            }
            if (managed.InputParameters is { Count: > 0 } parameters)
                props.InputParameters = parameters.ToDictionary(p => p.Key, p => (object)p.Value);
            rules.Add(new ManagedRule(this, managed.Identifier, props));
        }
        Rules = rules;
    }
}

using IsmsServerless.Inputs;

namespace IsmsServerless.Drift;

/// <summary>Turns stored configurations back into the input the rules judge, for the sweep and for approvals.</summary>
public static class StoredConfigurationInputs
{
    public static ConfigItemInput ToInput(this StoredConfiguration stored, ApprovedBaseline? baseline) => new()
    {
        ResourceType = stored.ResourceType,
        ResourceId = stored.ResourceId,
        Arn = stored.Arn,
        ResourceName = stored.ResourceName,
        AccountId = stored.AccountId,
        Region = stored.Region,
        CaptureTime = stored.CaptureTime,
        ObservedAt = stored.CaptureTime,
        Status = stored.Status,
        Configuration = stored.Configuration,
        SupplementaryConfiguration = stored.SupplementaryConfiguration,
        Tags = stored.Tags,
        Trigger = ConfigItemTrigger.StoredConfiguration,
        ApprovedBaseline = baseline,
    };
}

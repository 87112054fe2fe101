namespace IsmsServerless.Model;

/// <summary>
/// Control identifiers, spelled once. ISO ids come from PROC-002's front matter (ISO/IEC 27001:2022 Annex A);
/// SOC 2 ids are the 2017 Trust Services Criteria (revised 2022) common criteria.
/// </summary>
public static class Controls
{
    public const string IsoCapacity = "ISO27001:2022 A.8.6";
    public const string IsoMalware = "ISO27001:2022 A.8.7";
    public const string IsoVulnerabilities = "ISO27001:2022 A.8.8";
    public const string IsoConfiguration = "ISO27001:2022 A.8.9";
    public const string IsoBackup = "ISO27001:2022 A.8.13";
    public const string IsoLogging = "ISO27001:2022 A.8.15";
    public const string IsoMonitoring = "ISO27001:2022 A.8.16";
    public const string IsoPrivilegedUtilities = "ISO27001:2022 A.8.18";
    public const string IsoNetworkSecurity = "ISO27001:2022 A.8.20";
    public const string IsoNetworkServices = "ISO27001:2022 A.8.21";
    public const string IsoSegregation = "ISO27001:2022 A.8.22";
    public const string IsoSeparationOfEnvironments = "ISO27001:2022 A.8.31";
    public const string IsoChangeManagement = "ISO27001:2022 A.8.32";
    public const string IsoDocumentedProcedures = "ISO27001:2022 A.5.37";
    public const string IsoPrivilegedAccess = "ISO27001:2022 A.8.2";
    public const string IsoSecureAuthentication = "ISO27001:2022 A.8.5";
    public const string IsoCryptography = "ISO27001:2022 A.8.24";
    public const string IsoAccessControl = "ISO27001:2022 A.5.15";
    public const string IsoIncidentPlanning = "ISO27001:2022 A.5.24";
    public const string IsoIncidentAssessment = "ISO27001:2022 A.5.25";
    public const string IsoIncidentResponse = "ISO27001:2022 A.5.26";
    public const string IsoIncidentLearning = "ISO27001:2022 A.5.27";

    public const string Soc2LogicalAccess = "SOC2 CC6.1";
    public const string Soc2UserRegistration = "SOC2 CC6.2";
    public const string Soc2AccessRemoval = "SOC2 CC6.3";
    public const string Soc2BoundaryProtection = "SOC2 CC6.6";
    public const string Soc2DataTransmission = "SOC2 CC6.7";
    public const string Soc2MalwarePrevention = "SOC2 CC6.8";
    public const string Soc2ConfigurationMonitoring = "SOC2 CC7.1";
    public const string Soc2AnomalyMonitoring = "SOC2 CC7.2";
    public const string Soc2EventEvaluation = "SOC2 CC7.3";
    public const string Soc2IncidentResponse = "SOC2 CC7.4";
    public const string Soc2ChangeManagement = "SOC2 CC8.1";
    public const string Soc2Availability = "SOC2 A1.2";
    public const string Soc2RecoveryTesting = "SOC2 A1.3";
    public const string Soc2IncidentRecovery = "SOC2 CC7.5";
}

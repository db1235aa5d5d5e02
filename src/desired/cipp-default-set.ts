/**
 * CIPP's current requirement for CIPP-SAM, in the project's own words: CyberDrain CIPP-API's
 * Config/SAMManifest.json (application permissions and published delegated scopes) and
 * Config/AdditionalPermissions.json (delegated scopes the resources do not publish, in
 * `unpublishedScopes`), at API commit adf32422a.
 *
 * Names, not GUIDs, so a reviewer can read a diff. Where CIPP's own translator disagrees with the
 * resource's published permissions the resource wins: Exchange Online's role ef54d2bf-… is its
 * "Calendars.ReadWrite.All", and WindowsDefenderATP's role 41269fc5-… and scope 63a677ce-… are
 * "Vulnerability.Read.All" and "Vulnerability.Read" respectively.
 */
import type { DesiredResource, PermissionSet } from "./model";
import { withPartnerCenterRule } from "./partner-center";

/** Every resource CIPP asks for, Microsoft Partner Center included (12 resource applications). */
export const CIPP_REQUIRED_RESOURCES: readonly DesiredResource[] = [
  {
    appId: "00000003-0000-0000-c000-000000000000",
    displayName: "Microsoft Graph",
    appRoles: [
      "Application.ReadWrite.All", "AuditLog.Read.All", "AuditLogsQuery.Read.All", "BitlockerKey.Read.All",
      "Channel.Create", "Channel.ReadBasic.All", "ChannelMember.ReadWrite.All",
      "Contacts-OnPremisesSyncBehavior.ReadWrite.All", "CopilotPackages.Read.All",
      "CopilotPackages.ReadWrite.All", "CopilotPolicySettings.Read", "CopilotPolicySettings.ReadWrite",
      "CrossTenantInformation.ReadBasic.All", "Device.ReadWrite.All", "DeviceManagementApps.ReadWrite.All",
      "DeviceManagementConfiguration.ReadWrite.All", "DeviceManagementManagedDevices.PrivilegedOperations.All",
      "DeviceManagementManagedDevices.ReadWrite.All", "DeviceManagementRBAC.ReadWrite.All",
      "DeviceManagementScripts.ReadWrite.All", "DeviceManagementServiceConfig.ReadWrite.All",
      "Directory.ReadWrite.All", "Domain.Read.All", "Domain.ReadWrite.All", "Files.ReadWrite.All",
      "Group-OnPremisesSyncBehavior.ReadWrite.All", "Group.Create", "Group.ReadWrite.All",
      "GroupMember.ReadWrite.All", "InformationProtectionPolicy.Read.All", "MailboxSettings.ReadWrite",
      "Organization.ReadWrite.All", "OrgSettings-Forms.ReadWrite.All", "PeopleSettings.ReadWrite.All",
      "Place.Read.All", "Policy.Read.All", "Policy.ReadWrite.ApplicationConfiguration",
      "Policy.ReadWrite.AuthenticationFlows", "Policy.ReadWrite.AuthenticationMethod",
      "Policy.ReadWrite.ConditionalAccess", "Policy.ReadWrite.ConsentRequest",
      "Policy.ReadWrite.CrossTenantAccess", "PrivilegedAccess.ReadWrite.AzureADGroup", "Reports.Read.All",
      "ReportSettings.ReadWrite.All", "RoleAssignmentSchedule.ReadWrite.Directory",
      "RoleEligibilitySchedule.ReadWrite.Directory", "RoleManagement.ReadWrite.Directory",
      "RoleManagement.ReadWrite.Exchange", "RoleManagementPolicy.ReadWrite.Directory",
      "SecurityAnalyzedMessage.ReadWrite.All", "SecurityEvents.Read.All", "SecurityIncident.ReadWrite.All",
      "SharePointTenantSettings.ReadWrite.All", "Sites.FullControl.All", "TeamMember.ReadWrite.All",
      "TeamMember.ReadWriteNonOwnerRole.All", "TeamsTelephoneNumber.ReadWrite.All",
      "TeamsUserConfiguration.Read.All", "ThreatSubmission.ReadWrite.All",
      "User-OnPremisesSyncBehavior.ReadWrite.All", "User.ReadWrite.All",
      "UserAuthenticationMethod.ReadWrite.All"
    ],
    scopes: [
      "Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All", "AuditLog.Read.All",
      "BitlockerKey.Read.All", "Channel.Create", "Channel.Delete.All", "Channel.ReadBasic.All",
      "ChannelMember.Read.All", "ChannelMember.ReadWrite.All", "ChannelMessage.Edit",
      "ChannelMessage.Read.All", "ChannelMessage.Send", "ChannelSettings.ReadWrite.All",
      "ConsentRequest.Read.All", "CopilotPolicySettings.ReadWrite", "DelegatedAdminRelationship.ReadWrite.All",
      "DelegatedPermissionGrant.ReadWrite.All", "Device.Command", "Device.Read", "Device.Read.All",
      "DeviceLocalCredential.Read.All", "DeviceManagementApps.ReadWrite.All",
      "DeviceManagementConfiguration.ReadWrite.All", "DeviceManagementManagedDevices.PrivilegedOperations.All",
      "DeviceManagementManagedDevices.ReadWrite.All", "DeviceManagementRBAC.ReadWrite.All",
      "DeviceManagementScripts.ReadWrite.All", "DeviceManagementServiceConfig.ReadWrite.All",
      "Directory.AccessAsUser.All", "Directory.ReadWrite.All", "Domain.Read.All", "Domain.ReadWrite.All",
      "Group.ReadWrite.All", "GroupMember.ReadWrite.All", "IdentityRiskEvent.ReadWrite.All",
      "IdentityRiskyServicePrincipal.ReadWrite.All", "IdentityRiskyUser.ReadWrite.All", "Mail.Send",
      "Mail.Send.Shared", "MailboxSettings.ReadWrite", "Member.Read.Hidden", "offline_access", "openid",
      "Organization.ReadWrite.All", "OrgSettings-AppsAndServices.Read.All", "OrgSettings-Forms.ReadWrite.All",
      "PeopleSettings.ReadWrite.All", "Place.ReadWrite.All", "Policy.Read.All",
      "Policy.ReadWrite.ApplicationConfiguration", "Policy.ReadWrite.AuthenticationFlows",
      "Policy.ReadWrite.AuthenticationMethod", "Policy.ReadWrite.Authorization",
      "Policy.ReadWrite.ConditionalAccess", "Policy.ReadWrite.ConsentRequest",
      "Policy.ReadWrite.DeviceConfiguration", "Policy.ReadWrite.MobilityManagement",
      "PrivilegedAccess.ReadWrite.AzureResources", "profile", "Reports.Read.All",
      "ReportSettings.ReadWrite.All", "RoleAssignmentSchedule.ReadWrite.Directory",
      "RoleEligibilitySchedule.ReadWrite.Directory", "RoleManagement.Read.Exchange",
      "RoleManagement.ReadWrite.Directory", "RoleManagementPolicy.ReadWrite.Directory",
      "SecurityActions.ReadWrite.All", "SecurityEvents.ReadWrite.All", "SecurityIncident.ReadWrite.All",
      "ServiceHealth.Read.All", "ServiceMessage.Read.All", "SharePointTenantSettings.ReadWrite.All",
      "Sites.ReadWrite.All", "Team.Create", "Team.ReadBasic.All", "TeamMember.ReadWrite.All",
      "TeamMember.ReadWriteNonOwnerRole.All", "TeamsActivity.Read", "TeamSettings.ReadWrite.All",
      "TeamsTab.Create", "TeamsTab.ReadWrite.All", "TeamsTelephoneNumber.ReadWrite.All",
      "TeamsUserConfiguration.Read.All", "ThreatAssessment.ReadWrite.All", "UnifiedGroupMember.Read.AsGuest",
      "User.ManageIdentities.All", "User.ReadWrite.All", "UserAuthenticationMethod.ReadWrite",
      "UserAuthenticationMethod.ReadWrite.All"
    ],
    unpublishedScopes: [],
  },
  {
    appId: "aeb86249-8ea3-49e2-900b-54cc8e308f85",
    displayName: "M365 License Manager",
    appRoles: [],
    scopes: ["LicenseManager.AccessAsUser"],
    unpublishedScopes: [],
  },
  {
    appId: "00000006-0000-0ff1-ce00-000000000000",
    displayName: "Microsoft Office 365 Portal",
    appRoles: [],
    scopes: [],
    unpublishedScopes: ["M365AdminPortal.IntegratedApps.ReadWrite", "user_impersonation"],
  },
  {
    appId: "fa3d9a0c-3fb0-42cc-9193-47c7ecd2edbd",
    displayName: "Microsoft Partner Center",
    appRoles: [],
    scopes: ["user_impersonation"],
    unpublishedScopes: [],
  },
  {
    appId: "00000012-0000-0000-c000-000000000000",
    displayName: "Microsoft Rights Management Services",
    appRoles: ["Application.Read.All", "Content.SuperUser"],
    scopes: ["user_impersonation"],
    unpublishedScopes: [],
  },
  {
    appId: "c9d36ed4-91b3-4c87-b8d7-68d92826c96c",
    displayName: "Modern Workplace Customer APIs",
    appRoles: [],
    scopes: [],
    unpublishedScopes: ["user_impersonation"],
  },
  {
    appId: "00000002-0000-0ff1-ce00-000000000000",
    displayName: "Office 365 Exchange Online",
    appRoles: ["Calendars.ReadWrite.All", "Exchange.ManageAsApp", "MailboxSettings.ReadWrite"],
    scopes: ["Calendars.ReadWrite.All", "Exchange.Manage", "MailboxSettings.ReadWrite"],
    unpublishedScopes: ["Group.ReadWrite.All.Sdp", "User-OnPremisesSyncBehavior.ReadWrite.All.Sdp"],
  },
  {
    appId: "c5393580-f805-4401-95e8-94b7a6ef2fc2",
    displayName: "Office 365 Management APIs",
    appRoles: [],
    scopes: ["ActivityFeed.Read"],
    unpublishedScopes: [],
  },
  {
    appId: "507bc9da-c4e2-40cb-96a7-ac90df92685c",
    displayName: "Office 365 Reports",
    appRoles: [],
    scopes: [],
    unpublishedScopes: ["user_impersonation"],
  },
  {
    appId: "00000003-0000-0ff1-ce00-000000000000",
    displayName: "Office 365 SharePoint Online",
    appRoles: ["Sites.FullControl.All"],
    scopes: ["AllSites.FullControl"],
    unpublishedScopes: ["AllProfiles.Manage"],
  },
  {
    appId: "48ac35b8-9aa8-4d74-927d-1f4a14a0b239",
    displayName: "Skype and Teams Tenant Admin API",
    appRoles: [],
    scopes: ["user_impersonation"],
    unpublishedScopes: [],
  },
  {
    appId: "fc780465-2017-40d4-a0c5-307022471b92",
    displayName: "WindowsDefenderATP",
    appRoles: ["Vulnerability.Read.All"],
    scopes: ["Vulnerability.Read"],
    unpublishedScopes: ["user_impersonation"],
  },
];

/**
 * CIPP's set for one tenant: 70 application permissions; 107 delegated scopes in the partner
 * tenant (12 resource applications), 106 elsewhere (11), because Partner Center's scope is only
 * meaningful, and only granted, where the partner signs in.
 */
export function cippDefaultSet(forPartnerTenant: boolean): PermissionSet {
  return withPartnerCenterRule({ resources: CIPP_REQUIRED_RESOURCES }, forPartnerTenant);
}

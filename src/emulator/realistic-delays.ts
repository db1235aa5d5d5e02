/**
 * Replication lag and latency like Microsoft's services show, for the demo and the end-to-end
 * tests (unit tests keep both off). Microsoft documents that lists "might have replication delays"
 * for grants and assignments recently created, updated or deleted (List oauth2PermissionGrants;
 * List appRoleAssignments granted to a service principal) without giving a figure; public reports
 * describe a new service principal answering 404 for "a few seconds" (hashicorp/terraform-provider-azuread#535,
 * microsoftgraph/msgraph-sdk-dotnet#3108). Three seconds of lag and 120 ms per request is that order.
 */
import type { FaultProfile } from "./faults";

export const REALISTIC_DELAYS = { replicationLagMs: 3_000, latencyMs: 120 } as const satisfies FaultProfile;

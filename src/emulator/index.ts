/** The emulator's public surface: start it, load worlds, use the demo world's credentials. */
export { startEmulator, type EmulatorOptions, type RunningEmulator } from "./server";
export { loadWorld, snapshotTenant, type TenantSnapshot } from "./state";
export { demoWorld, DEMO_CREDENTIALS, DEMO_FEDERATION, DEMO_EXPIRING_IN_DAYS } from "./demo-world";
export { DEMO } from "./demo-ids";
export { REALISTIC_DELAYS } from "./realistic-delays";
export type { FaultProfile, FaultRule } from "./faults";
export type { RequestCount, RequestLogEntry, RequestSummary } from "./request-log";
export type { WorldSpec } from "./world";

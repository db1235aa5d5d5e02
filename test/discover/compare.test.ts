/** The pure half of discovery: triage of relationships against the declarations, proposals, tenant files. */
// The global expect types asymmetric matchers (expect.stringContaining…) as `any`; @jest/globals types them.
import { expect } from "@jest/globals";
import { mkdtempSync, rmSync, writeFileSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse } from "yaml";
import { checkAssignments, propose, triage } from "../../src/discover/compare";
import { changedTenants, nextState, roleSetsOf } from "../../src/discover/gdap-roles";
import { renderDiscoveryText } from "../../src/discover/render";
import { cleanName, tenantFileContent, tenantFileName } from "../../src/discover/tenant-file";
import { loadFleet } from "../../src/desired/load";
import type { GdapRelationship } from "../../src/tenant/gdap-directory";

const STACKS = path.resolve(__dirname, "../../stacks");
const fleet = loadFleet(STACKS);
const NOW = Date.UTC(2026, 11, 1);
const DAY = 86_400_000;
const APP_ADMIN = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3";
const READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451";
const FABRIKAM = "1e5b2c7d-8a9f-4b3c-a1d2-3e4f5a6b7c01";
const NORTHWIND = "2f6c3d8e-9b0a-4c4d-b2e3-4f5a6b7c8d02";
const NEW = "6d0a7b2c-3f4e-4a81-b6c7-8d9e0f1a2b06";

function rel(customer: string, over: Partial<GdapRelationship> = {}): GdapRelationship {
  return {
    id: `r-${customer}-${over.status ?? "active"}`,
    displayName: `CIPP ${customer.slice(0, 4)}`,
    status: "active",
    customerTenantId: customer,
    customerDisplayName: "Customer",
    roles: [APP_ADMIN],
    endDateTime: new Date(NOW + 400 * DAY).toISOString(),
    autoExtend: false,
    activatedDateTime: null,
    lastModifiedDateTime: null,
    ...over,
  };
}

const everyDeclared = fleet.tenants.filter((t) => !t.isPartner).map((t) => rel(t.tenantId));
const options = { now: NOW, expiringWithinDays: 30, stacksDir: STACKS };

describe("triage", () => {
  it("reports a declared tenant ending within the window without auto-extend, not one that extends itself", () => {
    const soon = new Date(NOW + 10 * DAY).toISOString();
    const list = everyDeclared.map((r) =>
      r.customerTenantId === FABRIKAM
        ? { ...r, endDateTime: soon }
        : r.customerTenantId === NORTHWIND
          ? { ...r, endDateTime: soon, autoExtend: true }
          : r,
    );
    const t = triage(list, [], fleet, options);
    expect(t.ending.map((e) => [e.tenantId, e.state, e.endDateTime, e.daysLeft])).toEqual([[FABRIKAM, "expiring", soon, 10]]);
    expect(triage(list, [], fleet, { ...options, expiringWithinDays: 9 }).ending).toEqual([]);
  });

  it("takes the longest-lasting relationship: a second one that goes on keeps the tenant off the list", () => {
    const list = [...everyDeclared, rel(FABRIKAM, { id: "short", endDateTime: new Date(NOW + 5 * DAY).toISOString() })];
    expect(triage(list, [], fleet, options).ending).toEqual([]);
  });

  it("reports ended relationships and tenants GDAP does not know, and never the partner tenant", () => {
    const list = everyDeclared
      .filter((r) => r.customerTenantId !== NORTHWIND)
      .map((r) =>
        r.customerTenantId === FABRIKAM ? { ...r, status: "terminated", endDateTime: new Date(NOW - 3 * DAY).toISOString() } : r,
      );
    const t = triage(list, [], fleet, options);
    expect(t.ending.map((e) => [e.tenantId, e.state, e.daysLeft])).toEqual([[FABRIKAM, "ended", -3]]);
    expect(t.unknown.map((u) => [u.tenantId, u.file])).toEqual([[NORTHWIND, "tenants/northwind.yaml"]]);
    expect(t.unknown.some((u) => u.tenantId === fleet.settings.partnerTenantId)).toBe(false);
  });

  it("an active relationship past its end date is ended, whatever its status says", () => {
    const list = everyDeclared.map((r) => (r.customerTenantId === FABRIKAM ? { ...r, endDateTime: new Date(NOW - DAY).toISOString() } : r));
    expect(triage(list, [], fleet, options).ending.map((e) => [e.tenantId, e.state])).toEqual([[FABRIKAM, "ended"]]);
  });

  it("makes a customer without a file a candidate only with a consent-capable role; lists it otherwise; ignores ended ones", () => {
    const other = "7e1b8c3d-4a5f-4b92-87d8-9e0f1a2b3c07";
    const gone = "8f2c9d4e-5b6a-4c03-98e9-0a1b2c3d4e08";
    const t = triage(
      [
        ...everyDeclared,
        rel(NEW),
        rel(other, { roles: [READER] }),
        rel(gone, { status: "expired", endDateTime: new Date(NOW - DAY).toISOString() }),
      ],
      [],
      fleet,
      options,
    );
    expect(t.candidates.map((c) => c.tenantId)).toEqual([NEW]);
    expect(t.lackingRoles.map((l) => [l.tenantId, l.reason, l.file])).toEqual([[other, "not-in-relationship", null]]);
    expect(t.customers).toBe(everyDeclared.length + 3);
  });

  it("a declared tenant whose active relationships lack the roles is listed with its file", () => {
    const list = everyDeclared.map((r) => (r.customerTenantId === FABRIKAM ? { ...r, roles: [READER] } : r));
    expect(triage(list, [], fleet, options).lackingRoles.map((l) => [l.tenantId, l.file])).toEqual([[FABRIKAM, "tenants/fabrikam.yaml"]]);
  });

  it("turns an anomaly into a warning", () => {
    const t = triage(
      everyDeclared,
      [{ relationshipId: "x", displayName: "Pending", problem: "Graph gave no customer tenant id for this relationship" }],
      fleet,
      options,
    );
    expect(t.problems).toEqual([expect.objectContaining({ severity: "warning", subject: 'relationship x ("Pending")' })]);
  });
});

describe("checkAssignments and propose", () => {
  const candidates = triage([...everyDeclared, rel(NEW)], [], fleet, options).candidates;

  it("needs an active assignment of a consent-capable role, and names the missing ones otherwise", () => {
    const id = candidates[0]?.relationships[0]?.id ?? "";
    expect(checkAssignments(candidates, new Map([[id, { ok: true, roles: [APP_ADMIN] }]])).confirmed).toHaveLength(1);
    const none = checkAssignments(candidates, new Map([[id, { ok: true, roles: [READER] }]]));
    expect(none.lacking.map((l) => l.reason)).toEqual(["not-assigned"]);
    const failed = checkAssignments(candidates, new Map([[id, { ok: false, error: "HTTP 503" }]]));
    expect(failed.problems).toEqual([expect.objectContaining({ severity: "error", message: expect.stringContaining("HTTP 503") })]);
    expect(failed.confirmed).toEqual([]);
  });

  const confirmed = checkAssignments(
    candidates,
    new Map([[candidates[0]?.relationships[0]?.id ?? "", { ok: true, roles: [APP_ADMIN] }]]),
  ).confirmed;

  it("refuses a default domain that is not a domain name, or one already declared", () => {
    const bad = propose(
      confirmed,
      new Map([[NEW, { ok: true, tenantId: NEW, defaultDomain: "../../etc", displayName: "X" }]]),
      new Set(),
      [],
      fleet,
    );
    expect(bad.proposed).toEqual([]);
    expect(bad.problems[0]?.message).toContain("not a domain name");
    const taken = propose(
      confirmed,
      new Map([[NEW, { ok: true, tenantId: NEW, defaultDomain: "fabrikam.onmicrosoft.com", displayName: "X" }]]),
      new Set(),
      [],
      fleet,
    );
    expect(taken.problems[0]?.message).toContain("already declared");
  });

  it("writes a file that loads as written, whatever the display name holds", () => {
    const hostile = 'Evil: "Corp"\nexcluded: true\n# \u2028tenantId: 00000000-0000-0000-0000-000000000000';
    const { proposed } = propose(
      confirmed,
      new Map([[NEW, { ok: true, tenantId: NEW, defaultDomain: "litware.onmicrosoft.com", displayName: hostile }]]),
      new Set(["tenants/fabrikam.yaml"]),
      ["no-rms"],
      fleet,
    );
    const p = proposed[0];
    if (p === undefined) throw new Error("no proposal");
    const doc = parse(p.content) as Record<string, unknown>;
    expect(doc).toEqual({ tenantId: NEW, defaultDomain: "litware.onmicrosoft.com", displayName: cleanName(hostile), profiles: ["no-rms"] });
    // Nothing invisible that reorders or hides text reaches the file a reviewer reads.
    expect(cleanName("Contoso\u202Egnp.exe\u200B\u2066x\u2069")).toBe("Contoso gnp.exe x");
    const dir = mkdtempSync(path.join(tmpdir(), "cipp-cpv-proposal-"));
    try {
      cpSync(STACKS, dir, { recursive: true, filter: (src) => !src.endsWith(".ts") });
      writeFileSync(path.join(dir, p.file), p.content);
      const loaded = loadFleet(dir).tenants.find((t) => t.tenantId === NEW);
      expect(loaded).toMatchObject({ excluded: false, profiles: ["no-rms"], displayName: cleanName(hostile) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("tenant file names", () => {
  it("drops .onmicrosoft.com, falls back to the whole domain, and gives up rather than reuse a name", () => {
    expect(tenantFileName("Litware.onmicrosoft.com", new Set())).toBe("tenants/litware.yaml");
    expect(tenantFileName("litware.onmicrosoft.com", new Set(["tenants/litware.yaml"]))).toBe("tenants/litware.onmicrosoft.com.yaml");
    expect(tenantFileName("litware.onmicrosoft.com", new Set(["tenants/litware.yaml", "tenants/litware.onmicrosoft.com.yaml"]))).toBeNull();
    expect(tenantFileName("contoso.com", new Set())).toBe("tenants/contoso.com.yaml");
  });

  it("keeps a relationship name with a line break inside its comment", () => {
    const content = tenantFileContent({
      tenantId: NEW,
      defaultDomain: "litware.onmicrosoft.com",
      displayName: "Litware",
      profiles: [],
      relationship: { id: "r", displayName: "x\nexcluded: true", status: "active", endDateTime: null, autoExtend: false },
      roles: ["Application Administrator"],
    });
    expect(parse(content)).toEqual({ tenantId: NEW, defaultDomain: "litware.onmicrosoft.com", displayName: "Litware" });
  });
});

describe("GDAP role records", () => {
  const declared = fleet.tenants;
  it("compares the effective roles per tenant; a tenant without a record is not a change", () => {
    const before = roleSetsOf(everyDeclared, NOW);
    const state = nextState(null, before, declared, new Set(), NOW);
    expect(changedTenants(state, before, declared)).toEqual([]);
    const after = roleSetsOf(
      everyDeclared.map((r) => (r.customerTenantId === NORTHWIND ? { ...r, roles: [APP_ADMIN, READER] } : r)),
      NOW,
    );
    expect(changedTenants(state, after, declared)).toEqual([NORTHWIND]);
    expect(changedTenants(null, after, declared)).toEqual([]);
    // Roles of an ended relationship no longer count.
    const ended = roleSetsOf(
      everyDeclared.map((r) => (r.customerTenantId === FABRIKAM ? { ...r, status: "terminated" } : r)),
      NOW,
    );
    expect(ended.get(FABRIKAM)).toEqual([]);
    expect(changedTenants(state, ended, declared)).toEqual([FABRIKAM]);
  });

  it("keeps the old record of a tenant asked to, so the next run tries it again", () => {
    const before = roleSetsOf(everyDeclared, NOW);
    const state = nextState(null, before, declared, new Set(), NOW);
    const after = roleSetsOf(
      everyDeclared.map((r) => (r.customerTenantId === NORTHWIND ? { ...r, roles: [READER] } : r)),
      NOW,
    );
    const kept = nextState(state, after, declared, new Set([NORTHWIND]), NOW + DAY);
    expect(kept.tenants[NORTHWIND]).toEqual([APP_ADMIN]);
    expect(changedTenants(kept, after, declared)).toEqual([NORTHWIND]);
    expect(kept.tenants[fleet.settings.partnerTenantId]).toBeUndefined();
  });
});

describe("the discovery report as text", () => {
  it("shows a message from Graph with its controls visible: it cannot move the cursor or start a line of its own", () => {
    const hostile = "relationship \u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007\r\nDiscovery: 0 GDAP relationships";
    const text = renderDiscoveryText({
      schemaVersion: 1,
      kind: "discovery",
      generatedAt: "2026-12-01T00:00:00.000Z",
      expiringWithinDays: 30,
      relationships: 1,
      customers: 1,
      proposed: [],
      written: false,
      lackingRoles: [],
      ending: [],
      unknown: [],
      problems: [{ subject: "r1", message: hostile, severity: "warning" }],
      cost: { relationshipPages: 1, assignmentChecks: 0, tenantLookups: 0, graphRequests: 1 },
    });
    // eslint-disable-next-line no-control-regex -- the test looks for raw control characters.
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(text).toContain("\\x1B]8;;https");
    expect(text.split("\n").filter((line) => line.startsWith("Discovery:"))).toHaveLength(1);
  });
});

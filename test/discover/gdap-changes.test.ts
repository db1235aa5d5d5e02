import { gdapChangedSince, parseSinceTime, relationshipsToRead } from "../../src/discover/gdap-changes";
import type { AssignedRoles, GdapRelationship } from "../../src/tenant/gdap-directory";

const NOW = Date.UTC(2026, 11, 2, 0, 0, 0);
const HOUR = 3_600_000;
const SINCE = NOW - 24 * HOUR;
const OLD = new Date(NOW - 400 * 24 * HOUR).toISOString();
const RECENT = new Date(NOW - HOUR).toISOString();
const A = "1b2c3d4e-0000-4000-8000-00000000000a";
const B = "1b2c3d4e-0000-4000-8000-00000000000b";

function rel(customer: string, over: Partial<GdapRelationship> = {}): GdapRelationship {
  return {
    id: `r-${customer}`,
    displayName: "CIPP",
    status: "active",
    customerTenantId: customer,
    customerDisplayName: null,
    roles: [],
    endDateTime: null,
    autoExtend: false,
    activatedDateTime: OLD,
    lastModifiedDateTime: OLD,
    ...over,
  };
}
const assigned = (created: string | null, modified: string | null): AssignedRoles => ({
  ok: true,
  roles: [],
  times: [{ createdDateTime: created, lastModifiedDateTime: modified }],
});

test("nothing after the time: no tenant", () => {
  const rs = [rel(A), rel(B)];
  expect(gdapChangedSince(rs, new Map([[`r-${A}`, assigned(OLD, OLD)]]), SINCE, NOW)).toEqual({ tenants: [], unread: [] });
});

test("a relationship activated or modified after the time, or an assignment created or modified after it", () => {
  expect(gdapChangedSince([rel(A, { activatedDateTime: RECENT }), rel(B)], new Map(), SINCE, NOW).tenants).toEqual([A]);
  expect(gdapChangedSince([rel(A), rel(B, { lastModifiedDateTime: RECENT })], new Map(), SINCE, NOW).tenants).toEqual([B]);
  expect(gdapChangedSince([rel(A), rel(B)], new Map([[`r-${B}`, assigned(RECENT, RECENT)]]), SINCE, NOW).tenants).toEqual([B]);
  expect(gdapChangedSince([rel(A), rel(B)], new Map([[`r-${A}`, assigned(OLD, RECENT)]]), SINCE, NOW).tenants).toEqual([A]);
  // A time Graph did not give is not a change.
  expect(
    gdapChangedSince(
      [rel(A, { activatedDateTime: null, lastModifiedDateTime: null })],
      new Map([[`r-${A}`, assigned(null, null)]]),
      SINCE,
      NOW,
    ).tenants,
  ).toEqual([]);
});

test("a relationship no longer in effect is not a change to consent for, nor read", () => {
  const ended = rel(A, { status: "terminated", lastModifiedDateTime: RECENT });
  const past = rel(B, { lastModifiedDateTime: RECENT, endDateTime: new Date(NOW - HOUR).toISOString() });
  expect(gdapChangedSince([ended, past], new Map(), SINCE, NOW).tenants).toEqual([]);
  expect(relationshipsToRead([ended, past, rel("c")], NOW)).toEqual(["r-c"]);
});

test("assignments that could not be read count as changed, and are named", () => {
  const out = gdapChangedSince([rel(A), rel(B)], new Map([[`r-${A}`, { ok: false, error: "HTTP 503" }]]), SINCE, NOW);
  expect(out).toEqual({ tenants: [A], unread: [A] });
});

test("parseSinceTime accepts ISO 8601 times with a zone only", () => {
  expect(parseSinceTime("2026-12-01T00:00:00Z")).toBe(Date.UTC(2026, 11, 1));
  expect(parseSinceTime("2026-12-01T02:00+02:00")).toBe(Date.UTC(2026, 11, 1));
  for (const bad of ["", "2026-12-01", "2026-12-01T00:00:00", "yesterday", "1733011200", "2026-12-01T25:00:00Z"])
    expect(parseSinceTime(bad)).toBeNull();
});

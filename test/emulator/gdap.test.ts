/**
 * The emulator's GDAP resources in the partner tenant: relationships with end dates and
 * auto-extend, paged by `$top` (at most 300) and `@odata.nextLink`; access assignments; tenant
 * information by tenant id; each behind its documented permission.
 */
import { createHarness, CUSTOMER, OTHER_CUSTOMER, PARTNER, READER_ONLY, worldSpec } from "./graph-harness";
import { defaultGdapGroupId } from "../../src/emulator/graph/gdap";

const READ = "DelegatedAdminRelationship.Read.All";

function harness() {
  const spec = worldSpec();
  return createHarness({
    ...spec,
    gdapRelationships: spec.gdapRelationships.map((r) =>
      r.customerTenantId === CUSTOMER
        ? {
            ...r,
            id: "11111111-1111-4111-8111-111111111111-" + CUSTOMER,
            endDateTime: "2027-01-15T00:00:00Z",
            autoExtendDuration: "P180D",
            accessAssignments: [
              { roleTemplateIds: r.roleTemplateIds, status: "active" },
              {
                roleTemplateIds: ["f2ef992c-3afb-46b9-b7cf-a126ee74c451"],
                status: "pending",
                securityGroupId: "22222222-2222-4222-8222-222222222222",
              },
            ],
          }
        : r,
    ),
  });
}

interface Page {
  value: Record<string, unknown>[];
  "@odata.nextLink"?: string;
}

it("pages relationships by $top with a nextLink that a client follows verbatim, and refuses $top above 300", async () => {
  const h = harness();
  const token = h.userToken(PARTNER, READ);
  const first = await h.send("GET", "/v1.0/tenantRelationships/delegatedAdminRelationships?$top=2", { token });
  expect(first.status).toBe(200);
  const page = first.body as Page;
  expect(page.value).toHaveLength(2);
  const next = page["@odata.nextLink"] ?? "";
  expect(next).toMatch(/^https:\/\/127\.0\.0\.1:44300\/v1\.0\/tenantRelationships\/delegatedAdminRelationships\?\$top=2&\$skiptoken=/);
  const second = await h.send("GET", next.replace("https://127.0.0.1:44300", ""), { token });
  expect((second.body as Page).value.map((r) => (r["customer"] as { tenantId: string }).tenantId)).toEqual([READER_ONLY]);
  expect((second.body as Page)["@odata.nextLink"]).toBeUndefined();

  const customer = page.value.find((r) => (r["customer"] as { tenantId: string }).tenantId === CUSTOMER);
  expect(customer).toMatchObject({ endDateTime: "2027-01-15T00:00:00.000Z", autoExtendDuration: "P180D", status: "active" });
  expect(page.value.find((r) => (r["customer"] as { tenantId: string }).tenantId === OTHER_CUSTOMER)).toMatchObject({ status: "expired" });

  const tooMany = await h.send("GET", "/v1.0/tenantRelationships/delegatedAdminRelationships?$top=301", { token });
  expect(tooMany.status).toBe(400);
});

it("answers a relationship's access assignments, active and pending, with their security group", async () => {
  const h = harness();
  const token = h.userToken(PARTNER, READ);
  const id = "11111111-1111-4111-8111-111111111111-" + CUSTOMER;
  const answer = await h.send("GET", `/v1.0/tenantRelationships/delegatedAdminRelationships/${id}/accessAssignments`, { token });
  expect(answer.status).toBe(200);
  const items = (answer.body as Page).value;
  expect(items.map((a) => a["status"])).toEqual(["active", "pending"]);
  expect(items[0]).toMatchObject({
    "@odata.type": "#microsoft.graph.delegatedAdminAccessAssignment",
    accessContainer: { accessContainerId: defaultGdapGroupId(PARTNER), accessContainerType: "securityGroup" },
    accessDetails: { unifiedRoles: [{ roleDefinitionId: "158c047a-c907-4556-b7ef-446551a6b5f7" }] },
  });
  const missing = await h.send("GET", "/v1.0/tenantRelationships/delegatedAdminRelationships/nope/accessAssignments", { token });
  expect(missing.status).toBe(404);
});

it("needs DelegatedAdminRelationship.Read.All for relationships and CrossTenantInformation.ReadBasic.All for tenant information", async () => {
  const h = harness();
  const without = await h.send("GET", "/v1.0/tenantRelationships/delegatedAdminRelationships", {
    token: h.userToken(PARTNER, "User.Read"),
  });
  expect(without.status).toBe(403);
  const url = `/v1.0/tenantRelationships/findTenantInformationByTenantId(tenantId='${CUSTOMER.toUpperCase()}')`;
  expect((await h.send("GET", url, { token: h.userToken(PARTNER, READ) })).status).toBe(403);
  const info = await h.send("GET", url, { token: h.appToken(PARTNER, ["CrossTenantInformation.ReadBasic.All"]) });
  expect(info.status).toBe(200);
  expect(info.body).toMatchObject({ tenantId: CUSTOMER, defaultDomainName: "customer.example", displayName: "Customer" });
  const unknown = await h.send(
    "GET",
    "/v1.0/tenantRelationships/findTenantInformationByTenantId(tenantId='99999999-9999-4999-8999-999999999999')",
    {
      token: h.appToken(PARTNER, ["CrossTenantInformation.ReadBasic.All"]),
    },
  );
  expect(unknown.status).toBe(404);
});

it("a customer tenant sees no relationships as a partner", async () => {
  const h = harness();
  const answer = await h.send("GET", "/v1.0/tenantRelationships/delegatedAdminRelationships", { token: h.userToken(CUSTOMER, READ) });
  expect((answer.body as Page).value).toEqual([]);
});

describe("what a relationship gives in the customer tenant", () => {
  const withCustomer = (change: Record<string, unknown>) => {
    const spec = worldSpec();
    return createHarness({
      ...spec,
      gdapRelationships: spec.gdapRelationships.map((r) => (r.customerTenantId === CUSTOMER ? { ...r, ...change } : r)),
    });
  };
  const readSps = (h: ReturnType<typeof createHarness>) =>
    h.send("GET", "/v1.0/servicePrincipals", { token: h.userToken(CUSTOMER, "Directory.Read.All") });

  it("nothing once past its end date without auto-extend, whatever its status says", async () => {
    expect((await readSps(withCustomer({ endDateTime: "2026-11-25T00:00:00Z" }))).status).toBe(403);
    expect((await readSps(withCustomer({ endDateTime: "2026-11-25T00:00:00Z", autoExtendDuration: "P180D" }))).status).toBe(200);
    expect((await readSps(withCustomer({ endDateTime: "2026-12-25T00:00:00Z" }))).status).toBe(200);
  });

  it("only the roles of its active access assignments", async () => {
    const pending = withCustomer({ accessAssignments: [{ roleTemplateIds: ["158c047a-c907-4556-b7ef-446551a6b5f7"], status: "pending" }] });
    expect((await readSps(pending)).status).toBe(403);
  });
});

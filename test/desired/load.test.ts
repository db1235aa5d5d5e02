// The global expect types asymmetric matchers (expect.stringContaining…) as `any`; @jest/globals types them.
import { expect } from "@jest/globals";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { DeclarationError, type DeclarationProblem } from "../../src/desired/declaration-error";
import { loadFleet } from "../../src/desired/load";
import { PARTNER_CENTER_APP_ID } from "../../src/desired/partner-center";

const GRAPH = "00000003-0000-0000-c000-000000000000";
const SETTINGS = [
  "partnerTenantId: b8d3f1a2-6c4e-4f0a-9e21-5a7c3d9e1f01",
  "applicationId: 6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b",
  "cloud: public",
  "",
].join("\n");
const tenantFile = (id: string, domain: string, rest = ""): string => `tenantId: ${id}\ndefaultDomain: ${domain}\ndisplayName: T\n${rest}`;

const temporary: string[] = [];
afterAll(() => temporary.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A stacks directory holding `files` (paths relative to it); settings are valid unless given. */
function stacks(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "cipp-cpv-stacks-"));
  temporary.push(dir);
  for (const [path, text] of Object.entries({ "cipp-cpv.yaml": SETTINGS, ...files })) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** The problems loading `dir` reports, with file paths relative to it. */
function problems(dir: string): DeclarationProblem[] {
  try {
    loadFleet(dir);
  } catch (error) {
    expect(error).toBeInstanceOf(DeclarationError);
    return (error as DeclarationError).problems.map((p) => ({ ...p, file: relative(dir, p.file) }));
  }
  throw new Error("the declarations were accepted");
}

describe("loading the repository's stacks/", () => {
  const fleet = loadFleet(join(__dirname, "..", "..", "stacks"));

  it("declares the demo world's six tenants against the sandbox", () => {
    expect(fleet.settings).toEqual({
      partnerTenantId: "b8d3f1a2-6c4e-4f0a-9e21-5a7c3d9e1f01",
      applicationId: "6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b",
      cloud: "sandbox",
    });
    expect(fleet.tenants.map((t) => t.defaultDomain).sort()).toEqual([
      "adatum.onmicrosoft.com",
      "contosomsp.onmicrosoft.com",
      "fabrikam.onmicrosoft.com",
      "northwind.onmicrosoft.com",
      "tailspintoys.onmicrosoft.com",
      "wingtiptoys.onmicrosoft.com",
    ]);
  });

  it("gives only the partner tenant Partner Center's scope", () => {
    for (const tenant of fleet.tenants) {
      const partnerCenter = tenant.permissions.resources.find((r) => r.appId === PARTNER_CENTER_APP_ID);
      expect([tenant.defaultDomain, partnerCenter?.scopes ?? null]).toEqual([
        tenant.defaultDomain,
        tenant.isPartner ? ["user_impersonation"] : null,
      ]);
    }
    expect(fleet.tenants.filter((t) => t.isPartner).map((t) => t.defaultDomain)).toEqual(["contosomsp.onmicrosoft.com"]);
  });

  it("keeps WindowsDefenderATP for the unlicensed tenant but takes Rights Management away through its profile", () => {
    const adatum = fleet.tenants.find((t) => t.defaultDomain === "adatum.onmicrosoft.com");
    const apps = adatum?.permissions.resources.map((r) => r.displayName);
    expect(adatum?.profiles).toEqual(["no-rms"]);
    expect(apps).toContain("WindowsDefenderATP");
    expect(apps).not.toContain("Microsoft Rights Management Services");
  });
});

describe("loading a fleet based on CIPP's own files", () => {
  const fleet = loadFleet(join(__dirname, "..", "fixtures", "desired", "stacks-cipp-files"));
  const one = fleet.tenants.find((t) => t.defaultDomain === "one.onmicrosoft.com");
  const partner = fleet.tenants.find((t) => t.isPartner);

  it("layers base ▸ profiles in the tenant's order ▸ the tenant's own changes", () => {
    expect(one?.tenantId).toBe("1e5b2c7d-8a9f-4b3c-a1d2-3e4f5a6b7c01");
    expect(one?.permissions.resources).toEqual([
      {
        appId: GRAPH,
        displayName: "Microsoft Graph",
        appRoles: ["AuditLog.Read.All", "11111111-2222-4333-8444-555555555555", "Mail.Read"],
        scopes: ["User.Read", "offline_access", "Calendars.Read"],
        unpublishedScopes: [],
      },
      {
        appId: "00000002-0000-0ff1-ce00-000000000000",
        displayName: "Office 365 Exchange Online",
        appRoles: ["Exchange.ManageAsApp"],
        scopes: ["Exchange.Manage"],
        unpublishedScopes: [],
      },
      {
        appId: "99999999-8888-4777-8666-555555555555",
        displayName: "99999999-8888-4777-8666-555555555555",
        appRoles: [],
        scopes: ["aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"],
        unpublishedScopes: [],
      },
      {
        appId: "00000003-0000-0ff1-ce00-000000000000",
        displayName: "Office 365 SharePoint Online",
        appRoles: [],
        scopes: [],
        unpublishedScopes: ["AllProfiles.Manage"],
      },
      {
        appId: "12345678-1234-4234-8234-123456789012",
        displayName: "12345678-1234-4234-8234-123456789012",
        appRoles: ["Custom.Role"],
        scopes: [],
        unpublishedScopes: [],
      },
    ]);
  });

  it("takes the extras policy from the tenant, then the settings", () => {
    expect(one?.extras).toEqual({ appRoles: "remove", scopes: "remove" });
    expect(partner?.extras).toEqual({ appRoles: "remove", scopes: "keep" });
  });

  it("adds Partner Center's scope to the partner tenant even when the base lacks it, and keeps excluded tenants declared", () => {
    expect(partner?.excluded).toBe(true);
    expect(partner?.permissions.resources.find((r) => r.appId === PARTNER_CENTER_APP_ID)?.scopes).toEqual(["user_impersonation"]);
    expect(one?.excluded).toBe(false);
  });
});

describe("validation: every problem names its file, line and field", () => {
  it("reports YAML syntax errors with their line", () => {
    const dir = stacks({ "tenants/a.yaml": "tenantId: 1e5b2c7d-8a9f-4b3c-a1d2-3e4f5a6b7c01\ndefaultDomain: [a.com\ndisplayName: A\n" });
    const found = problems(dir);
    expect(found.length).toBeGreaterThan(0);
    for (const problem of found) {
      expect(problem).toMatchObject({ file: "tenants/a.yaml", field: "", message: expect.stringMatching(/^YAML: /) });
      expect(problem.line).toBeGreaterThanOrEqual(2);
    }
  });

  it("reports duplicate keys", () => {
    const dir = stacks({ "tenants/a.yaml": tenantFile("1e5b2c7d-8a9f-4b3c-a1d2-3e4f5a6b7c01", "a.com", "displayName: again\n") });
    expect(problems(dir)).toEqual([
      expect.objectContaining({ file: "tenants/a.yaml", line: 4, message: expect.stringMatching(/unique/i) }),
    ]);
  });

  it("reports malformed GUIDs and domains, unknown fields and missing ones", () => {
    const dir = stacks({ "tenants/a.yaml": '# a comment\ntenantId: "1234"\ndefaultDomain: not a domain\ndisplayname: x\n' });
    expect(problems(dir)).toEqual([
      { file: "tenants/a.yaml", line: 2, field: "displayName", message: "is required" },
      { file: "tenants/a.yaml", line: 2, field: "tenantId", message: '"1234" is not a GUID' },
      { file: "tenants/a.yaml", line: 3, field: "defaultDomain", message: '"not a domain" is not a domain name' },
      { file: "tenants/a.yaml", line: 4, field: "displayname", message: 'is not a known field (did you mean "displayName"?)' },
    ]);
  });

  it("reports wrong values deep in lists, with the element's own line", () => {
    const dir = stacks({
      "tenants/a.yaml": tenantFile(
        "1e5b2c7d-8a9f-4b3c-a1d2-3e4f5a6b7c01",
        "a.com",
        "add:\n  - resource: Microsoft Graph\n    appRoles:\n      - Mail.Read\n      - has space\nextras:\n  scopes: remov\n",
      ),
    });
    expect(problems(dir)).toEqual([
      { file: "tenants/a.yaml", line: 8, field: "add[0].appRoles[1]", message: '"has space" is not a permission name (no spaces allowed)' },
      { file: "tenants/a.yaml", line: 10, field: "extras.scopes", message: '"remov" must be one of keep, remove (did you mean "remove"?)' },
    ]);
  });

  it("reports an addition that adds nothing", () => {
    const dir = stacks({
      "tenants/a.yaml": tenantFile("1e5b2c7d-8a9f-4b3c-a1d2-3e4f5a6b7c01", "a.com", "add:\n  - resource: Microsoft Graph\n"),
    });
    expect(problems(dir)).toEqual([
      { file: "tenants/a.yaml", line: 5, field: "add[0]", message: "names no appRoles, scopes or unpublishedScopes to add" },
    ]);
  });

  it("names both files when two declare the same tenant id or the same domain", () => {
    const dir = stacks({
      "tenants/a.yaml": tenantFile("1e5b2c7d-8a9f-4b3c-a1d2-3e4f5a6b7c01", "a.com"),
      "tenants/b.yaml": tenantFile("1E5B2C7D-8A9F-4B3C-A1D2-3E4F5A6B7C01", "b.com"),
      "tenants/c.yaml": tenantFile("2f6c3d8e-9b0a-4c4d-b2e3-4f5a6b7c8d02", "A.com"),
    });
    expect(problems(dir)).toEqual([
      {
        file: "tenants/b.yaml",
        line: 1,
        field: "tenantId",
        message: `1E5B2C7D-8A9F-4B3C-A1D2-3E4F5A6B7C01 is also declared in ${join(dir, "tenants/a.yaml")}:1`,
      },
      { file: "tenants/c.yaml", line: 2, field: "defaultDomain", message: `A.com is also declared in ${join(dir, "tenants/a.yaml")}:2` },
    ]);
  });

  it("reports unknown profiles with the closest existing one", () => {
    const dir = stacks({
      "profiles/no-defender.yaml": "remove:\n  - resource: WindowsDefenderATP\n",
      "tenants/a.yaml": tenantFile("1e5b2c7d-8a9f-4b3c-a1d2-3e4f5a6b7c01", "a.com", "profiles:\n  - no-defendr\n"),
    });
    expect(problems(dir)).toEqual([
      {
        file: "tenants/a.yaml",
        line: 5,
        field: "profiles[0]",
        message: `unknown profile "no-defendr" (did you mean "no-defender"?); profiles are the files in ${join(dir, "profiles")}`,
      },
    ]);
  });

  it("reports unknown resources and permission names with suggestions, in profiles as in tenants", () => {
    const dir = stacks({
      "profiles/p.yaml": "add:\n  - resource: Microsoft Grahp\n    scopes: [User.Read]\n",
      "tenants/a.yaml": tenantFile(
        "1e5b2c7d-8a9f-4b3c-a1d2-3e4f5a6b7c01",
        "a.com",
        "add:\n  - resource: Microsoft Graph\n    appRoles: [AuditLog.Read.Al, offline_access]\n    scopes: [b0afded3-3588-46d8-8b3d-9842eff778da]\n  - resource: Office 365 Reports\n    scopes: [anything.goes]\n",
      ),
    });
    expect(problems(dir)).toEqual([
      {
        file: "profiles/p.yaml",
        line: 2,
        field: "add[0].resource",
        message:
          'unknown resource "Microsoft Grahp" (did you mean "Microsoft Graph"?); a resource outside the catalogue is named by its appId',
      },
      {
        file: "tenants/a.yaml",
        line: 6,
        field: "add[0].appRoles[0]",
        message: '"AuditLog.Read.Al" is not an app role of Microsoft Graph (did you mean "AuditLog.Read.All"?)',
      },
      {
        file: "tenants/a.yaml",
        line: 6,
        field: "add[0].appRoles[1]",
        message: '"offline_access" is not an app role of Microsoft Graph (it is a delegated scope: list it under scopes)',
      },
      {
        file: "tenants/a.yaml",
        line: 7,
        field: "add[0].scopes[0]",
        message:
          "b0afded3-3588-46d8-8b3d-9842eff778da is not the id of a delegated scope of Microsoft Graph; it is an app role, list it under appRoles",
      },
    ]);
  });

  it("rejects a removal of something the set does not hold at that point", () => {
    const dir = stacks({
      "profiles/no-rms.yaml": "remove:\n  - resource: Microsoft Rights Management Services\n",
      "tenants/a.yaml": tenantFile(
        "1e5b2c7d-8a9f-4b3c-a1d2-3e4f5a6b7c01",
        "a.com",
        "profiles: [no-rms]\nremove:\n  - resource: Microsoft Graph\n    appRoles: [Mail.Read]\n  - resource: Microsoft Rights Management Services\n",
      ),
    });
    expect(problems(dir)).toEqual([
      {
        file: "tenants/a.yaml",
        line: 6,
        field: "remove[0]",
        message: 'app role "Mail.Read" of Microsoft Graph is not in the set at this point: nothing to remove',
      },
      {
        file: "tenants/a.yaml",
        line: 8,
        field: "remove[1]",
        message: "Microsoft Rights Management Services is not in the set at this point: nothing to remove",
      },
    ]);
  });

  it("names the tenant a profile's ineffective removal was applied to", () => {
    const dir = stacks({
      "profiles/no-reports.yaml": "remove:\n  - resource: Office 365 Reports\n",
      "tenants/a.yaml": tenantFile(
        "1e5b2c7d-8a9f-4b3c-a1d2-3e4f5a6b7c01",
        "a.com",
        "profiles: [no-reports]\nremove:\n  - resource: Office 365 Reports\n",
      ),
      "tenants/b.yaml": tenantFile("2f6c3d8e-9b0a-4c4d-b2e3-4f5a6b7c8d02", "b.com", "profiles: [no-reports, no-reports-twice]\n"),
      "profiles/no-reports-twice.yaml": "remove:\n  - resource: Office 365 Reports\n",
    });
    expect(problems(dir)).toEqual([
      {
        file: "profiles/no-reports-twice.yaml",
        line: 2,
        field: "remove[0]",
        message: 'Office 365 Reports is not in the set at this point: nothing to remove (applying profile "no-reports-twice" to b.com)',
      },
      {
        file: "tenants/a.yaml",
        line: 6,
        field: "remove[0]",
        message: "Office 365 Reports is not in the set at this point: nothing to remove",
      },
    ]);
  });

  it("reports a missing settings file, and missing or wrong settings", () => {
    const none = stacks({});
    rmSync(join(none, "cipp-cpv.yaml"));
    expect(problems(none)).toEqual([
      {
        file: "cipp-cpv.yaml",
        line: 1,
        field: "",
        message: "the settings file is missing (it names partnerTenantId, applicationId and cloud)",
      },
    ]);
    const wrong = stacks({ "cipp-cpv.yaml": "partnerTenantId: b8d3f1a2-6c4e-4f0a-9e21-5a7c3d9e1f01\ncloud: azure\nbase: cip\n" });
    expect(problems(wrong)).toEqual([
      { file: "cipp-cpv.yaml", line: 1, field: "applicationId", message: "is required" },
      { file: "cipp-cpv.yaml", line: 2, field: "cloud", message: '"azure" must be one of public, usgov, china, sandbox' },
      {
        file: "cipp-cpv.yaml",
        line: 3,
        field: "base",
        message: 'must be "cipp" or { samManifest: <path>, additionalPermissions: <path> }',
      },
    ]);
  });

  it("reports a base file that is missing or malformed", () => {
    const dir = stacks({
      "cipp-cpv.yaml": `${SETTINGS}base:\n  samManifest: manifest.json\n  additionalPermissions: missing.json\n`,
      "manifest.json": '{"requiredResourceAccess": [{"resourceAppId": "nope", "resourceAccess": []}]}',
    });
    expect(problems(dir)).toEqual([
      { file: "cipp-cpv.yaml", line: 6, field: "base.additionalPermissions", message: `${join(dir, "missing.json")} does not exist` },
    ]);
    writeFileSync(join(dir, "missing.json"), "[]");
    expect(problems(dir)).toEqual([
      {
        file: "cipp-cpv.yaml",
        line: 5,
        field: "base.samManifest",
        message: `${join(dir, "manifest.json")}: requiredResourceAccess[0].resourceAppId: must be a GUID`,
      },
    ]);
  });

  it("collects every problem of every file into one error whose message lists them all", () => {
    const dir = stacks({
      "cipp-cpv.yaml": "partnerTenantId: nope\napplicationId: 6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b\ncloud: public\n",
      "profiles/p.yaml": "descriptio: x\n",
      "tenants/a.yaml": tenantFile("1234", "a.com"),
    });
    try {
      loadFleet(dir);
      throw new Error("the declarations were accepted");
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain("The declarations have 3 problems:");
      expect(message).toContain(`${join(dir, "cipp-cpv.yaml")}:1: partnerTenantId: "nope" is not a GUID`);
      expect(message).toContain(`${join(dir, "profiles/p.yaml")}:1: descriptio: is not a known field (did you mean "description"?)`);
      expect(message).toContain(`${join(dir, "tenants/a.yaml")}:1: tenantId: 1234 must be a string`);
    }
  });
});

describe("validation reports every problem in one run, and none that only follows from another", () => {
  const ID_A = "1e5b2c7d-8a9f-4b3c-a1d2-3e4f5a6b7c01";
  const ID_B = "2f6c3d8e-9b0a-4c4d-b2e3-4f5a6b7c8d02";
  const ID_C = "3a7d4e9f-0c1b-4d5e-a3f4-5a6b7c8d9e03";
  const ID_D = "4b8e5f0a-1d2c-4e6f-b4a5-6b7c8d9e0f04";

  it("checks the profiles and removals of a tenant whose id has the wrong type", () => {
    const dir = stacks({
      "profiles/no-defender.yaml": "remove:\n  - resource: WindowsDefenderATP\n",
      "tenants/a.yaml": "tenantId: 1234\ndefaultDomain: a.com\ndisplayName: A\nprofiles:\n  - no-defendr\n",
      "tenants/b.yaml":
        "tenantId: 5678\ndefaultDomain: b.com\ndisplayName: B\nremove:\n  - resource: Office 365 Reports\n  - resource: Office 365 Reports\n",
    });
    expect(problems(dir)).toEqual([
      { file: "tenants/a.yaml", line: 1, field: "tenantId", message: "1234 must be a string" },
      {
        file: "tenants/a.yaml",
        line: 5,
        field: "profiles[0]",
        message: `unknown profile "no-defendr" (did you mean "no-defender"?); profiles are the files in ${join(dir, "profiles")}`,
      },
      { file: "tenants/b.yaml", line: 1, field: "tenantId", message: "5678 must be a string" },
      {
        file: "tenants/b.yaml",
        line: 6,
        field: "remove[1]",
        message: "Office 365 Reports is not in the set at this point: nothing to remove",
      },
    ]);
  });

  it("reports a tenant id twice across files even when one of them has an unknown field", () => {
    const dir = stacks({
      "tenants/a.yaml": tenantFile(ID_A, "a.com", "excludd: true\n"),
      "tenants/b.yaml": tenantFile(ID_A.toUpperCase(), "b.com", "extra:\n  scopes: remove\n"),
    });
    expect(problems(dir)).toEqual([
      { file: "tenants/a.yaml", line: 4, field: "excludd", message: 'is not a known field (did you mean "excluded"?)' },
      {
        file: "tenants/b.yaml",
        line: 1,
        field: "tenantId",
        message: `${ID_A.toUpperCase()} is also declared in ${join(dir, "tenants/a.yaml")}:1`,
      },
      { file: "tenants/b.yaml", line: 4, field: "extra", message: 'is not a known field (did you mean "extras"?)' },
    ]);
  });

  it("checks permission names in a file whose GUID is malformed, but not names the schema already refused", () => {
    const dir = stacks({
      "tenants/a.yaml": tenantFile(
        "1e5b2c7d-8a9f-4b3c-a1d2",
        "a.com",
        "add:\n  - resource: Microsoft Graph\n    appRoles: [Mail.Reed, has space, Mail.Reed]\n  - resource: ''\n    scopes: [nonsense]\n",
      ),
    });
    expect(problems(dir)).toEqual([
      { file: "tenants/a.yaml", line: 1, field: "tenantId", message: '"1e5b2c7d-8a9f-4b3c-a1d2" is not a GUID' },
      {
        file: "tenants/a.yaml",
        line: 6,
        field: "add[0].appRoles[0]",
        message: '"Mail.Reed" is not an app role of Microsoft Graph (did you mean "Mail.Read"?)',
      },
      { file: "tenants/a.yaml", line: 6, field: "add[0].appRoles[1]", message: '"has space" is not a permission name (no spaces allowed)' },
      { file: "tenants/a.yaml", line: 6, field: "add[0].appRoles[2]", message: '"Mail.Reed" is listed twice (also at index 0)' },
      { file: "tenants/a.yaml", line: 7, field: "add[1].resource", message: "must NOT have fewer than 1 characters" },
    ]);
  });

  it("reports what every file has wrong, by file and then line", () => {
    const dir = stacks({
      "cipp-cpv.yaml":
        "partnerTenantId: nope\napplicationId: 6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b\ncloud: azure\nextras:\n  appRoles: drop\n",
      "profiles/p.yaml":
        "descriptio: x\nadd:\n  - resource: Microsoft Grahp\n    scopes: [User.Read]\n  - resource: Microsoft Graph\n    scopes: Calendars.Read\n",
      "tenants/b.yaml": tenantFile(
        ID_B,
        "b",
        "excluded: yes please\nremove:\n  - resource: Office 365 Reports\n  - resource: Office 365 Reports\n",
      ),
      // A profile it cannot read could have added what it removes: its removals are not checked.
      "tenants/c.yaml": tenantFile(ID_C, "c.com", "profiles: [p, 7]\nremove:\n  - resource: Office 365 Reports\n"),
      // A file that is not YAML is read no further: its resource name is not checked.
      "tenants/a.yaml": tenantFile(
        ID_A,
        "a.com",
        "displayName: again\nremove:\n  - resource: Microsoft Graph\n    appRoles: [Mail.Read]\n  - resource: Office 365 Reprts\n",
      ),
    });
    expect(problems(dir)).toEqual([
      { file: "cipp-cpv.yaml", line: 1, field: "partnerTenantId", message: '"nope" is not a GUID' },
      { file: "cipp-cpv.yaml", line: 3, field: "cloud", message: '"azure" must be one of public, usgov, china, sandbox' },
      { file: "cipp-cpv.yaml", line: 5, field: "extras.appRoles", message: '"drop" must be one of keep, remove' },
      { file: "profiles/p.yaml", line: 1, field: "descriptio", message: 'is not a known field (did you mean "description"?)' },
      {
        file: "profiles/p.yaml",
        line: 3,
        field: "add[0].resource",
        message:
          'unknown resource "Microsoft Grahp" (did you mean "Microsoft Graph"?); a resource outside the catalogue is named by its appId',
      },
      { file: "profiles/p.yaml", line: 6, field: "add[1].scopes", message: '"Calendars.Read" must be a list' },
      { file: "tenants/a.yaml", line: 4, field: "", message: expect.stringMatching(/^YAML: .*unique/i) },
      { file: "tenants/b.yaml", line: 2, field: "defaultDomain", message: '"b" is not a domain name' },
      { file: "tenants/b.yaml", line: 4, field: "excluded", message: '"yes please" must be a boolean' },
      {
        file: "tenants/b.yaml",
        line: 7,
        field: "remove[1]",
        message: "Office 365 Reports is not in the set at this point: nothing to remove",
      },
      { file: "tenants/c.yaml", line: 4, field: "profiles[1]", message: "7 must be a string" },
    ]);
  });

  it("does not report what only follows from another problem", () => {
    const dir = stacks({
      "profiles/mail.yaml": "add:\n  - resource: Microsoft Graph\n    appRoles: [Mail.Read]\n    scope: [User.Read]\n",
      // Whether it is the partner is unknown: Partner Center's scope would be there for the partner.
      "tenants/a.yaml": `tenantId: [${ID_A}]\ndefaultDomain: a.com\ndisplayName: A\nremove:\n  - resource: ${PARTNER_CENTER_APP_ID}\n`,
      // Not the partner: nothing of Partner Center to remove.
      "tenants/b.yaml": tenantFile(ID_B, "b.com", `remove:\n  - resource: ${PARTNER_CENTER_APP_ID}\n`),
      // The profile it cannot read would have added Mail.Read.
      "tenants/c.yaml": tenantFile(ID_C, "c.com", "profiles: [mail]\nremove:\n  - resource: Microsoft Graph\n    appRoles: [Mail.Read]\n"),
      // A list that is not a list does not make the removal one of the whole resource.
      "tenants/d.yaml": tenantFile(
        ID_D,
        "d.com",
        "remove:\n  - resource: Microsoft Graph\n    appRoles: AuditLog.Read.All\n  - resource: Microsoft Graph\n    scopes: [User.Read]\n",
      ),
    });
    expect(problems(dir)).toEqual([
      { file: "profiles/mail.yaml", line: 4, field: "add[0].scope", message: 'is not a known field (did you mean "scopes"?)' },
      { file: "tenants/a.yaml", line: 1, field: "tenantId", message: `["${ID_A}"] must be a string` },
      {
        file: "tenants/b.yaml",
        line: 5,
        field: "remove[0]",
        message: "Microsoft Partner Center is not in the set at this point: nothing to remove",
      },
      { file: "tenants/d.yaml", line: 6, field: "remove[0].appRoles", message: '"AuditLog.Read.All" must be a list' },
    ]);
  });
});

describe("managedBy: one owner per tenant", () => {
  const ID_A = "1e5b2c7d-8a9f-4b3c-a1d2-3e4f5a6b7c01";
  const ID_B = "2f6c3d8e-9b0a-4c4d-b2e3-4f5a6b7c8d02";
  const ID_C = "3a7d4e9f-0c1b-4d5e-83f4-5a6b7c8d9e03";
  const ID_D = "4b8e5f0a-1d2c-4e6f-94a5-6b7c8d9e0f04";

  it("is cipp-cpv by default, a tenant's own value wins, else the last profile listed that names one", () => {
    const fleet = loadFleet(
      stacks({
        "profiles/tf.yaml": "managedBy: terraform\n",
        "profiles/back.yaml": "managedBy: cipp-cpv\n",
        "profiles/plain.yaml": "description: names no owner\n",
        "tenants/a.yaml": tenantFile(ID_A, "a.com"),
        "tenants/b.yaml": tenantFile(ID_B, "b.com", "profiles: [back, tf, plain]\n"),
        "tenants/c.yaml": tenantFile(ID_C, "c.com", "profiles: [tf]\nmanagedBy: cipp-cpv\n"),
        "tenants/d.yaml": tenantFile(ID_D, "d.com", "managedBy: terraform\n"),
      }),
    );
    expect(Object.fromEntries(fleet.tenants.map((t) => [t.defaultDomain, t.managedBy]))).toEqual({
      "a.com": "cipp-cpv",
      "b.com": "terraform",
      "c.com": "cipp-cpv",
      "d.com": "terraform",
    });
  });

  it("names the file, line and field of an owner that does not exist", () => {
    expect(problems(stacks({ "tenants/a.yaml": tenantFile(ID_A, "a.com", "managedBy: terrafrom\n") }))).toEqual([
      {
        file: "tenants/a.yaml",
        line: 4,
        field: "managedBy",
        message: '"terrafrom" must be one of cipp-cpv, terraform (did you mean "terraform"?)',
      },
    ]);
  });

  it("declares the terraform profile in the repository's stacks: the identity's three application permissions on Microsoft Graph", () => {
    const repository = join(__dirname, "..", "..", "stacks");
    const withProfile = stacks({
      "tenants/a.yaml": tenantFile(ID_A, "a.com", "profiles: [terraform]\n"),
      "profiles/terraform.yaml": readFileSync(join(repository, "profiles", "terraform.yaml"), "utf8"),
    });
    const graph = loadFleet(withProfile).tenants[0]?.permissions.resources.find((r) => r.appId === GRAPH);
    expect(graph?.appRoles).toEqual(
      expect.arrayContaining(["AppRoleAssignment.ReadWrite.All", "Application.Read.All", "DelegatedPermissionGrant.ReadWrite.All"]),
    );
  });
});

describe("the Terraform backend in cipp-cpv.yaml", () => {
  const withBackend = (backend: string): string => stacks({ "cipp-cpv.yaml": `${SETTINGS}terraform:\n  backend:\n${backend}` });

  it("fills in defaults: a state key prefix, a workspace prefix, a relative folder", () => {
    expect(loadFleet(withBackend("    type: local\n")).settings.terraform).toEqual({
      backend: { type: "local", directory: "terraform-state" },
    });
    expect(
      loadFleet(
        withBackend(
          "    type: azurerm\n    resourceGroupName: rg\n    storageAccountName: sa\n    containerName: tfstate\n    useOidc: true\n",
        ),
      ).settings.terraform,
    ).toEqual({
      backend: {
        type: "azurerm",
        resourceGroupName: "rg",
        storageAccountName: "sa",
        containerName: "tfstate",
        keyPrefix: "cipp-cpv/",
        useOidc: true,
      },
    });
    expect(loadFleet(withBackend("    type: cloud\n    organization: msp\n")).settings.terraform).toEqual({
      backend: { type: "cloud", organization: "msp", workspacePrefix: "cipp-cpv-" },
    });
  });

  it("refuses a local state folder at an absolute path, and a backend without what it needs, by line and field", () => {
    expect(problems(withBackend("    type: local\n    directory: /var/state\n"))).toEqual([
      { file: "cipp-cpv.yaml", line: 7, field: "terraform.backend.directory", message: expect.stringContaining("must be a relative path") },
    ]);
    expect(problems(withBackend("    type: s3\n    bucket: b\n"))).toEqual([
      { file: "cipp-cpv.yaml", line: 6, field: "terraform.backend.region", message: "is required" },
    ]);
    expect(problems(withBackend("    type: consul\n"))).toEqual([
      expect.objectContaining({
        file: "cipp-cpv.yaml",
        field: "terraform.backend.type",
        message: expect.stringContaining("must be one of local, azurerm, s3, remote, cloud"),
      }),
    ]);
  });
});

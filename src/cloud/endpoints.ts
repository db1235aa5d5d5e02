/**
 * Where each Microsoft service lives, per cloud. Every client takes its base URLs from here,
 * so pointing the tool at another cloud (or at the sandbox emulator) changes only these values.
 */

export interface CloudEndpoints {
  /** Entra ID authority host, e.g. "https://login.microsoftonline.com". */
  readonly login: string;
  /** Microsoft Graph base, without version, e.g. "https://graph.microsoft.com". */
  readonly graph: string;
  /** The resource identifier Graph tokens are requested for (`{graphResource}/.default`). */
  readonly graphResource: string;
  /** Partner Center API base, e.g. "https://api.partnercenter.microsoft.com". */
  readonly partnerCenter: string;
  /** The resource identifier Partner Center tokens are requested for. */
  readonly partnerCenterResource: string;
}

export type CloudName = "public" | "usgov" | "china";

/** The Microsoft clouds, as Microsoft names their endpoints. */
export const CLOUDS: Readonly<Record<CloudName, CloudEndpoints>> = {
  public: {
    login: "https://login.microsoftonline.com",
    graph: "https://graph.microsoft.com",
    graphResource: "https://graph.microsoft.com",
    partnerCenter: "https://api.partnercenter.microsoft.com",
    partnerCenterResource: "https://api.partnercenter.microsoft.com",
  },
  // GCC High: Entra ID and Graph have their own hosts; Partner Center for US Government
  // is served from the commercial host.
  usgov: {
    login: "https://login.microsoftonline.us",
    graph: "https://graph.microsoft.us",
    graphResource: "https://graph.microsoft.us",
    partnerCenter: "https://api.partnercenter.microsoft.com",
    partnerCenterResource: "https://api.partnercenter.microsoft.com",
  },
  // Operated by 21Vianet.
  china: {
    login: "https://login.chinacloudapi.cn",
    graph: "https://microsoftgraph.chinacloudapi.cn",
    graphResource: "https://microsoftgraph.chinacloudapi.cn",
    partnerCenter: "https://partner.partnercenterapi.microsoftonline.cn",
    partnerCenterResource: "https://api.partnercenter.microsoft.com",
  },
};

/**
 * The sandbox: every service at the emulator's one base URL, with the resource identifiers of
 * the public cloud (the emulator issues tokens for those audiences, as Entra ID does).
 */
export function sandboxEndpoints(baseUrl: string): CloudEndpoints {
  const base = baseUrl.replace(/\/+$/, "");
  return {
    login: base,
    graph: base,
    graphResource: CLOUDS.public.graphResource,
    partnerCenter: base,
    partnerCenterResource: CLOUDS.public.partnerCenterResource,
  };
}

import type { Handler } from "../context";

/** Microsoft Graph (`/v1.0`, `/beta`): placeholder until the Graph handlers land. */
export const handleGraph: Handler = () => ({
  status: 501,
  body: { error: { code: "NotImplemented", message: "Graph is not emulated yet." } },
});

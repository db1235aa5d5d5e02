/**
 * Why a run is refused before anything is sent. A module of its own, without the engine's
 * imports, so that the CLI can recognise the refusal and check a reset's confirmation without
 * loading the clients (README, "Start-up": a command loads only what it uses).
 */
import type { RunRequest } from "./run-request";

/** The request cannot be run as asked; nothing was sent to Microsoft. */
export class RunRefusedError extends Error {
  override readonly name = "RunRefusedError";
}

/**
 * A reset names one tenant and repeats it in `confirm`: it removes CIPP-SAM from that tenant.
 * Exported so that a delivery surface can refuse before it even looks for credentials.
 */
export function checkResetConfirmation(request: Pick<RunRequest, "tenant" | "confirm">): void {
  if (request.tenant === undefined || request.tenant.trim() === "") {
    throw new RunRefusedError(
      "A reset needs one tenant (its id or default domain); it removes CIPP-SAM from that tenant and adds it back.",
    );
  }
  if (request.confirm !== request.tenant) {
    throw new RunRefusedError(
      `Reset refused: confirm must repeat the tenant exactly ("${request.tenant}")` +
        (request.confirm === undefined ? ", and it was not given" : `, but it was "${request.confirm}"`) +
        ". A reset removes CIPP-SAM with all its permissions from the tenant before adding it back; nothing was sent.",
    );
  }
}

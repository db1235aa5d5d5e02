/**
 * Why a discovery is refused before anything is sent. Apart from discover/run.ts so that the CLI
 * recognises it without loading the clients that module imports.
 */

/** The request is wrong (an unknown profile, a cloud without endpoints); nothing was sent. */
export class DiscoverRefusedError extends Error {
  override readonly name = "DiscoverRefusedError";
}

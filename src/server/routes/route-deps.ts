import type { Access } from "../access.js";
import type { Handles } from "../handles/handles.js";
import type { Signing } from "../signing.js";

/** What the PresignService handlers work with. */
export interface RouteDeps {
  readonly signing: Signing;
  readonly access: Access;
  /** Sealed and stored object handles. */
  readonly handles: Handles;
}

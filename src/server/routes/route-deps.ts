import type { Access } from "../access.js";
import type { HandleSealer } from "../handles.js";
import type { Signing } from "../signing.js";

/** What the PresignService handlers work with. */
export interface RouteDeps {
  readonly signing: Signing;
  readonly access: Access;
  /** The handle sealer in force (undefined: handles not configured). */
  readonly handles: () => HandleSealer | undefined;
}

import { invalidField, PresignError } from "../../core/presign-error.js";
import type { HandleSealer } from "../tokens/sealed-handles.js";
import {
  type HandleGrant,
  type HandleStore,
  handleDigest,
  isStoredHandle,
  mintStoredHandle,
  STORED_HANDLE_PREFIX,
  type StoredGrant,
} from "./handle-store.js";

export type HandleKind = "sealed" | "stored";

/**
 * Object handles of both kinds: sealed (stateless JWE, `HandleSealer`) and
 * stored (random identifiers looked up in a `HandleStore`). Which kind a
 * handle is shows in its form, so either is accepted wherever a handle is.
 */
export class Handles {
  constructor(
    /** The sealer in force (policy reloads rotate its keys); undefined: no keys. */
    private readonly sealer: () => HandleSealer | undefined,
    private readonly store: HandleStore | undefined,
  ) {}

  /** STORED when there is a store, else SEALED when there are keys. */
  defaultKind(): HandleKind | undefined {
    if (this.store) return "stored";
    return this.sealer() ? "sealed" : undefined;
  }

  async mint(
    grant: HandleGrant,
    kind: HandleKind | undefined,
    now: Date,
  ): Promise<{ handle: string; kind: HandleKind }> {
    const chosen = kind ?? this.defaultKind();
    if (chosen === undefined) {
      throw new PresignError(
        "failed_precondition",
        "handles are not configured: start the server with --handle-store, or add handles.keys to the policy file",
      );
    }
    if (chosen === "stored") {
      if (!this.store) {
        throw new PresignError(
          "failed_precondition",
          "kind: this server has no handle store for HANDLE_KIND_STORED (start it with --handle-store)",
          "kind",
        );
      }
      const handle = mintStoredHandle();
      await this.store.insert(handleDigest(handle), grant, now).catch(storeUnavailable);
      return { handle, kind: "stored" };
    }
    const sealer = this.sealer();
    if (!sealer) {
      throw new PresignError(
        "failed_precondition",
        "kind: this server has no keys for HANDLE_KIND_SEALED (add handles.keys to the policy file)",
        "kind",
      );
    }
    return { handle: await sealer.seal(grant), kind: "sealed" };
  }

  /** The grant of a valid, unexpired, unrevoked handle; precise refusals otherwise. */
  async open(handle: string, now: Date): Promise<HandleGrant> {
    if (!handle.startsWith(STORED_HANDLE_PREFIX)) {
      const sealer = this.sealer();
      if (!sealer) {
        throw new PresignError(
          "failed_precondition",
          "handle: sealed handles are not configured on this server",
          "handle",
        );
      }
      return sealer.open(handle, now);
    }
    const grant = await this.findStored(handle);
    if (grant.revokedAt) {
      throw new PresignError("failed_precondition", `handle: revoked at ${grant.revokedAt.toISOString()}`, "handle");
    }
    if (!(grant.expiresAt.getTime() > now.getTime())) {
      throw new PresignError("failed_precondition", `handle: expired at ${grant.expiresAt.toISOString()}`, "handle");
    }
    return grant;
  }

  /** The grant behind a stored handle, revoked or expired alike (for RevokeHandle). */
  async storedGrant(handle: string): Promise<StoredGrant> {
    if (!handle.startsWith(STORED_HANDLE_PREFIX)) {
      throw new PresignError(
        "failed_precondition",
        "handle: sealed handles cannot be revoked; they end at their expiry (rotate handles.keys to void them all)",
        "handle",
      );
    }
    return this.findStored(handle);
  }

  /** Marks a stored handle revoked on every instance; false when it already was. */
  async revoke(handle: string, now: Date): Promise<boolean> {
    if (!this.store) return false;
    return this.store.revoke(handleDigest(handle), now).catch(storeUnavailable);
  }

  private async findStored(handle: string): Promise<StoredGrant> {
    if (!isStoredHandle(handle)) throw invalidField("handle", "is not a presignd handle");
    if (!this.store) {
      throw new PresignError("failed_precondition", "handle: this server has no handle store", "handle");
    }
    const grant = await this.store.find(handleDigest(handle)).catch(storeUnavailable);
    if (!grant) {
      throw new PresignError(
        "not_found",
        "handle: no such handle (never issued here, or removed after expiry)",
        "handle",
      );
    }
    return grant;
  }
}

/**
 * The store failing is the server's trouble, and retryable: UNAVAILABLE. The
 * caller learns nothing of the store (host, port, engine errors); the RPC's
 * log line carries the cause.
 */
function storeUnavailable(error: unknown): never {
  throw new PresignError("unavailable", "the handle store is unavailable; retry later", undefined, {
    cause: error instanceof Error ? error : new Error(String(error)),
  });
}

import { createHash } from "node:crypto";
import { trace } from "@opentelemetry/api";
import type { Logger } from "pino";
import type { Principal } from "../../core/policy/policy.js";
import type { KeyLogging } from "../config/config.js";

export interface AuditEntry {
  readonly principal: Principal;
  /** The network address of a caller without credentials. */
  readonly peer?: string;
  /** The handle's minter, when the caller presented a handle. */
  readonly onBehalfOf?: Principal;
  readonly operation: string;
  readonly bucket: string;
  readonly key: string;
  readonly decision: "allow" | "deny";
  /** The allowing rule, or the reason for a denial. */
  readonly rule?: string;
  readonly reason?: string;
  readonly ttlSeconds?: number;
  readonly requestId: string;
}

/**
 * One structured record per access decision, as a JSON line ("audit": true)
 * on the audit sink (stdout by default). Never a signature, credential or
 * API key; keys as --log-keys says.
 */
export class Audit {
  constructor(
    private readonly sink: Logger,
    private readonly logKeys: KeyLogging,
  ) {}

  record(entry: AuditEntry): void {
    // The RPC's span (tracing/tracing.ts), when tracing is on, carries the decision: never the key.
    trace.getActiveSpan()?.setAttributes({
      "presignd.operation": entry.operation,
      "presignd.bucket": entry.bucket,
      "presignd.auth": entry.principal.method,
      "presignd.policy.decision": entry.decision,
      ...(entry.rule ? { "presignd.policy.rule": entry.rule } : {}),
    });
    this.sink.info(
      {
        audit: true,
        principal: entry.principal.subject,
        auth: entry.principal.method,
        ...(entry.peer ? { peer: entry.peer } : {}),
        ...(entry.onBehalfOf ? { on_behalf_of: entry.onBehalfOf.subject } : {}),
        operation: entry.operation,
        bucket: entry.bucket,
        ...keyField(entry.key, this.logKeys),
        decision: entry.decision,
        ...(entry.rule ? { rule: entry.rule } : {}),
        ...(entry.reason ? { reason: entry.reason } : {}),
        ...(entry.ttlSeconds === undefined ? {} : { ttl_s: entry.ttlSeconds }),
        request_id: entry.requestId,
      },
      "audit",
    );
  }
}

export function keyField(key: string, logKeys: KeyLogging): Record<string, string> {
  if (logKeys === "full") return { key };
  if (logKeys === "hash") return { key_sha256: keyHash(key) };
  return {};
}

// The RPC's log line and its audit record name the same key: hashed once, for both.
let lastKey: string | undefined;
let lastHash = "";

function keyHash(key: string): string {
  if (key !== lastKey) {
    lastHash = createHash("sha256").update(key).digest("hex").slice(0, 16);
    lastKey = key;
  }
  return lastHash;
}

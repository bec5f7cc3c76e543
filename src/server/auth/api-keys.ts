import { createHash, timingSafeEqual } from "node:crypto";
import type { KeyHolder } from "../access/policy-file.js";

/**
 * Finds the holder of an API key. The presented key is hashed once and
 * compared with every stored digest in constant time, without stopping at a
 * match, so timing reveals neither which key matched nor how much of it.
 */
export function findKeyHolder(holders: readonly KeyHolder[], presented: string): KeyHolder | undefined {
  const digest = createHash("sha256").update(presented, "utf8").digest();
  let found: KeyHolder | undefined;
  for (const holder of holders) {
    for (const stored of holder.apiKeySha256) {
      if (timingSafeEqual(stored, digest) && found === undefined) found = holder;
    }
  }
  return found;
}

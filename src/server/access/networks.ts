import net from "node:net";
import type { NetworkSet } from "../../core/policy/policy.js";

/** CIDRs ("10.0.0.0/8", "2001:db8::/32"; a bare address is one host) as a set of networks. */
export class Networks implements NetworkSet {
  private constructor(
    private readonly list: net.BlockList,
    /** As written, for logs and messages. */
    readonly cidrs: readonly string[],
  ) {}

  /** The set, or the problem with the first entry that is not a CIDR. */
  static parse(cidrs: readonly string[]): Networks | { problem: string; index: number } {
    const list = new net.BlockList();
    for (const [index, cidr] of cidrs.entries()) {
      const [address = "", bits, extra] = cidr.split("/");
      const family = net.isIP(address);
      const max = family === 4 ? 32 : 128;
      const prefix = bits === undefined ? max : Number(bits);
      const badBits = bits !== undefined && !/^\d{1,3}$/.test(bits);
      if (family === 0 || extra !== undefined || badBits || !(prefix >= 0 && prefix <= max)) {
        return { problem: `"${cidr}" is not a CIDR such as 10.0.0.0/8, 127.0.0.1/32 or ::1/128`, index };
      }
      list.addSubnet(address, prefix, family === 4 ? "ipv4" : "ipv6");
    }
    return new Networks(list, cidrs);
  }

  has(address: string): boolean {
    const plain = unmapped(address);
    const family = net.isIP(plain);
    return family !== 0 && this.list.check(plain, family === 4 ? "ipv4" : "ipv6");
  }
}

/** An IPv4 peer on a dual-stack socket shows as ::ffff:a.b.c.d; networks are written as IPv4. */
export function unmapped(address: string): string {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return v4?.[1] ?? address;
}

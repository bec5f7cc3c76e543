import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Networks } from "../../src/server/access/networks.js";

describe("CIDR sets (rule networks, --trusted-proxies)", () => {
  it("matches IPv4, IPv6 and IPv4-mapped peers; a bare address is one host", () => {
    const set = Networks.parse(["10.0.0.0/8", "127.0.0.1", "fd00::/8"]);
    assert.ok(set instanceof Networks);
    for (const inside of ["10.1.2.3", "127.0.0.1", "::ffff:127.0.0.1", "fd12::1"]) assert.ok(set.has(inside), inside);
    for (const outside of ["11.0.0.1", "127.0.0.2", "::1", "fe80::1", "", "not-an-ip"])
      assert.ok(!set.has(outside), outside);
  });
  it("refuses what is not a CIDR, naming the entry", () => {
    for (const bad of ["10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/8/8", "10.0.0.0/+8", "host.local", ""]) {
      const parsed = Networks.parse(["127.0.0.1/32", bad]);
      assert.ok(!(parsed instanceof Networks), bad);
      assert.equal(parsed.index, 1);
      assert.match(parsed.problem, /is not a CIDR such as 10\.0\.0\.0\/8/);
    }
  });
});

import { readFileSync } from "node:fs";

const TICK_US = 1_000_000 / 100; // CLK_TCK = 100 on Linux

/** CPU time (utime + stime, all threads, GC included) a process has used so far, in µs, from /proc. */
export function processCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may itself hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

import { createInterface } from "node:readline/promises";

/** Asks on the terminal (the question on stderr); only "y" or "yes" confirms. */
export async function confirmed(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

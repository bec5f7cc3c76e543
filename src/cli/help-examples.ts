/** An "Examples:" section for a command's --help (commander's addHelpText("after", …)). */
export function helpExamples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join("\n")}\n`;
}

import { Argument, Command } from "commander";
import { bashCompletion } from "./completion/bash.js";
import { commandTree, type ProgramSpec } from "./completion/command-tree.js";
import { fishCompletion } from "./completion/fish.js";
import { zshCompletion } from "./completion/zsh.js";
import { helpExamples } from "./help-examples.js";

const SHELLS: Record<string, (program: ProgramSpec) => string> = {
  bash: bashCompletion,
  zsh: zshCompletion,
  fish: fishCompletion,
};

export function completionCommand(): Command {
  return new Command("completion")
    .description("print a shell completion script, generated from these commands")
    .addArgument(new Argument("<shell>", "bash, zsh or fish").choices(Object.keys(SHELLS)))
    .addHelpText(
      "after",
      helpExamples(
        "source <(presignd completion bash)          # this shell; add the line to ~/.bashrc for every shell",
        "source <(presignd completion zsh)           # zsh (after compinit)",
        "presignd completion fish > ~/.config/fish/completions/presignd.fish",
      ),
    )
    .action((shell: string, _flags: unknown, command: Command) => {
      const generate = SHELLS[shell];
      if (!generate) throw new Error(`no completion for ${shell}`);
      process.stdout.write(generate(commandTree(command.parent ?? command)));
    });
}

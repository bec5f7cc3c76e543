import type { CommandSpec, OptionSpec, ProgramSpec } from "./command-tree.js";

/** fish `complete` lines for the program; a helper tells which command the line is in. */
export function fishCompletion(program: ProgramSpec): string {
  const name = program.name;
  const using = `__fish_${name.replace(/[^A-Za-z0-9_]/g, "_")}_using`;
  const lines = [
    `# ${name} completion for fish, generated from its commands by \`${name} completion fish\`.`,
    `# This shell:    ${name} completion fish | source`,
    `# Every shell:   ${name} completion fish > ~/.config/fish/completions/${name}.fish`,
    `# The command the line is in: the first word after ${name} that is no option.`,
    `function ${using} -a command`,
    "    for word in (commandline -opc)[2..-1]",
    "        if not string match -q -- '-*' $word",
    '            test "$word" = "$command"',
    "            return",
    "        end",
    "    end",
    "    return 1",
    "end",
    // Object keys are no local files: file names only where a value is a path.
    `complete -c ${name} -f`,
  ];
  const atTop = "__fish_use_subcommand";
  for (const option of program.options) lines.push(optionLine(name, atTop, option));
  for (const command of program.commands) {
    for (const spelling of [command.name, ...command.aliases]) {
      lines.push(
        `complete -c ${name} -n ${fishQuote(atTop)} -a ${fishQuote(spelling)}${described(command.description)}`,
      );
    }
  }
  for (const command of program.commands) {
    const inCommand = `${using} ${command.name}`;
    for (const option of command.options) lines.push(optionLine(name, inCommand, option));
    lines.push(...argumentLines(name, inCommand, command));
  }
  return `${lines.join("\n")}\n`;
}

function optionLine(name: string, condition: string, option: OptionSpec): string {
  const words = ["complete", "-c", name, "-n", fishQuote(condition)];
  if (option.short) words.push("-s", option.short.slice(1));
  if (option.long) words.push("-l", option.long.slice(2));
  if (option.value === "required") {
    if (option.path) words.push("-r", "-F");
    else words.push("-x");
  }
  if (option.choices) words.push("-a", fishQuote(option.choices.join(" ")));
  return words.join(" ") + described(option.description);
}

/** An argument's choices, offered until one of them is on the line. */
function argumentLines(name: string, condition: string, command: CommandSpec): string[] {
  return command.arguments
    .filter((argument) => argument.choices)
    .map((argument) => {
      const choices = (argument.choices ?? []).join(" ");
      const until = `${condition}; and not __fish_seen_subcommand_from ${choices}`;
      return `complete -c ${name} -n ${fishQuote(until)} -a ${fishQuote(choices)}${described(argument.description)}`;
    });
}

function described(description: string): string {
  return description ? ` -d ${fishQuote(description)}` : "";
}

/** A fish single-quoted string: only \\ and ' are special inside. */
function fishQuote(text: string): string {
  return `'${text.replace(/[\\']/g, "\\$&")}'`;
}

import type { Command } from "commander";

/** An option as a completion script needs it. */
export interface OptionSpec {
  readonly short?: string;
  readonly long?: string;
  readonly description: string;
  /** Whether a value follows: never, always, or only when given (`--resume [file]`). */
  readonly value: "none" | "required" | "optional";
  /** The value's name in the flags, e.g. "path" in `-f, --file <path>`. */
  readonly valueName?: string;
  readonly choices?: readonly string[];
  /** The value names a local file or directory. */
  readonly path: boolean;
}

export interface ArgumentSpec {
  readonly name: string;
  readonly description: string;
  readonly choices?: readonly string[];
  readonly variadic: boolean;
}

export interface CommandSpec {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly description: string;
  readonly options: readonly OptionSpec[];
  readonly arguments: readonly ArgumentSpec[];
}

export interface ProgramSpec extends CommandSpec {
  readonly commands: readonly CommandSpec[];
}

/**
 * The program's commands, options and arguments as commander holds them
 * (help's own view, so --help, --version and the help command are in), for
 * generating completion scripts: nothing here is listed by hand.
 */
export function commandTree(program: Command): ProgramSpec {
  const help = program.createHelp();
  const commands = help.visibleCommands(program);
  const names = commands.map((c) => c.name());
  return {
    ...commandSpec(program),
    commands: commands.map((command) => {
      const spec = commandSpec(command);
      // commander's implicit help command takes the name of a command.
      if (!program.commands.includes(command)) {
        return {
          ...spec,
          arguments: spec.arguments.map((a) => ({ ...a, choices: names.filter((n) => n !== "help") })),
        };
      }
      return spec;
    }),
  };
}

function commandSpec(command: Command): CommandSpec {
  const help = command.createHelp();
  return {
    name: command.name(),
    aliases: command.aliases(),
    description: oneLine(command.description()),
    options: help.visibleOptions(command).map((option) => {
      const valueName = /[<[]([^>\]]+)[>\]]/.exec(option.flags)?.[1];
      return {
        ...(option.short ? { short: option.short } : {}),
        ...(option.long ? { long: option.long } : {}),
        description: oneLine(option.description),
        value: option.required ? "required" : option.optional ? "optional" : "none",
        ...(valueName ? { valueName } : {}),
        ...(option.argChoices ? { choices: option.argChoices } : {}),
        path: valueName !== undefined && /(^|-)(path|file|dir)$/.test(valueName),
      };
    }),
    arguments: command.registeredArguments.map((argument) => ({
      name: argument.name(),
      description: oneLine(argument.description),
      ...(argument.argChoices ? { choices: argument.argChoices } : {}),
      variadic: argument.variadic,
    })),
  };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** Every spelling of an option: -f, --file. */
export function optionNames(option: OptionSpec): string[] {
  return [option.short, option.long].filter((name): name is string => name !== undefined);
}

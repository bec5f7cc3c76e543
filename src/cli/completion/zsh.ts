import { shellQuote } from "../shell-quote.js";
import { type ArgumentSpec, type CommandSpec, type OptionSpec, optionNames, type ProgramSpec } from "./command-tree.js";

/** A zsh completion function (_arguments specs, with descriptions) for the program. */
export function zshCompletion(program: ProgramSpec): string {
  const name = program.name;
  const fn = `_${name.replace(/[^A-Za-z0-9_]/g, "_")}`;
  const described = program.commands.flatMap((c) =>
    [c.name, ...c.aliases].map((n) => shellQuote(`${n.replaceAll(":", "\\:")}:${c.description}`)),
  );
  const cases = program.commands.map(
    (c) => `    (${[c.name, ...c.aliases].join("|")})
      _arguments -s -S \\
${specs(c)
  .map((s) => `        ${s}`)
  .join(" \\\n")} ;;`,
  );
  return `#compdef ${name}
# ${name} completion for zsh, generated from its commands by \`${name} completion zsh\`.
# This shell:    source <(${name} completion zsh)
# Every shell:   ${name} completion zsh > "\${fpath[1]}/${fn}"   (then start a new shell)
${fn}() {
  local curcontext=$curcontext state line ret=1
  typeset -A opt_args
  _arguments -C \\
${[...program.options.flatMap(optionSpecs), "'1: :->command'", "'*:: :->argument'"].map((s) => `    ${s}`).join(" \\\n")} && ret=0
  case $state in
  (command)
    local -a commands=(
${described.map((d) => `      ${d}`).join("\n")}
    )
    _describe -t commands ${shellQuote(`${name} command`)} commands && ret=0 ;;
  (argument)
    curcontext=\${curcontext%:*:*}:${name}-$line[1]:
    case $line[1] in
${cases.join("\n")}
    esac
    ret=$? ;;
  esac
  return ret
}
if [[ $funcstack[1] == ${fn} ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${name}
fi
`;
}

function specs(command: CommandSpec): string[] {
  return [...command.options.flatMap(optionSpecs), ...command.arguments.map(argumentSpec)];
}

/** One _arguments spec per spelling, each excluding the others: '(-f --file)-f+[…]:path:_files'. */
function optionSpecs(option: OptionSpec): string[] {
  const names = optionNames(option);
  const exclude = names.length > 1 ? `(${names.join(" ")})` : "";
  const description = `[${escapeBrackets(option.description)}]`;
  const action = valueAction(option.choices, option.path);
  const message = (option.valueName ?? "value").replaceAll(":", "\\:");
  return names.map((flag) => {
    const long = flag.startsWith("--");
    if (option.value === "none") return shellQuote(`${exclude}${flag}${description}`);
    if (option.value === "optional")
      return shellQuote(`${exclude}${flag}${long ? "=-" : "-"}${description}::${message}:${action}`);
    return shellQuote(`${exclude}${flag}${long ? "=" : "+"}${description}:${message}:${action}`);
  });
}

function argumentSpec(argument: ArgumentSpec, i: number): string {
  const message = argument.name.replaceAll(":", "\\:");
  return shellQuote(`${argument.variadic ? "*" : i + 1}:${message}:${valueAction(argument.choices, false)}`);
}

/** Choices, file names, or nothing to offer (a space: show the message only). */
function valueAction(choices: readonly string[] | undefined, path: boolean): string {
  if (choices) return `(${choices.map((c) => c.replace(/[\s()\\:]/g, "\\$&")).join(" ")})`;
  return path ? "_files" : " ";
}

function escapeBrackets(text: string): string {
  return text.replace(/[\\[\]]/g, "\\$&");
}

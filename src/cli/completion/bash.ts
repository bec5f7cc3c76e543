import { shellQuote } from "../shell-quote.js";
import { optionNames, type ProgramSpec } from "./command-tree.js";

/**
 * A bash completion script for the program: commands, each command's
 * options, the choices of option values and arguments; file names (bash's
 * default) for path values and arguments without choices.
 */
export function bashCompletion(program: ProgramSpec): string {
  const name = program.name;
  const fn = `_${name.replace(/[^A-Za-z0-9_]/g, "_")}`;
  const options: string[] = [];
  const valued: string[] = [];
  const paths: string[] = [];
  const choices: string[] = [];
  const entry = (key: string, value: string) => `[${shellQuote(key)}]=${shellQuote(value)}`;
  for (const command of [program, ...program.commands]) {
    const keys = command === program ? [name] : [command.name, ...command.aliases];
    for (const key of keys) {
      options.push(entry(key, command.options.flatMap(optionNames).join(" ")));
      const withValue = command.options.filter((o) => o.value === "required");
      valued.push(entry(key, ` ${withValue.flatMap(optionNames).join(" ")} `));
      for (const option of withValue) {
        for (const flag of optionNames(option)) {
          if (option.choices) choices.push(entry(`${key} ${flag}`, option.choices.join(" ")));
          if (option.path) paths.push(entry(`${key} ${flag}`, "1"));
        }
      }
      command.arguments.forEach((argument, i) => {
        if (argument.choices) choices.push(entry(`${key} ${i + 1}`, argument.choices.join(" ")));
      });
    }
  }
  const commands = program.commands.flatMap((c) => [c.name, ...c.aliases]).join(" ");
  return `# ${name} completion for bash, generated from its commands by \`${name} completion bash\`.
# This shell:    source <(${name} completion bash)
# Every shell:   ${name} completion bash > ~/.local/share/bash-completion/completions/${name}
${fn}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]}
  local commands=${shellQuote(commands)}
  local -A options=(${options.join(" ")})
  local -A valued=(${valued.join(" ")})
  local -A paths=(${paths.join(" ")})
  local -A choices=(${choices.join(" ")})
  # The command is the first word that is no option; an option's value is no argument.
  local cmd=${shellQuote(name)} word i n=0 skip=0
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=\${COMP_WORDS[i]}
    if [[ $word == = ]]; then
      skip=1
    elif ((skip)); then
      skip=0
    elif [[ $word == -* ]]; then
      [[ \${valued[$cmd]} == *" $word "* ]] && skip=1
    elif [[ $cmd == ${shellQuote(name)} ]]; then
      cmd=$word
    else
      ((n++))
    fi
  done
  [[ $cur == = ]] && return
  if ((skip)); then
    [[ $prev == = ]] && prev=\${COMP_WORDS[COMP_CWORD-2]}
    if [[ -n \${choices["$cmd $prev"]+set} ]]; then
      mapfile -t COMPREPLY < <(compgen -W "\${choices["$cmd $prev"]}" -- "$cur")
    elif [[ -z \${paths["$cmd $prev"]+set} ]]; then
      compopt +o default 2>/dev/null
    fi
  elif [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "\${options[$cmd]}" -- "$cur")
  elif [[ $cmd == ${shellQuote(name)} ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
  elif [[ -n \${choices["$cmd $((n + 1))"]+set} ]]; then
    mapfile -t COMPREPLY < <(compgen -W "\${choices["$cmd $((n + 1))"]}" -- "$cur")
  fi
}
complete -o default -F ${fn} ${name}
`;
}

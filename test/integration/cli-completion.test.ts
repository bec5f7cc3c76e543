import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PRESIGND, run } from "../support/run.js";

/** The long options `presignd <command> --help` lists. */
async function helpOptions(command: string): Promise<string[]> {
  const help = await run(PRESIGND, [command, "--help"]);
  return [...help.stdout.toString().matchAll(/^ {2}(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1] ?? "");
}

/** What bash's completion function offers for a command line (the last word is the one being completed). */
async function complete(...words: string[]): Promise<string[]> {
  const script = [
    `source <(${PRESIGND} completion bash)`,
    'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()',
    "_presignd",
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join("\n");
  const res = await run("bash", ["-c", script, "bash", ...words]);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stderr, "");
  return res.stdout.toString().split("\n").filter(Boolean);
}

describe("presignd completion", () => {
  it("bash: the script loads and registers presignd", async () => {
    const res = await run("bash", ["-c", `source <(${PRESIGND} completion bash); complete -p presignd`]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout.toString(), "complete -o default -F _presignd presignd\n");
    assert.equal(
      (await run("bash", ["-n", "-c", (await run(PRESIGND, ["completion", "bash"])).stdout.toString()])).code,
      0,
    );
  });

  it("bash: commands, options, option values and argument choices", async () => {
    assert.deepEqual(await complete("presignd", "pre"), ["presign"]);
    assert.deepEqual(await complete("presignd", ""), [
      "serve",
      "config",
      "doctor",
      "get",
      "put",
      "post",
      "head",
      "rm",
      "watch",
      "uploads",
      "notifications",
      "presign",
      "completion",
      "help",
    ]);
    assert.deepEqual(await complete("presignd", "get", "--tr"), ["--transport"]);
    assert.deepEqual(await complete("presignd", "get", "--transport", "grpc"), ["grpc", "grpc-web"]);
    assert.deepEqual(await complete("presignd", "presign", "p"), ["put", "post"]);
    assert.deepEqual(await complete("presignd", "presign", "d"), ["delete"]);
    assert.deepEqual(await complete("presignd", "rm", "--y"), ["--yes"]);
    assert.deepEqual(await complete("presignd", "doctor", "--fix"), ["--fix-cors"]);
    // An option's value is not an argument: "x.txt" does not take the method's place.
    assert.deepEqual(await complete("presignd", "presign", "-f", "x.txt", "g"), ["get"]);
    assert.deepEqual(await complete("presignd", "presign", "get", "key", "--format", "c"), ["curl"]);
    assert.deepEqual(await complete("presignd", "presign", "--format", "=", "j"), ["json"]);
    assert.deepEqual(await complete("presignd", "completion", ""), ["bash", "zsh", "fish"]);
    assert.deepEqual(await complete("presignd", "help", "p"), ["put", "post", "presign"]);
    // No choices for an object key (bash's default then offers file names).
    assert.deepEqual(await complete("presignd", "presign", "get", ""), []);
  });

  it("offers every option of every command, as --help lists them", async () => {
    const zsh = (await run(PRESIGND, ["completion", "zsh"])).stdout.toString();
    const fish = (await run(PRESIGND, ["completion", "fish"])).stdout.toString();
    for (const command of [
      "serve",
      "config",
      "doctor",
      "get",
      "put",
      "post",
      "head",
      "rm",
      "watch",
      "presign",
      "completion",
    ]) {
      const options = await helpOptions(command);
      assert.ok(options.includes("--help"), command);
      assert.deepEqual(await complete("presignd", command, "--"), options, `bash: ${command}`);
      for (const option of options) {
        assert.ok(zsh.includes(`${option}[`) || zsh.includes(`${option}=`), `zsh: ${command} ${option}`);
        assert.match(fish, new RegExp(`-n '__fish_presignd_using ${command}'( -s \\w)? -l ${option.slice(2)}\\b`));
      }
    }
  });

  it("zsh and fish: values complete as paths or choices", async () => {
    const zsh = (await run(PRESIGND, ["completion", "zsh"])).stdout.toString();
    assert.match(zsh, /^#compdef presignd\n/);
    assert.ok(zsh.includes(`'(-f --file)-f+[write to this file instead of stdout ("-": stdout)]:path:_files'`));
    assert.ok(zsh.includes(`'--transport=[RPC protocol]:protocol:(connect grpc grpc-web)'`));
    assert.ok(zsh.includes(`'1:method:(get put post head delete list)'`));
    const fish = (await run(PRESIGND, ["completion", "fish"])).stdout.toString();
    assert.ok(fish.includes(`complete -c presignd -n '__fish_presignd_using get' -s f -l file -r -F -d`));
    assert.ok(fish.includes(`-l transport -x -a 'connect grpc grpc-web' -d 'RPC protocol'`));
    assert.ok(fish.includes(`complete -c presignd -n '__fish_use_subcommand' -a 'presign' -d`));
  });

  it("refuses an unknown shell", async () => {
    const res = await run(PRESIGND, ["completion", "powershell"]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /argument 'shell'.*Allowed choices are bash, zsh, fish/);
  });
});

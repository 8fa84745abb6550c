#!/usr/bin/env node
/**
 * The `esci` command line: a registry of subcommands, one file each in this folder.
 * This is the only place (with server/) that turns an EsciError into an exit status, via ERROR_TABLE,
 * and prints it with the API's option names worded as flags (option-flags.ts).
 */
import { readFileSync } from "node:fs";
import { ERROR_TABLE, isEsciError } from "../errors/index.js";
import { commands } from "./commands.js";
import { cliMessage } from "./option-flags.js";

/** Loads every command (for their summaries): only for `esci --help` and an unknown command. */
async function usage(): Promise<string> {
  const lines = ["Usage: esci <command> [flags]", "", "Commands:"];
  for (const c of await Promise.all(Object.values(commands).map((load) => load()))) lines.push(`  ${c.name.padEnd(12)} ${c.summary}`);
  lines.push("", "Run `esci <command> --help` for a command's flags, `esci --version` for the version.");
  return lines.join("\n");
}

/** package.json's version (dist/src/cli/main.js → ../../../package.json, as installed by npm). */
function version(): string {
  return (JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }).version;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--version" || name === "-v" || name === "version") {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write((await usage()) + "\n");
    return name ? 0 : 2;
  }
  const load = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!load) {
    process.stderr.write(`esci: unknown command "${name}"\n\n${await usage()}\n`);
    return 2;
  }
  const cmd = await load();
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(cmd.help + "\n");
    return 0;
  }
  return (await cmd.run(rest)) ?? 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (isEsciError(e)) {
      process.stderr.write(`esci: ${cliMessage(e)}\n`);
      process.exitCode = ERROR_TABLE[e.code].exitCode;
    } else {
      process.stderr.write(`esci: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exitCode = 1;
    }
  },
);

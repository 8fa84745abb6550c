#!/usr/bin/env node
/**
 * Writes docs/reliability.md: every bad input and fault esci is tried with, what it answered (exit
 * code or HTTP status) and the message — by running each case for real, never by typing results.
 *
 * Usage: npm run build && node scripts/reliability/generate.mjs [--out docs/reliability.md]
 *
 * Case modules export `run(ctx)` → [{ area, fault, outcome, message }]: cases-cli.mjs (the command
 * line) and cases-server.mjs (the HTTP server; skipped with a note while it does not exist). `ctx`:
 *   root     the repository root (fixtures are under test/fixtures/models)
 *   tmpDir   a fresh directory, removed when the generator ends
 *   esci(args, { cwd, env, uid, gid }) → Promise<{ code, stdout, stderr }>: `node dist/src/cli/main.js`
 *            with a private ESCI_CACHE and HF_HOME under tmpDir and HF_HUB_OFFLINE=1, run in tmpDir
 *   fixture(name)  the path of a tiny fixture model
 * Temporary paths in messages are shown as $TMP so the table does not change between runs.
 */
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const outArg = process.argv.indexOf("--out");
const outFile = resolve(outArg > 0 ? process.argv[outArg + 1] : join(root, "docs", "reliability.md"));

function makeContext(tmpDir) {
  const baseEnv = { ...process.env, ESCI_CACHE: join(tmpDir, "esci-cache"), HF_HOME: join(tmpDir, "hf"), HF_HUB_OFFLINE: "1" };
  return {
    root,
    tmpDir,
    fixture: (name) => join(root, "test", "fixtures", "models", name),
    esci(args, opts = {}) {
      return new Promise((res, rej) => {
        const child = spawn(process.execPath, [join(root, "dist", "src", "cli", "main.js"), ...args], {
          cwd: opts.cwd ?? tmpDir,
          env: { ...baseEnv, ...opts.env },
          uid: opts.uid,
          gid: opts.gid,
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("error", rej);
        child.on("close", (code) => res({ code: code ?? -1, stdout, stderr }));
        child.stdin.end();
      });
    },
  };
}

/** A case module, or undefined (with the reason) when it is not there yet. */
async function load(name) {
  try {
    return await import(`./${name}`);
  } catch (e) {
    if (e?.code === "ERR_MODULE_NOT_FOUND" && String(e.message).includes(name)) return undefined;
    throw e;
  }
}

const cell = (s) => String(s).replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");

async function main() {
  const tmp = mkdtempSync(join(tmpdir(), "esci-reliability-"));
  chmodSync(tmp, 0o755); // cases may run a command as an unprivileged user, who must reach their files
  const rows = [];
  const notes = [];
  try {
    for (const name of ["cases-cli.mjs", "cases-server.mjs"]) {
      const mod = await load(name);
      if (!mod) {
        notes.push(`${name} is not in this checkout yet: its cases are missing from the table.`);
        continue;
      }
      const dir = mkdtempSync(join(tmp, name.replace(/\W/g, "-")));
      chmodSync(dir, 0o755);
      const ctx = makeContext(dir);
      process.stderr.write(`running ${name}…\n`);
      for (const r of await mod.run(ctx)) rows.push({ ...r, message: String(r.message).split(dir).join("$TMP").split(tmp).join("$TMP") });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const lines = [
    "# Reliability: bad inputs and faults, and what esci answers",
    "",
    `Generated ${new Date().toISOString().slice(0, 10)} by \`node scripts/reliability/generate.mjs\` (after \`npm run build\`) ` +
      `from esci ${version} on Node ${process.version}: every row below was run for real; nothing is typed by hand. ` +
      "Exit codes and HTTP statuses come from `ERROR_TABLE` in src/errors/index.ts; temporary paths are shown as `$TMP`.",
    "",
    ...notes.map((n) => `> ${n}`),
    ...(notes.length ? [""] : []),
    "| area | fault | outcome | message |",
    "| --- | --- | --- | --- |",
    ...rows.map((r) => `| ${cell(r.area)} | ${cell(r.fault)} | ${cell(r.outcome)} | ${cell(r.message)} |`),
    "",
  ];
  writeFileSync(outFile, lines.join("\n"));
  process.stderr.write(`wrote ${rows.length} cases to ${outFile}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e?.stack ?? e}\n`);
  process.exitCode = 1;
});

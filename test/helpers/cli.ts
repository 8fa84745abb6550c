/**
 * Running the compiled `esci` CLI as a user would: a child process of this Node, its exit code,
 * stdout and stderr. `uid`/`gid` run it as another user (used when the tests run as root, which
 * would otherwise bypass file permissions).
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "./paths.js";

export const CLI = join(REPO_ROOT, "dist/src/cli/main.js");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runEsci(args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; uid?: number; gid?: number; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: options.env ?? process.env, cwd: options.cwd, uid: options.uid, gid: options.gid });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

/** Options that make a child unable to write where its user may not: nobody when we are root. */
export function unprivileged(): { uid?: number; gid?: number } {
  return process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
}

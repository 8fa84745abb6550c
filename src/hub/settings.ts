/**
 * Where the Hugging Face cache lives, which hub to talk to, with which token, and whether the
 * network may be used at all — read from the environment exactly as Python's huggingface_hub
 * reads it (`constants.py`), so a cache filled by `transformers`/`huggingface-cli` is found and
 * reused as is, and the same shell settings steer both tools.
 *
 * Everything here takes the environment as an argument (default `process.env`) so callers and
 * tests can resolve against a different environment without mutating the process's own.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_ENDPOINT = "https://huggingface.co";

/** huggingface_hub's `ENV_VARS_TRUE_VALUES`: the spellings of "yes", compared upper-cased. */
const TRUE_VALUES = new Set(["1", "ON", "YES", "TRUE"]);

/** True when an environment value means "on", as huggingface_hub's `_is_true` decides it. */
export function isTruthyEnv(value: string | undefined): boolean {
  return value !== undefined && TRUE_VALUES.has(value.trim().toUpperCase());
}

/** `~` and `~/…` expanded against `$HOME` (then the OS's idea of home), like Python's expanduser. */
export function expandHome(path: string, env: Env = process.env): string {
  if (path !== "~" && !path.startsWith("~/")) return path;
  const home = env.HOME || homedir();
  return path === "~" ? home : join(home, path.slice(2));
}

/** `$HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`. */
export function hfHome(env: Env = process.env): string {
  if (env.HF_HOME) return expandHome(env.HF_HOME, env);
  const xdg = env.XDG_CACHE_HOME || join(expandHome("~", env), ".cache");
  return join(expandHome(xdg, env), "huggingface");
}

/**
 * The hub cache: `$HF_HUB_CACHE`, else the legacy `$HUGGINGFACE_HUB_CACHE`, else `$HF_HOME/hub`
 * (with HF_HOME's own XDG/~ fallbacks).
 */
export function defaultCacheDir(env: Env = process.env): string {
  const explicit = env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE;
  return explicit ? expandHome(explicit, env) : join(hfHome(env), "hub");
}

/** `$HF_ENDPOINT` without a trailing slash, else https://huggingface.co. */
export function defaultEndpoint(env: Env = process.env): string {
  return (env.HF_ENDPOINT || DEFAULT_ENDPOINT).replace(/\/+$/, "");
}

/** `HF_HUB_OFFLINE` (or the older `TRANSFORMERS_OFFLINE`) set to a true value. */
export function offlineFromEnv(env: Env = process.env): boolean {
  return isTruthyEnv(env.HF_HUB_OFFLINE || env.TRANSFORMERS_OFFLINE);
}

/**
 * The user's hub token: `$HF_TOKEN` (or the legacy `$HUGGING_FACE_HUB_TOKEN`), else the file
 * `huggingface-cli login` writes (`$HF_TOKEN_PATH`, default `$HF_HOME/token`). Undefined when none.
 */
export function tokenFromEnv(env: Env = process.env): string | undefined {
  const direct = (env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN)?.trim();
  if (direct) return direct;
  const path = env.HF_TOKEN_PATH ? expandHome(env.HF_TOKEN_PATH, env) : join(hfHome(env), "token");
  try {
    return readFileSync(path, "utf8").trim() || undefined;
  } catch {
    return undefined; // no login file is the common case, not an error
  }
}

/**
 * The pure parts: where the cache is (huggingface_hub's precedence), what counts as "offline",
 * where the token comes from, how a --model value is classified, and fnmatch patterns.
 */
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { describe, test } from "node:test";
import {
  defaultCacheDir,
  defaultEndpoint,
  filterByPatterns,
  isTruthyEnv,
  offlineFromEnv,
  parseModelRef,
  repoFolderName,
  tokenFromEnv,
} from "../../src/hub/index.js";
import { tempDir } from "./fixture.js";

describe("settings from the environment", () => {
  test("cache dir: HF_HUB_CACHE > HUGGINGFACE_HUB_CACHE > HF_HOME/hub > XDG_CACHE_HOME/huggingface/hub > ~/.cache", () => {
    const all = { HF_HUB_CACHE: "/a", HUGGINGFACE_HUB_CACHE: "/b", HF_HOME: "/c", XDG_CACHE_HOME: "/d", HOME: "/home/u" };
    assert.equal(defaultCacheDir(all), "/a");
    assert.equal(defaultCacheDir({ ...all, HF_HUB_CACHE: undefined }), "/b");
    assert.equal(defaultCacheDir({ HF_HOME: "/c", XDG_CACHE_HOME: "/d" }), "/c/hub");
    assert.equal(defaultCacheDir({ XDG_CACHE_HOME: "/d", HOME: "/home/u" }), "/d/huggingface/hub");
    assert.equal(defaultCacheDir({ HOME: "/home/u" }), "/home/u/.cache/huggingface/hub");
    assert.equal(defaultCacheDir({ HF_HOME: "~/hf", HOME: "/home/u" }), "/home/u/hf/hub");
    assert.equal(defaultCacheDir({}), join(homedir(), ".cache", "huggingface", "hub"));
  });

  test("endpoint: HF_ENDPOINT without trailing slash, else huggingface.co", () => {
    assert.equal(defaultEndpoint({}), "https://huggingface.co");
    assert.equal(defaultEndpoint({ HF_ENDPOINT: "https://hf-mirror.com/" }), "https://hf-mirror.com");
  });

  test("offline: 1/ON/YES/TRUE in any case, from HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE", () => {
    for (const v of ["1", "on", "ON", "yes", "Yes", "TRUE", "true", " 1 "]) assert.equal(isTruthyEnv(v), true, v);
    for (const v of [undefined, "", "0", "off", "no", "false", "2", "y"]) assert.equal(isTruthyEnv(v), false, String(v));
    assert.equal(offlineFromEnv({ TRANSFORMERS_OFFLINE: "1" }), true);
    assert.equal(offlineFromEnv({ HF_HUB_OFFLINE: "0" }), false);
  });

  test("token: HF_TOKEN > HUGGING_FACE_HUB_TOKEN > HF_TOKEN_PATH file > $HF_HOME/token; blank means none", async () => {
    const home = await tempDir();
    await writeFile(join(home, "token"), " hf_from_home \n");
    await writeFile(join(home, "other"), "hf_from_path");
    assert.equal(tokenFromEnv({ HF_TOKEN: "hf_env", HUGGING_FACE_HUB_TOKEN: "hf_legacy", HF_HOME: home }), "hf_env");
    assert.equal(tokenFromEnv({ HUGGING_FACE_HUB_TOKEN: "hf_legacy", HF_HOME: home }), "hf_legacy");
    assert.equal(tokenFromEnv({ HF_TOKEN_PATH: join(home, "other"), HF_HOME: home }), "hf_from_path");
    assert.equal(tokenFromEnv({ HF_HOME: home }), "hf_from_home");
    assert.equal(tokenFromEnv({ HF_HOME: join(home, "nowhere") }), undefined);
    assert.equal(tokenFromEnv({ HF_TOKEN: "  ", HF_HOME: join(home, "nowhere") }), undefined);
  });
});

describe("--model values", () => {
  test("existing directories are local: absolute, ./relative, ~ and even org/name-shaped ones", async () => {
    const home = await tempDir();
    await mkdir(join(home, "models", "acme", "bert"), { recursive: true });
    assert.deepEqual(parseModelRef(join(home, "models"), {}), { kind: "local", dir: join(home, "models") });
    assert.deepEqual(parseModelRef("~/models", { HOME: home }), { kind: "local", dir: join(home, "models") });
    const cwd = process.cwd();
    process.chdir(join(home, "models"));
    try {
      assert.deepEqual(parseModelRef("./acme", {}), { kind: "local", dir: join(home, "models", "acme") });
      assert.deepEqual(parseModelRef("acme/bert", {}), { kind: "local", dir: join(home, "models", "acme", "bert") });
    } finally {
      process.chdir(cwd);
    }
  });

  test("path-shaped values that do not exist → NOT_FOUND naming the resolved path", async () => {
    // Every value resolves inside a fresh temp dir (cwd two levels down, HOME beside it), so
    // nothing next to the checkout (a sibling "../nope") can make one exist.
    const base = await tempDir();
    const cwdDir = join(base, "a", "work");
    await mkdir(cwdDir, { recursive: true });
    const home = join(base, "home");
    const cwd = process.cwd();
    process.chdir(cwdDir);
    try {
      for (const v of ["./nope", "../nope", join(base, "definitely", "not", "here"), "~/nope", "a/b/c", "nope/"]) {
        assert.throws(
          () => parseModelRef(v, { HOME: home }),
          (e: Error & { code?: string }) => e.code === "NOT_FOUND" && e.message.includes(resolve(v.replace(/^~/, home))),
          v,
        );
      }
    } finally {
      process.chdir(cwd);
    }
  });

  test("repo ids: name and org/name accepted; malformed ones → INVALID_ARGUMENT", () => {
    for (const id of ["bert-base-uncased", "cross-encoder/ms-marco-MiniLM-L-6-v2", "BAAI/bge-reranker-v2-m3", "a.b_c/d-e.f"]) {
      assert.deepEqual(parseModelRef(id, {}), { kind: "repo", repoId: id });
    }
    for (const id of ["org--x/name", "org/na..me", "org/name.git", "org/na me", "org/-name", "org/nämé", "-x"]) {
      assert.throws(() => parseModelRef(id, {}), { code: "INVALID_ARGUMENT" }, id);
    }
    assert.throws(() => parseModelRef("  ", {}), { code: "INVALID_ARGUMENT" });
  });

  test("cache folder names follow huggingface_hub's repo_folder_name", () => {
    assert.equal(repoFolderName("cross-encoder/ms-marco-MiniLM-L-6-v2"), "models--cross-encoder--ms-marco-MiniLM-L-6-v2");
    assert.equal(repoFolderName("bert-base-uncased"), "models--bert-base-uncased");
  });
});

describe("fnmatch patterns", () => {
  test("* crosses '/', ? is one char, [seq] and [!seq] are classes, other characters are literal", () => {
    const files = ["a.json", "x/a.json", "a1.txt", "ab.txt", "a(1).txt", "b.json", "dir/sub/f"];
    assert.deepEqual(filterByPatterns(files, ["*.json"]), ["a.json", "x/a.json", "b.json"]);
    assert.deepEqual(filterByPatterns(files, ["a?.txt"]), ["a1.txt", "ab.txt"]);
    assert.deepEqual(filterByPatterns(files, ["a[0-9].txt"]), ["a1.txt"]);
    assert.deepEqual(filterByPatterns(files, ["a[!0-9].txt"]), ["ab.txt"]);
    assert.deepEqual(filterByPatterns(files, ["a(1).txt"]), ["a(1).txt"]);
    assert.deepEqual(filterByPatterns(files, ["dir/"]), ["dir/sub/f"]);
  });
});

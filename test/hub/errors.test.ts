/**
 * What goes wrong, and what the user is told: 401/403/404 from the hub, offline mode with and
 * without a cached snapshot, an unreachable hub, missing model files, and the HF_* environment.
 */
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { EsciError } from "../../src/errors/index.js";
import { modelFile, resolveModel } from "../../src/hub/index.js";
import { startMockHub, type MockHub } from "../helpers/mock-hub.js";
import { DEV, FAST_RETRY, MAIN, REPO, tempDir, tinyRepo } from "./fixture.js";

let hub: MockHub;
before(async () => {
  hub = await startMockHub({
    repos: [
      tinyRepo(),
      { ...tinyRepo(), id: "acme/private-bert", token: "hf_right" },
      { ...tinyRepo(), id: "acme/gated-bert", gated: true },
    ],
  });
});
after(() => hub.close());

function opts(cacheDir: string) {
  return { cacheDir, endpoint: hub.endpoint, env: {}, retry: FAST_RETRY };
}

/** assert.rejects with an EsciError of `code` whose message contains every string in `parts`. */
async function rejectsWith(p: Promise<unknown>, code: string, parts: string[]): Promise<EsciError> {
  let caught: unknown;
  await assert.rejects(p, (e) => ((caught = e), true));
  assert.ok(caught instanceof EsciError, `expected EsciError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  for (const part of parts) assert.ok(caught.message.includes(part), `message lacks "${part}": ${caught.message}`);
  return caught;
}

/** A port nothing listens on: connections are refused at once. */
async function deadEndpoint(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

describe("hub errors", () => {
  test("404 for an unknown repo → NOT_FOUND naming the repo and revision", async () => {
    const cache = await tempDir();
    await rejectsWith(resolveModel("acme/nope", opts(cache)), "NOT_FOUND", ["acme/nope", "revision main"]);
  });

  test("404 for an unknown revision → NOT_FOUND naming the revision", async () => {
    const cache = await tempDir();
    await rejectsWith(resolveModel(REPO, { ...opts(cache), revision: "no-such-branch" }), "NOT_FOUND", [
      '"no-such-branch"',
      REPO,
    ]);
  });

  test("401 for a private repo without a token → UNAUTHORIZED pointing at HF_TOKEN", async () => {
    const cache = await tempDir();
    await rejectsWith(resolveModel("acme/private-bert", opts(cache)), "UNAUTHORIZED", ["acme/private-bert", "HF_TOKEN", "HTTP 401"]);
  });

  test("401 with a wrong token → UNAUTHORIZED saying the token was refused", async () => {
    const cache = await tempDir();
    await rejectsWith(resolveModel("acme/private-bert", { ...opts(cache), token: "hf_wrong" }), "UNAUTHORIZED", [
      "refused the token",
      "HF_TOKEN",
    ]);
  });

  test("403 GatedRepo → UNAUTHORIZED explaining the gate", async () => {
    const cache = await tempDir();
    await rejectsWith(resolveModel("acme/gated-bert", opts(cache)), "UNAUTHORIZED", ["gated", `${hub.endpoint}/acme/gated-bert`]);
  });

  test("nothing is left in the cache after a refused request", async () => {
    const cache = await tempDir();
    await assert.rejects(resolveModel("acme/private-bert", opts(cache)));
    assert.equal((await import("node:fs")).existsSync(join(cache, "models--acme--private-bert")), false);
  });
});

describe("HF_* environment", () => {
  test("HF_ENDPOINT and HF_TOKEN come from the environment when no option is given", async () => {
    const cache = await tempDir();
    const before = hub.requests.length;
    const res = await resolveModel("acme/private-bert", {
      env: { HF_ENDPOINT: `${hub.endpoint}/`, HF_TOKEN: "hf_right", HF_HUB_CACHE: cache },
      retry: FAST_RETRY,
    });
    assert.equal(res.source, "hub");
    assert.ok(res.dir.startsWith(join(cache, "models--acme--private-bert")));
    const made = hub.requests.slice(before).filter((r) => r.server === "hub");
    assert.ok(made.length > 0 && made.every((r) => r.headers.authorization === "Bearer hf_right"));
  });

  test("the token file (HF_TOKEN_PATH, else $HF_HOME/token) is used when HF_TOKEN is unset", async () => {
    const home = await tempDir();
    await writeFile(join(home, "token"), "hf_right\n");
    const res = await resolveModel("acme/private-bert", { env: { HF_HOME: home, HF_ENDPOINT: hub.endpoint }, retry: FAST_RETRY });
    assert.ok(res.dir.startsWith(join(home, "hub", "models--acme--private-bert")), res.dir);

    const elsewhere = await tempDir();
    await writeFile(join(elsewhere, "my-token"), "hf_right");
    const res2 = await resolveModel("acme/private-bert", {
      env: { HF_HOME: await tempDir(), HF_TOKEN_PATH: join(elsewhere, "my-token"), HF_ENDPOINT: hub.endpoint },
      retry: FAST_RETRY,
    });
    assert.equal(res2.source, "hub");
  });
});

describe("offline mode", () => {
  test("a cached snapshot is used without any request, for every truthy HF_HUB_OFFLINE spelling", async () => {
    const cache = await tempDir();
    const online = await resolveModel(REPO, opts(cache));
    await resolveModel(REPO, { ...opts(cache), revision: "dev" });
    const before = hub.requests.length;
    for (const value of ["1", "ON", "yes", "True"]) {
      const res = await resolveModel(REPO, { cacheDir: cache, endpoint: hub.endpoint, env: { HF_HUB_OFFLINE: value } });
      assert.equal(res.dir, online.dir, value);
      assert.equal(res.source, "cache");
      assert.equal(res.commit, MAIN);
    }
    const dev = await resolveModel(REPO, { cacheDir: cache, endpoint: hub.endpoint, offline: true, revision: "dev" });
    assert.equal(dev.commit, DEV);
    const bySha = await resolveModel(REPO, { cacheDir: cache, endpoint: hub.endpoint, offline: true, revision: DEV });
    assert.equal(bySha.dir, dev.dir);
    assert.equal(hub.requests.length, before, "offline mode made requests");
  });

  test("HF_HUB_OFFLINE=0 is not offline", async () => {
    const cache = await tempDir();
    const res = await resolveModel(REPO, { ...opts(cache), env: { HF_HUB_OFFLINE: "0" } });
    assert.equal(res.source, "hub");
  });

  test("not cached → OFFLINE naming the repo, revision, cache path and the fixes, without any request", async () => {
    const cache = await tempDir();
    const before = hub.requests.length;
    const e = await rejectsWith(
      resolveModel(REPO, { cacheDir: cache, endpoint: hub.endpoint, env: { HF_HUB_OFFLINE: "1" }, revision: "dev" }),
      "OFFLINE",
      [REPO, "revision dev", join(cache, "models--acme--tiny-bert", "refs", "dev"), "HF_HUB_OFFLINE=1", `huggingface-cli download ${REPO} --revision dev`],
    );
    assert.equal(e.details?.cacheDir, cache);
    assert.equal(hub.requests.length, before);
  });

  test("a cached snapshot missing a required file → OFFLINE from modelFile naming the file, dir and fixes", async () => {
    const cache = await tempDir();
    await resolveModel(REPO, { ...opts(cache), allowPatterns: ["config.json"] });
    const res = await resolveModel(REPO, { cacheDir: cache, offline: true, env: {} });
    assert.ok(modelFile(res, "config.json").endsWith("config.json"));
    const call = async () => modelFile(res, "tokenizer.json");
    await rejectsWith(call(), "OFFLINE", [
      "tokenizer.json",
      res.dir,
      "HF_HUB_OFFLINE=1",
      `huggingface-cli download ${REPO} tokenizer.json`,
      `copy it into ${res.dir}`,
    ]);
    // A bare snapshot path still yields the repo id for the hint.
    await rejectsWith((async () => modelFile(res.dir, "tokenizer.json"))(), "NOT_FOUND", [`huggingface-cli download ${REPO} tokenizer.json`]);
  });
});

describe("unreachable hub", () => {
  test("with a cached snapshot: falls back to it and warns", async () => {
    const cache = await tempDir();
    const online = await resolveModel(REPO, opts(cache));
    const warnings: string[] = [];
    const res = await resolveModel(REPO, { ...opts(cache), endpoint: await deadEndpoint(), onWarning: (w) => warnings.push(w) });
    assert.equal(res.dir, online.dir);
    assert.equal(res.source, "cache");
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /cached snapshot .* may be out of date/);
  });

  test("without a cached snapshot: NETWORK naming the repo and suggesting offline mode", async () => {
    const cache = await tempDir();
    await rejectsWith(resolveModel(REPO, { ...opts(cache), endpoint: await deadEndpoint() }), "NETWORK", [REPO, "HF_HUB_OFFLINE=1"]);
  });
});

describe("modelFile", () => {
  test("local directories: path returned when present, NOT_FOUND with the fix when missing", async () => {
    const dir = await tempDir();
    await mkdir(join(dir, "1_Pooling"));
    await writeFile(join(dir, "1_Pooling", "config.json"), "{}");
    const res = await resolveModel(dir, { env: {} });
    assert.deepEqual(res, { dir, source: "local", downloaded: [] });
    assert.equal(modelFile(res, "1_Pooling/config.json"), join(dir, "1_Pooling", "config.json"));
    assert.equal(modelFile(res, "vocab.txt", { required: false }), undefined);
    await rejectsWith((async () => modelFile(res, "tokenizer.json"))(), "NOT_FOUND", ["tokenizer.json", dir, `Copy it into ${dir}`]);
  });

  test("a repo file left out by the allow patterns → NOT_FOUND saying how to fetch it", async () => {
    const cache = await tempDir();
    const res = await resolveModel(REPO, { ...opts(cache), allowPatterns: ["config.json"] });
    await rejectsWith((async () => modelFile(res, "tokenizer.json"))(), "NOT_FOUND", [
      "tokenizer.json is in acme/tiny-bert",
      "allow patterns",
      `huggingface-cli download ${REPO} tokenizer.json`,
    ]);
  });

  test("a file the repo does not have at all → NOT_FOUND saying so", async () => {
    const cache = await tempDir();
    const res = await resolveModel(REPO, opts(cache));
    await rejectsWith((async () => modelFile(res, "merges.txt"))(), "NOT_FOUND", [`${REPO} (revision main) has no merges.txt`]);
  });
});

/**
 * The web UI in a real browser: Debian's Chromium driven by playwright-core (no browser download;
 * `.ci/run` installs the `chromium` package). A server over the tiny models and the demo catalog
 * listens on loopback; the test searches, checks the reranked rows against the API's answer,
 * classifies pairs, opens an evaluation report written by `esci evaluate`'s writeReport, and saves
 * screenshots to test-artifacts/ (web-search.png, web-classify.png, web-reports.png).
 *
 * Without /usr/bin/chromium the test skips with a message — unless CI is set, where a missing
 * browser is a failure.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { evaluateScorer } from "../../src/esci/evaluate.js";
import { writeReport } from "../../src/esci/report/html.js";
import { CrossEncoder } from "../../src/models/cross-encoder.js";
import type { CatalogStore } from "../../src/search/store.js";
import { isolateEsciCache, REPO_ROOT, tempDir } from "../helpers/paths.js";
import { demoStore, ESCI_MODEL, testServer } from "../server/helpers.js";

const CHROMIUM = process.env.ESCI_CHROMIUM ?? "/usr/bin/chromium";
const ARTIFACTS = join(REPO_ROOT, "test-artifacts");
const haveBrowser = existsSync(CHROMIUM);
const skip = !haveBrowser && !process.env.CI ? `no browser at ${CHROMIUM} (apt-get install chromium, as .ci/run does); skipped outside CI` : false;

/** An evaluation report as `esci evaluate --report DIR` writes it. */
async function writeDemoReport(dir: string): Promise<void> {
  const data = join(dir, "pairs.jsonl");
  const rows = [
    ["car stereo", "Pioneer double din car stereo with Bluetooth", "E"],
    ["car stereo", "Car stereo wiring harness adapter", "C"],
    ["car stereo", "Portable Bluetooth speaker", "S"],
    ["car stereo", "Garden hose 50 ft", "I"],
    ["wireless mouse", "Logitech wireless mouse", "E"],
    ["wireless mouse", "Mouse pad", "C"],
  ];
  writeFileSync(data, rows.map(([query, product, label]) => JSON.stringify({ query, product, label })).join("\n") + "\n");
  const ce = await CrossEncoder.load(ESCI_MODEL);
  try {
    const metrics = await evaluateScorer(ce, { data, inputs: { model: ESCI_MODEL, data: "pairs.jsonl" } });
    await writeReport(join(dir, "reports", "tiny-roberta"), metrics);
  } finally {
    await ce.dispose();
  }
}

describe("web UI in Chromium", { skip }, () => {
  let server: Awaited<ReturnType<typeof testServer>>;
  let store: CatalogStore;
  let browser: Browser;
  let page: Page;
  let url: string;

  before(async () => {
    assert.ok(haveBrowser, `CI is set but there is no browser at ${CHROMIUM}: .ci/run must apt-get install chromium`);
    isolateEsciCache();
    mkdirSync(ARTIFACTS, { recursive: true });
    const dir = tempDir("esci-web-");
    await writeDemoReport(dir);
    store = await demoStore();
    server = await testServer({ store, embed: true, settings: { reportsDir: join(dir, "reports") } });
    url = await server.app.listen({ host: "127.0.0.1", port: 0 });
    const { chromium } = await import("playwright-core");
    // --no-sandbox: CI runs as root in a container, where Chromium's sandbox cannot start.
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("pageerror", (e) => assert.fail(`page error: ${e.message}`));
    // Waits are for events, not speed: a busy machine must not turn Playwright's 30 s default into a failure.
    page.setDefaultTimeout(600_000);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await store?.close();
  });

  it("loads the page and shows what the server has", async () => {
    await page.goto(url);
    await page.getByTestId("status").filter({ hasText: "58 products" }).waitFor();
    assert.match(await page.title(), /esci/);
  });

  it("searches the demo catalog and shows reranked results with ESCI badges, probabilities and stage-1 ranks", async () => {
    const query = "car stereo bluetooth";
    await page.fill("#search-query", query);
    await page.click("#search-form button[type=submit]");
    const rows = page.getByTestId("hit");
    await rows.first().waitFor();
    assert.equal(await rows.count(), 10);

    const api = (await (await fetch(`${url}/v1/search`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, k: 10, rerank: true }) })).json()) as {
      hits: { id: string; label: string; esci: string; stage1_rank: number }[];
    };
    const shown = await rows.evaluateAll((trs) => trs.map((tr) => ({ id: tr.getAttribute("data-id"), badge: tr.querySelector("[data-testid=badge]")?.textContent, stage1: tr.querySelector("[data-testid=stage1-rank]")?.textContent })));
    assert.deepEqual(
      shown,
      // The badge shows the ESCI letter; `label` is the checkpoint's name for it.
      api.hits.map((h) => ({ id: h.id, badge: h.esci, stage1: String(h.stage1_rank) })),
    );
    assert.equal(await page.locator(".probs").count(), 10, "a probability bar per hit");
    assert.match((await page.locator("#search-hint").textContent()) ?? "", /10 results in \d+ ms, reranked/);
    await page.screenshot({ path: join(ARTIFACTS, "web-search.png"), fullPage: true });
  });

  it("classifies pairs", async () => {
    await page.click("nav button[data-tab=classify]");
    await page.fill("#classify-query", "car stereo");
    await page.fill("#classify-products", "Pioneer car stereo\nUSB cable\n\nDash cam");
    await page.click("#classify-form button[type=submit]");
    await page.getByTestId("classified").first().waitFor();
    assert.equal(await page.getByTestId("classified").count(), 3);
    assert.equal(await page.locator("[data-testid=classified] [data-testid=badge]").count(), 3);
    await page.screenshot({ path: join(ARTIFACTS, "web-classify.png") });
  });

  it("follows hash changes after load (/#classify, /#reports, back)", async () => {
    await page.goto(`${url}/#search`);
    await page.locator("#tab-search").waitFor({ state: "visible" });
    await page.evaluate(() => (location.hash = "#classify"));
    await page.locator("#tab-classify").waitFor({ state: "visible" });
    assert.equal(await page.locator("#tab-search").isHidden(), true);
    assert.equal(await page.locator("nav button[data-tab=classify]").getAttribute("aria-selected"), "true");
    await page.goto(`${url}/#reports`);
    await page.locator("#tab-reports").waitFor({ state: "visible" });
    assert.equal(await page.locator("#tab-classify").isHidden(), true);
  });

  it("lists evaluation reports and shows one", async () => {
    await page.click("nav button[data-tab=reports]");
    await page.getByTestId("report").first().waitFor();
    assert.match((await page.getByTestId("report").first().textContent()) ?? "", /tiny-roberta.*nDCG \d\.\d{4}/s);
    const frame = page.frameLocator("#report-frame");
    await frame.locator("h1", { hasText: "ESCI evaluation report" }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "web-reports.png") });
  });
});

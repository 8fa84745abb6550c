/**
 * `esci index`: build or update a catalog store from a catalog file — products, full-text index
 * and bi-encoder vectors — with a progress bar; resumes an interrupted run; deletes; re-embeds
 * everything when the embedding model changes (--reindex). Flag parsing and printing only; the
 * work is search/indexer.ts.
 */
import { readFile } from "node:fs/promises";
import { basename, extname } from "node:path";
import { EsciError } from "../errors/index.js";
import { PRODUCTS_FILE } from "../esci/dataset.js";
import { assertHasRows, readTableBatches } from "../io/table.js";
import { IssueLog, describeIssue } from "../esci/issues.js";
import { catalogFile } from "../search/catalog.js";
import { DEFAULT_EMBED_MODEL, indexCatalog, type IndexResult } from "../search/indexer.js";
import { DEFAULT_EMBED_TEMPLATE } from "../search/product.js";
import { openStore, storeFile, type StoreInfo } from "../search/store.js";
import { checkOutputPath } from "../io/output-path.js";
import { bool, num, parseFlags, requireStr, str } from "./args.js";
import type { Command } from "./command.js";
import { ProgressBar } from "./progress.js";
import { loadBiEncoder, modelRef } from "./model-flags.js";
import { openQueuedEmbedder, QUEUE_FLAGS, QUEUE_FLAGS_HELP } from "./queue-flags.js";

const HELP = `Usage:
  esci index --catalog FILE --store STORE [--embed-model B] [--reindex]
  esci index --catalog FILE --store postgres://… --queue redis://HOST:PORT[/DB]   (workers embed)
  esci index --store STORE --delete ID[,ID…] | --delete-from FILE
  esci index --store STORE --status

Reads a catalog (JSONL, CSV, Parquet, or an ESCI dataset directory / products file) with an id,
a title and optionally brand, color, bullet points, description, locale and any other columns
(kept as free attributes), and writes products, a full-text index and one bi-encoder vector per
product into STORE. Products are upserted by id; unchanged products are not embedded again. A run
that was killed continues after its last committed batch when started again with the same file.

  --catalog FILE|DIR    the catalog to index
  --store STORE         sqlite:PATH (a file; the default kind) or postgres://user@host:port/db[?schema=NAME]
  --embed-model B       bi-encoder (hub id or local sentence-transformers directory); default: the
                        store's model, or ${DEFAULT_EMBED_MODEL} for a new store
  --reindex             switch the store to --embed-model / --template: drop every vector, re-embed all
  --template T          product text to embed (default "${DEFAULT_EMBED_TEMPLATE}")
  --locale L            keep one locale (default: us for ESCI products, all otherwise)
  --delete ID[,ID…]     delete products (repeatable)
  --delete-from FILE    delete the ids in FILE (one per line, or a JSONL/CSV/Parquet "id" column)
  --no-resume           read the catalog from its first row even after an interrupted run
  --on-error fail|skip  a row without id or title stops the run (default) or is skipped and counted
  --batch-size N        texts per bi-encoder call
  --status              print what the store holds and how far its last run got, then exit
  --json                print the result as JSON
  --max-chars N         cut each text field of a product to N characters (default 20000)
  --revision R, --threads N, --quiet
${QUEUE_FLAGS_HELP}`;

function isEsciProducts(path: string): boolean {
  return basename(path) === PRODUCTS_FILE;
}

async function readIds(path: string): Promise<string[]> {
  const ext = extname(path).toLowerCase();
  if (ext === ".txt" || ext === "") {
    return (await readFile(path, "utf8")).split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
  }
  const ids: string[] = [];
  for await (const rows of readTableBatches(path)) {
    for (const r of rows) {
      const v = r.values.id ?? r.values.product_id;
      if (v === undefined || v === null || v === "") throw new EsciError("INVALID_INPUT", `${path}, row ${r.row}: no "id" (or "product_id") value`, { file: path, row: r.row });
      ids.push(String(v));
    }
  }
  return ids;
}

export function renderInfo(info: StoreInfo): string {
  const lines = [`store      ${info.location} (${info.kind})`];
  lines.push(`products   ${info.products.toLocaleString("en-US")} (${info.embedded.toLocaleString("en-US")} embedded, ${info.pending.toLocaleString("en-US")} pending)`);
  lines.push(`embedding  ${info.embedding ? `${info.embedding.model} (dimension ${info.embedding.dimension}, text "${info.embedding.template}")` : "none"}`);
  const r = info.last_run;
  if (r) {
    const state = r.finished ? `finished ${r.finished}` : `INTERRUPTED after ${r.rows_done.toLocaleString("en-US")} of ${r.rows_total?.toLocaleString("en-US") ?? "?"} rows (last commit ${r.updated}); run esci index again to resume`;
    lines.push(`last run   ${r.source}: ${state}`);
  }
  return lines.join("\n") + "\n";
}

async function run(argv: string[]): Promise<number> {
  const p = parseFlags(argv, {
    catalog: { type: "string" },
    store: { type: "string" },
    "embed-model": { type: "string" },
    reindex: { type: "boolean" },
    template: { type: "string" },
    locale: { type: "string" },
    delete: { type: "string", multiple: true },
    "delete-from": { type: "string" },
    "no-resume": { type: "boolean" },
    "on-error": { type: "string" },
    "batch-size": { type: "string" },
    status: { type: "boolean" },
    json: { type: "boolean" },
    revision: { type: "string" },
    threads: { type: "string" },
    "max-chars": { type: "string" },
    quiet: { type: "boolean" },
    ...QUEUE_FLAGS,
  });
  const spec = requireStr(p, "store");
  const embedBatchSize = num(p, "batch-size", { integer: true, min: 1 });
  const quiet = bool(p, "quiet");
  const onError = str(p, "on-error") ?? "fail";
  if (onError !== "fail" && onError !== "skip") throw new EsciError("INVALID_ARGUMENT", `--on-error must be "fail" or "skip", got "${onError}"`);

  if (bool(p, "status")) {
    const store = await openStore(spec, { mustExist: true });
    try {
      const info = await store.info();
      process.stdout.write(bool(p, "json") ? JSON.stringify(info, null, 2) + "\n" : renderInfo(info));
    } finally {
      await store.close();
    }
    return 0;
  }

  const catalog = str(p, "catalog");
  const deleteIds = ((p.values.delete as string[] | undefined) ?? []).flatMap((s) => s.split(",")).map((s) => s.trim()).filter(Boolean);
  const deleteFrom = str(p, "delete-from");
  if (deleteFrom) deleteIds.push(...(await readIds(deleteFrom)));
  const file = storeFile(spec);
  if (file !== undefined) await checkOutputPath(file, { inputs: [catalog, deleteFrom], label: "--store" });
  // An empty catalog is an error before a new store is created for it.
  if (catalog !== undefined) await assertHasRows(await catalogFile(catalog));
  const locale = str(p, "locale") ?? (catalog && isEsciProducts(await catalogFile(catalog)) ? "us" : undefined);

  const store = await openStore(spec);
  const log = new IssueLog();
  const rowsBar = new ProgressBar({ label: "index", unit: "rows", quiet });
  let embedder: Awaited<ReturnType<typeof loadBiEncoder | typeof openQueuedEmbedder>> | undefined;
  let result: IndexResult;
  try {
    const before = await store.info();
    if (before.last_run && !before.last_run.finished && !quiet) {
      process.stderr.write(`esci: the last run (${before.last_run.source}) stopped after ${before.last_run.rows_done} of ${before.last_run.rows_total ?? "?"} rows; continuing\n`);
    }
    const stored = before.embedding;
    const wanted = str(p, "embed-model");
    // Load a bi-encoder only when there is something to embed or a model to switch to.
    const needModel = catalog !== undefined || before.pending > 0 || bool(p, "reindex");
    if (needModel) {
      const id = wanted ?? stored?.model ?? DEFAULT_EMBED_MODEL;
      if (stored && wanted && modelRef(wanted) !== stored.model && !bool(p, "reindex")) {
        throw new EsciError("CONFLICT", `store ${store.location}: its vectors were made by "${stored.model}", not "${modelRef(wanted)}"; pass --reindex to re-embed every product with the new model`, { store: store.location });
      }
      embedder = str(p, "queue") === undefined ? await loadBiEncoder(p, id) : await openQueuedEmbedder(p, id, { bar: rowsBar, quiet });
    }
    const embedBar = new ProgressBar({ label: "embed", unit: "products", quiet });
    const annBar = new ProgressBar({ label: "hnsw", unit: "vectors", quiet });
    let embedStarted = false;
    let annStarted = false;
    result = await indexCatalog(store, {
      catalog,
      embedder,
      template: str(p, "template"),
      reindex: bool(p, "reindex"),
      locale,
      resume: !bool(p, "no-resume"),
      deleteIds,
      embedBatchSize,
      maxChars: num(p, "max-chars", { integer: true, min: 1 }),
      batchRows: embedder && "batchRows" in embedder ? embedder.batchRows : undefined,
      onIssue: onError === "skip" ? log.add : undefined,
      onProgress: (e) => {
        if (e.phase === "catalog") rowsBar.update(e.done, e.total, { embedded: e.embedded });
        else if (e.phase === "ann") {
          rowsBar.finish();
          if (embedStarted) embedBar.finish();
          annStarted = true;
          annBar.update(e.done, e.total);
        } else {
          if (!embedStarted) rowsBar.finish();
          embedStarted = true;
          embedBar.update(e.done, e.total);
        }
      },
    });
    rowsBar.finish();
    if (embedStarted) embedBar.finish();
    if (annStarted) annBar.finish();
  } finally {
    await embedder?.dispose();
    await store.close();
  }
  if (bool(p, "json")) {
    process.stdout.write(JSON.stringify({ ...result, skipped: log.toJSON() }, null, 2) + "\n");
  } else {
    const r = result;
    process.stdout.write(
      `indexed ${r.rows.toLocaleString("en-US")} rows${r.resumed_from ? ` (resumed after row ${r.resumed_from.toLocaleString("en-US")})` : ""}: ` +
        `${r.written.toLocaleString("en-US")} products written, ${r.embedded.toLocaleString("en-US")} embedded, ${r.unchanged.toLocaleString("en-US")} unchanged, ${r.deleted} deleted, in ${r.seconds.toFixed(1)} s\n`,
    );
    process.stdout.write(renderInfo(r.info));
    if (log.count) {
      process.stdout.write(`skipped ${log.count} bad rows:\n`);
      for (const i of log.items.slice(0, 10)) process.stdout.write(`  ${describeIssue(i)}\n`);
    }
  }
  return 0;
}

export const indexCommand: Command = {
  name: "index",
  summary: "build or update a catalog store (products, full-text index, bi-encoder vectors)",
  help: HELP,
  run,
};

/**
 * The process the crash-safety test kills: indexes a catalog into a store with the fake embedder
 * and prints one line per committed batch.
 *   node index-child.js STORE CATALOG BATCH_ROWS
 *
 * Test-only kill point: with ESCI_TEST_KILL_AT_EMBED_CALL=k the process sends itself SIGKILL
 * inside the k-th embedder call, i.e. while batch k is being embedded, after batches 1…k-1 were
 * committed. A counted kill point, not a random delay, keeps the test independent of machine
 * speed and load.
 */
import type { EmbedOptions } from "../../src/models/types.js";
import { indexCatalog } from "../../src/search/indexer.js";
import { openStore } from "../../src/search/store.js";
import { HashEmbedder } from "./fakes.js";

const [spec, catalog, batchRows] = process.argv.slice(2);
const killAt = Number(process.env.ESCI_TEST_KILL_AT_EMBED_CALL ?? Infinity);

class KilledEmbedder extends HashEmbedder {
  override async embed(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]> {
    if (this.calls + 1 >= killAt) process.kill(process.pid, "SIGKILL");
    return super.embed(texts, options);
  }
}

const store = await openStore(spec);
await indexCatalog(store, {
  catalog,
  embedder: new KilledEmbedder("fake/hash-bow", 256),
  batchRows: Number(batchRows),
  onProgress: (p) => {
    if (p.phase === "catalog" && p.done > 0) process.stdout.write(`${p.done}\n`);
  },
});
await store.close();

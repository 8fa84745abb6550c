/**
 * The process the crash-safety test kills: indexes a catalog into a store with a slow fake
 * embedder and prints one line per committed batch.
 *   node index-child.js STORE CATALOG BATCH_ROWS DELAY_MS
 */
import { indexCatalog } from "../../src/search/indexer.js";
import { openStore } from "../../src/search/store.js";
import { HashEmbedder } from "./fakes.js";

const [spec, catalog, batchRows, delayMs] = process.argv.slice(2);
const store = await openStore(spec);
await indexCatalog(store, {
  catalog,
  embedder: new HashEmbedder("fake/hash-bow", 256, Number(delayMs)),
  batchRows: Number(batchRows),
  onProgress: (p) => {
    if (p.phase === "catalog" && p.done > 0) process.stdout.write(`${p.done}\n`);
  },
});
await store.close();

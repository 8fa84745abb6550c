/**
 * search/: catalog stores behind one interface (embedded SQLite by default, PostgreSQL + pgvector
 * to scale), the resumable indexer, the two-stage pipeline (BM25 + vector kNN fused by RRF, then
 * the ESCI cross-encoder's expected gain), substitutes, and the Task 1 evaluation over a store.
 */
export * from "./store.js";
export * from "./product.js";
export * from "./catalog.js";
export * from "./indexer.js";
export * from "./fusion.js";
export * from "./pipeline.js";
export * from "./substitutes.js";
export * from "./evaluate.js";
export * from "./cache.js";
// The pipeline's gains option, defined with the one expected-gain function in esci/gains.ts.
export { resolveGains, type EsciGains } from "../esci/gains.js";

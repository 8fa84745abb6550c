/**
 * Flags of the real-time search path shared by `esci search` and `esci serve`: the cascade's
 * second reranker (a larger cross-encoder over the first one's top hits) and the entry bounds of
 * the search caches (search/cache.ts).
 */
import { EsciError } from "../errors/index.js";
import type { CrossEncoder } from "../models/cross-encoder.js";
import type { LoadOptions } from "../models/loader.js";
import { DEFAULT_CACHE_SIZES, type SearchCacheSizes } from "../search/cache.js";
import { DEFAULT_SECOND_RERANK_TOP } from "../search/pipeline.js";
import { num, str, type Options, type Parsed } from "./args.js";
import { loadCrossEncoder } from "./model-flags.js";

export const CASCADE_FLAGS: Options = {
  "rerank-candidates": { type: "string" },
  "second-rerank-model": { type: "string" },
  "second-rerank-top": { type: "string" },
  "second-rerank-quantize": { type: "string" },
  "cache-embeddings": { type: "string" },
  "cache-stage1": { type: "string" },
  "cache-scores": { type: "string" },
};

export const CASCADE_FLAGS_HELP = `  --rerank-candidates K       rerank only stage 1's top K (default: every candidate)
  --second-rerank-model M     a second, larger ESCI cross-encoder over the first one's top hits
  --second-rerank-top N       how many of the first reranker's best it rescores (default ${DEFAULT_SECOND_RERANK_TOP})
  --second-rerank-quantize int8   int8 weights for the second reranker (default float32)
  --cache-embeddings N        query embeddings kept in memory (default ${DEFAULT_CACHE_SIZES.embeddings}; 0: off)
  --cache-stage1 N            stage-1 candidate lists kept (default ${DEFAULT_CACHE_SIZES.stage1}; 0: off)
  --cache-scores N            cross-encoder predictions kept (default ${DEFAULT_CACHE_SIZES.scores}; 0: off)`;

export function cacheSizes(p: Parsed): SearchCacheSizes {
  const n = (name: string) => num(p, name, { integer: true, min: 0, max: 100_000_000 });
  return { embeddings: n("cache-embeddings"), stage1: n("cache-stage1"), scores: n("cache-scores") };
}

export function rerankCandidates(p: Parsed): number | undefined {
  return num(p, "rerank-candidates", { integer: true, min: 1, max: 10_000 });
}

export function secondRerankTop(p: Parsed): number | undefined {
  const top = num(p, "second-rerank-top", { integer: true, min: 1, max: 10_000 });
  if (top !== undefined && str(p, "second-rerank-model") === undefined) throw new EsciError("INVALID_ARGUMENT", "--second-rerank-top needs --second-rerank-model M");
  return top;
}

/** The --second-rerank-model cross-encoder (float32 unless --second-rerank-quantize int8), or undefined. */
export async function loadSecondReranker(p: Parsed, extra: Pick<LoadOptions, "session" | "tokenizer" | "spinning"> = {}): Promise<CrossEncoder | undefined> {
  const id = str(p, "second-rerank-model");
  const q = str(p, "second-rerank-quantize");
  if (q !== undefined && q !== "int8") throw new EsciError("INVALID_ARGUMENT", `--second-rerank-quantize must be "int8", got "${q}"`);
  if (id === undefined) {
    if (q !== undefined) throw new EsciError("INVALID_ARGUMENT", "--second-rerank-quantize needs --second-rerank-model M");
    return undefined;
  }
  return loadCrossEncoder(p, id, "second reranker", { ...extra, quantize: q });
}

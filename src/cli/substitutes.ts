/**
 * `esci substitutes`: products that could replace a given one (search/substitutes.ts): neighbours
 * of the product in the store, kept where the cross-encoder labels them Substitute for the
 * product's title as the query. Needs no bi-encoder: the product's stored vector is the query.
 */
import { findSubstitutes } from "../search/substitutes.js";
import { DEFAULT_CANDIDATES, DEFAULT_K } from "../search/pipeline.js";
import { bool, num, parseFlags, requireStr, str } from "./args.js";
import type { Command } from "./command.js";
import { hitJson, openPipeline, renderHits, STORE_MODEL_FLAGS } from "./search.js";
import { DEFAULT_CROSS_ENCODER } from "./model-flags.js";

const HELP = `Usage:
  esci substitutes --store STORE --product ID [--rerank-model M] [--k 10] [--candidates 100] [--json]

Candidates near the product (its stored vector, fused with BM25 on its title) are labelled by the
ESCI cross-encoder with the product's title as the query; those labelled Substitute are listed,
most probable first (score = P(substitute)).

  --store STORE         sqlite:PATH or postgres://… (built by esci index)
  --product ID          the product to find substitutes for
  --rerank-model M      ESCI cross-encoder, hub id or local directory (default: ${DEFAULT_CROSS_ENCODER})
  --k N                 substitutes to show at most (default ${DEFAULT_K})
  --candidates N        candidates to label (default ${DEFAULT_CANDIDATES})
  --template T          product text the reranker reads (default "{title}")
  --json                print a JSON array of {id, title, score, label, esci, probs, stage1_rank, stage1_score}
                        (label: the reranker's id2label name, esci: its E/S/C/I letter)
  --labels a,b,…, --quantize int8, --no-calibration, --revision R, --threads N, --batch-size N, --max-length N, --max-chars N, --quiet`;

async function run(argv: string[]): Promise<number> {
  const p = parseFlags(argv, {
    ...STORE_MODEL_FLAGS,
    product: { type: "string" },
    k: { type: "string" },
    candidates: { type: "string" },
    template: { type: "string" },
    json: { type: "boolean" },
  });
  const id = requireStr(p, "product");
  const options = {
    k: num(p, "k", { integer: true, min: 1, max: 10_000 }),
    candidates: num(p, "candidates", { integer: true, min: 1, max: 10_000 }),
    productTemplate: str(p, "template"),
    batchSize: num(p, "batch-size", { integer: true, min: 1 }),
    maxLength: num(p, "max-length", { integer: true, min: 3 }),
  };
  const { pipeline, dispose } = await openPipeline(p, { rerank: true, embed: false });
  try {
    const { product, hits } = await findSubstitutes(pipeline, id, options);
    if (bool(p, "json")) process.stdout.write(JSON.stringify(hits.map(hitJson), null, 2) + "\n");
    else process.stdout.write(`substitutes for ${product.id}: ${product.title}\n` + renderHits(hits));
  } finally {
    await dispose();
  }
  return 0;
}

export const substitutesCommand: Command = {
  name: "substitutes",
  summary: "find substitutes for a product in a catalog store",
  help: HELP,
  run,
};

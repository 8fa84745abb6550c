/**
 * The HTTP API's request and response bodies: TypeScript types and the JSON Schemas that Fastify
 * validates requests against and that /docs publishes. These types live only here, in server/;
 * below the server everything speaks PairScorer, TextEmbedder and SearchPipeline.
 *
 * Two routes copy other servers' shapes so that existing clients work unchanged:
 *   POST /rerank     Hugging Face text-embeddings-inference (`{query, texts, raw_scores,
 *                    return_text, truncate}` → `[{index, score, text?}]`)
 *   POST /v1/rerank  Cohere / Jina (`{query, documents, top_n, return_documents}` →
 *                    `{results: [{index, relevance_score, document?}]}`)
 * Unknown fields are accepted and ignored (clients send `model`, `truncation_direction`…), as
 * those servers do. Size limits are not in the schemas: they answer 413 with the limit's name
 * (limits.ts), where a schema failure would be a generic 422.
 */
import { ESCI_LABELS, type EsciLabel } from "../esci/labels.js";

export type JsonSchema = Record<string, unknown>;

const str = (description: string): JsonSchema => ({ type: "string", description });
const bool = (description: string): JsonSchema => ({ type: "boolean", description });
const int = (description: string, minimum: number, maximum: number): JsonSchema => ({ type: "integer", minimum, maximum, description });
const obj = (required: string[], properties: Record<string, JsonSchema>, description?: string): JsonSchema => ({
  type: "object",
  ...(description ? { description } : {}),
  required,
  properties,
});
const arrayOf = (items: JsonSchema, description: string): JsonSchema => ({ type: "array", items, description });

const probsSchema: JsonSchema = {
  type: "object",
  description: "Probability per label (softmax over the logits; the sigmoid for a one-logit model).",
  additionalProperties: { type: "number" },
};

/** Outputs name labels the checkpoint's way (`label`) and add the ESCI letter where there is one. */
const esciSchema: JsonSchema = {
  type: "string",
  enum: [...ESCI_LABELS],
  description: "The ESCI class of `label` as a letter (E, S, C, I); absent when the label is not an ESCI class.",
};

// ---------------------------------------------------------------- errors

/** Every error answer (text-embeddings-inference's shape, plus details). */
export interface ErrorBody {
  error: string;
  /** The esci error code (ERROR_TABLE): INVALID_INPUT, TOO_LARGE, OVERLOADED… */
  error_type: string;
  details?: Record<string, unknown>;
}

export const errorSchema = obj(["error", "error_type"], {
  error: str("What went wrong, naming the field or limit at fault."),
  error_type: str("esci's error code: INVALID_INPUT, MALFORMED, TOO_LARGE, OVERLOADED, NOT_FOUND, UNAVAILABLE, UNAUTHORIZED…"),
  details: { type: "object", description: "Structured details (the limit, the index at fault, retry_after_s…)." },
});

/** The request field that turns a model's stored calibration off (esci_calibration.json; CLI: --no-calibration). */
const CALIBRATION = bool("false: raw softmax probabilities even when the model has a stored calibration (esci_calibration.json); default true.");

// ---------------------------------------------------------------- /v1/classify

export interface ClassifyRequest {
  pairs?: ({ query: string; product: string } | [string, string])[];
  query?: string;
  products?: string[];
  truncate?: boolean;
  calibration?: boolean;
}

export interface ClassifyResult {
  index: number;
  /** The checkpoint's id2label name of the arg-max. */
  label: string;
  /** Its ESCI letter, when the label is an ESCI class. */
  esci?: EsciLabel;
  probs: Record<string, number>;
  logits: number[];
  /** Expected ESCI gain (ESCI models) or sigmoid (one-logit models); absent for other models. */
  score?: number;
}

export interface ClassifyResponse {
  model: string;
  labels: string[];
  /** Whether probs and label come from the model's stored calibration. */
  calibrated: boolean;
  results: ClassifyResult[];
}

export const classifyRequestSchema: JsonSchema = {
  ...obj([], {
    pairs: arrayOf(
      {
        oneOf: [
          obj(["query", "product"], { query: str("The search query."), product: str("The product text (e.g. its title).") }),
          { type: "array", items: { type: "string" }, minItems: 2, maxItems: 2, description: "[query, product]" },
        ],
      },
      "Query–product pairs, as objects or [query, product] arrays.",
    ),
    query: str("One query for all `products` (instead of `pairs`)."),
    products: arrayOf({ type: "string" }, "Product texts scored against `query`."),
    truncate: bool("Cut pairs longer than the model's limit (default true); false answers 413 for such a pair."),
    calibration: CALIBRATION,
  }),
  description: "Either `pairs`, or `query` with `products`.",
};

export const classifyResponseSchema = obj(["model", "labels", "calibrated", "results"], {
  model: str("The cross-encoder."),
  labels: arrayOf({ type: "string" }, "The model's labels in id order."),
  calibrated: bool("Whether probs, label and score come from the model's stored calibration, softmax((logits + bias) / T); logits are always the model's."),
  results: arrayOf(
    obj(["index", "label", "probs", "logits"], {
      index: int("Position of the pair in the request.", 0, Number.MAX_SAFE_INTEGER),
      label: str("The most probable label: the checkpoint's id2label name."),
      esci: esciSchema,
      probs: probsSchema,
      logits: arrayOf({ type: "number" }, "Raw logits in label-id order."),
      score: { type: "number", description: "Expected ESCI gain Σ P(label)·gain (E 1, S 0.1, C 0.01, I 0), or the sigmoid of a one-logit model." },
    }),
    "One result per pair, in request order.",
  ),
});

// ---------------------------------------------------------------- /rerank (text-embeddings-inference)

export interface TeiRerankRequest {
  query: string;
  texts: string[];
  raw_scores?: boolean;
  return_text?: boolean;
  truncate?: boolean;
  truncation_direction?: "Right" | "Left";
  calibration?: boolean;
}

export interface TeiRank {
  index: number;
  score: number;
  text?: string;
}

export const teiRerankRequestSchema = obj(["query", "texts"], {
  query: str("The search query."),
  texts: arrayOf({ type: "string" }, "Texts to rank against the query."),
  raw_scores: bool("Return the raw score (logit of a one-logit model; log-odds of Exact for an ESCI model) instead of the default score (default false)."),
  return_text: bool("Echo each text in its result (default false)."),
  truncate: bool("Cut pairs longer than the model's limit (default false: such a pair answers 413, as text-embeddings-inference does)."),
  truncation_direction: { type: "string", enum: ["Right", "Left"], description: "Only Right is supported (the model truncates longest-first from the right, as Hugging Face's tokenizers do)." },
  calibration: CALIBRATION,
});

export const teiRerankResponseSchema = arrayOf(
  obj(["index", "score"], {
    index: int("Position of the text in the request.", 0, Number.MAX_SAFE_INTEGER),
    score: { type: "number", description: "Expected ESCI gain (ESCI model) or sigmoid of the logit (one-logit model); raw score with raw_scores." },
    text: str("The text, with return_text."),
  }),
  "Sorted by score, best first (ties keep request order).",
);

// ---------------------------------------------------------------- /v1/rerank (Cohere / Jina)

export interface CohereRerankRequest {
  model?: string;
  query: string;
  documents: (string | { text: string })[];
  top_n?: number;
  return_documents?: boolean;
  calibration?: boolean;
}

export interface CohereRerankResult {
  index: number;
  relevance_score: number;
  document?: { text: string };
}

export interface CohereRerankResponse {
  model: string;
  results: CohereRerankResult[];
}

export const cohereRerankRequestSchema = obj(["query", "documents"], {
  model: str("Ignored (the server has one cross-encoder); accepted so that Cohere and Jina clients work unchanged."),
  query: str("The search query."),
  documents: arrayOf({ oneOf: [{ type: "string" }, obj(["text"], { text: str("The document text.") })] }, "Documents as strings or {text} objects."),
  top_n: int("Return only the best top_n results (default: all).", 1, Number.MAX_SAFE_INTEGER),
  return_documents: bool("Include each document as {text} in its result (default false)."),
  calibration: CALIBRATION,
});

export const cohereRerankResponseSchema = obj(["model", "results"], {
  model: str("The cross-encoder."),
  results: arrayOf(
    obj(["index", "relevance_score"], {
      index: int("Position of the document in the request.", 0, Number.MAX_SAFE_INTEGER),
      relevance_score: { type: "number", description: "Expected ESCI gain (ESCI model) or sigmoid of the logit (one-logit model), in [0, 1]." },
      document: obj(["text"], { text: str("The document text.") }),
    }),
    "Best first.",
  ),
});

// ---------------------------------------------------------------- /v1/search, /v1/substitutes

export interface SearchRequest {
  query: string;
  k?: number;
  candidates?: number;
  rerank_candidates?: number;
  second_rerank_top?: number;
  rerank?: boolean;
  only?: EsciLabel;
  calibration?: boolean;
}

export interface SubstitutesRequest {
  product_id: string;
  k?: number;
  candidates?: number;
  calibration?: boolean;
}

export interface SearchHitBody {
  /** 1-based rank in this answer (after reranking). */
  rank: number;
  id: string;
  title: string;
  score: number;
  label?: string;
  esci?: EsciLabel;
  probs?: Record<string, number>;
  calibrated?: boolean;
  stage1_rank: number;
  stage1_score: number;
  bm25_rank?: number;
  vector_rank?: number;
  product: Record<string, unknown>;
}

export interface SearchResponse {
  query: string;
  reranked: boolean;
  hits: SearchHitBody[];
}

export interface SubstitutesResponse {
  product: Record<string, unknown>;
  hits: SearchHitBody[];
}

export const MAX_K = 100;
export const MAX_CANDIDATES = 1000;

export const searchRequestSchema = obj(["query"], {
  query: str("The search query."),
  k: int("Hits returned (default 10).", 1, MAX_K),
  candidates: int("Stage-1 candidates (BM25 and vector lists, fused by reciprocal rank) that the cross-encoder reranks (default 100).", 1, MAX_CANDIDATES),
  rerank_candidates: int("Rerank only stage 1's top K (default: every candidate); the answer holds at most K hits.", 1, MAX_CANDIDATES),
  second_rerank_top: int("With a server started with --second-rerank-model: how many of the first reranker's best the second rescores (default: the server's --second-rerank-top, 10; 0: skip it).", 0, MAX_CANDIDATES),
  rerank: bool("Rerank stage 1 with the cross-encoder (default: when the model is an ESCI classifier)."),
  only: { type: "string", enum: [...ESCI_LABELS], description: "Keep only hits with this predicted ESCI label." },
  calibration: CALIBRATION,
});

export const substitutesRequestSchema = obj(["product_id"], {
  product_id: str("The product to find substitutes for (its id in the store)."),
  k: int("Substitutes returned at most (default 10).", 1, MAX_K),
  candidates: int("Stage-1 candidates labelled by the cross-encoder (default 100).", 1, MAX_CANDIDATES),
  calibration: CALIBRATION,
});

const hitSchema = obj(["rank", "id", "title", "score", "stage1_rank", "stage1_score", "product"], {
  rank: int("1-based rank in this answer.", 1, MAX_CANDIDATES),
  id: str("Product id."),
  title: str("Product title."),
  score: { type: "number", description: "Expected ESCI gain after reranking (P(substitute) for substitutes); the stage-1 fusion score without reranking." },
  label: str("The cross-encoder's most probable label: its id2label name."),
  esci: esciSchema,
  probs: probsSchema,
  calibrated: bool("Present (true) when probs, label and score come from the cross-encoder's stored calibration."),
  stage1_rank: int("1-based rank after stage 1 (before reranking).", 1, MAX_CANDIDATES),
  stage1_score: { type: "number", description: "Reciprocal-rank-fusion score of stage 1." },
  bm25_rank: int("Rank in the BM25 list (absent when BM25 did not return it).", 1, MAX_CANDIDATES),
  vector_rank: int("Rank in the vector kNN list (absent when it did not return it).", 1, MAX_CANDIDATES),
  product: { type: "object", description: "The stored product (id, title, brand, color, bullet_points, description, locale, attributes)." },
});

export const searchResponseSchema = obj(["query", "reranked", "hits"], {
  query: str("The query."),
  reranked: bool("Whether the cross-encoder reranked the hits."),
  hits: arrayOf(hitSchema, "Best first."),
});

export const substitutesResponseSchema = obj(["product", "hits"], {
  product: { type: "object", description: "The product asked about." },
  hits: arrayOf(hitSchema, "Products labelled Substitute, most probable first."),
});

// ---------------------------------------------------------------- /v1/embed

export interface EmbedRequest {
  inputs: string | string[];
  truncate?: boolean;
}

export interface EmbedResponse {
  model: string;
  dimension: number;
  embeddings: number[][];
}

export const embedRequestSchema = obj(["inputs"], {
  inputs: { oneOf: [{ type: "string" }, { type: "array", items: { type: "string" } }], description: "A text or a list of texts." },
  truncate: bool("Cut texts longer than the model's max_seq_length (default true); false answers 413 for such a text."),
});

export const embedResponseSchema = obj(["model", "dimension", "embeddings"], {
  model: str("The bi-encoder."),
  dimension: int("Embedding width.", 1, Number.MAX_SAFE_INTEGER),
  embeddings: arrayOf(arrayOf({ type: "number" }, "One embedding."), "One embedding per input, in order."),
});

// ---------------------------------------------------------------- operations

export interface InfoResponse {
  version: string;
  ready: boolean;
  cross_encoder?: { id: string; labels: string[]; rerank_score: string; max_length: number };
  embedder?: { id: string; dimension: number; max_length: number };
  store?: { location: string; products: number; embedded: number; embedding_model?: string };
  reports: boolean;
  limits: { max_pairs: number; max_chars: number; max_queued: number };
  auth: boolean;
}

export const infoResponseSchema = obj(["version", "ready", "reports", "limits", "auth"], {
  version: str("esci's version."),
  ready: bool("Whether the models are loaded."),
  cross_encoder: { type: "object", description: "The cross-encoder: id, labels, rerank_score (expected-gain | sigmoid | none), max_length." },
  embedder: { type: "object", description: "The bi-encoder, when configured: id, dimension, max_length." },
  store: { type: "object", description: "The catalog store, when configured: location, products, embedded, embedding_model." },
  reports: bool("Whether an evaluation-report directory is configured."),
  limits: { type: "object", description: "max_pairs per request, max_chars per text, max_queued pairs." },
  auth: bool("Whether API routes need a bearer key."),
});

export interface ReportEntry {
  /** Directory of the report, relative to --reports ("" for the top). */
  path: string;
  /** URL of report.html on this server. */
  url: string;
  created?: string;
  modified: string;
  ndcg?: number;
  micro_f1?: number;
}

export const reportsResponseSchema = obj(["reports"], {
  reports: arrayOf(
    obj(["path", "url", "modified"], {
      path: str("Directory of the report under --reports."),
      url: str("Where this server serves its report.html."),
      created: str("When the evaluation ran (metrics.json `created`)."),
      modified: str("report.html's modification time."),
      ndcg: { type: "number", description: "Task 1 nDCG, when evaluated." },
      micro_f1: { type: "number", description: "Task 2 micro-F1, when evaluated." },
    }),
    "Newest first.",
  ),
});

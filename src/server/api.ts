/**
 * The HTTP API's request and response bodies, declared once as TypeBox schemas: Fastify validates
 * requests against them (Ajv), serializes answers with them (fast-json-stringify, which writes only
 * the fields a schema declares — so every field an answer carries is declared here), the handlers'
 * types are derived from them (`Static<>`, through the type provider), and /docs publishes them.
 * These types live only here, in server/; below the server everything speaks PairScorer,
 * TextEmbedder and SearchPipeline.
 *
 * Two routes copy other servers' shapes so that existing clients work unchanged:
 *   POST /rerank     Hugging Face text-embeddings-inference (`{query, texts, raw_scores,
 *                    return_text, truncate}` → `[{index, score, text?}]`)
 *   POST /v1/rerank  Cohere / Jina (`{query, documents, top_n, return_documents}` →
 *                    `{results: [{index, relevance_score, document?}]}`)
 * Unknown request fields are accepted and ignored (clients send `model`, `truncation_direction`…),
 * as those servers do. Size limits are not in the schemas: they answer 413 with the limit's name
 * (limits.ts), where a schema failure would be a generic 422.
 */
import { Type, type Static, type TSchema } from "typebox";
import { ERROR_TABLE, type ErrorCode } from "../errors/index.js";
import { ESCI_LABELS, type EsciLabel } from "../esci/labels.js";

const str = (description: string) => Type.String({ description });
const bool = (description: string) => Type.Boolean({ description });
const num = (description: string) => Type.Number({ description });
const int = (description: string, minimum: number, maximum: number) => Type.Integer({ minimum, maximum, description });
const opt = Type.Optional;

/** `{type: "string", enum}`: TypeBox's own enum leaves `type` out, which the serializer needs. */
function stringEnum<T extends string>(values: readonly T[], description: string) {
  return Type.Unsafe<T>({ type: "string", enum: [...values], description });
}

/**
 * JSON Schema's `oneOf` (TypeBox's Union writes `anyOf`). The alternatives here are disjoint
 * (a string or an array, an object or an array), so the two accept the same bodies; `oneOf`
 * keeps Ajv's failure message what clients have seen ("must match exactly one schema in oneOf").
 */
function oneOf<T extends TSchema[]>(alternatives: [...T], description?: string) {
  return Type.Unsafe<Static<T[number]>>({ oneOf: alternatives, ...(description ? { description } : {}) });
}

/** An object whose keys are data (label names, detail names), not fields. */
const numbersByName = (description: string) => Type.Record(Type.String(), Type.Number(), { description });

const probsSchema = numbersByName("Probability per label (softmax over the logits; the sigmoid for a one-logit model).");

/** Outputs name labels the checkpoint's way (`label`) and add the ESCI letter where there is one. */
const esciSchema = stringEnum(ESCI_LABELS, "The ESCI class of `label` as a letter (E, S, C, I); absent when the label is not an ESCI class.");

// ---------------------------------------------------------------- errors

/** Every error answer (text-embeddings-inference's shape, plus details). */
export const errorSchema = Type.Object({
  error: str("What went wrong, naming the field or limit at fault."),
  error_type: stringEnum(Object.keys(ERROR_TABLE) as ErrorCode[], "esci's error code (ERROR_TABLE): INVALID_INPUT, MALFORMED, TOO_LARGE, OVERLOADED, NOT_FOUND, UNAVAILABLE, UNAUTHORIZED…"),
  details: opt(Type.Record(Type.String(), Type.Unknown(), { description: "Structured details (the limit, the index at fault, retry_after_s…)." })),
});
export type ErrorBody = Static<typeof errorSchema>;

/** The request field that turns a model's stored calibration off (esci_calibration.json; CLI: --no-calibration). */
const calibration = () => opt(bool("false: raw softmax probabilities even when the model has a stored calibration (esci_calibration.json); default true."));

// ---------------------------------------------------------------- /v1/classify

export const classifyRequestSchema = Type.Object(
  {
    pairs: opt(
      Type.Array(
        oneOf([
          Type.Object({ query: str("The search query."), product: str("The product text (e.g. its title).") }),
          // A [query, product] pair; written out (not Type.Tuple) to keep Ajv draft-07's `items` + min/maxItems.
          Type.Unsafe<[string, string]>({ type: "array", items: { type: "string" }, minItems: 2, maxItems: 2, description: "[query, product]" }),
        ]),
        { description: "Query–product pairs, as objects or [query, product] arrays." },
      ),
    ),
    query: opt(str("One query for all `products` (instead of `pairs`).")),
    products: opt(Type.Array(Type.String(), { description: "Product texts scored against `query`." })),
    truncate: opt(bool("Cut pairs longer than the model's limit (default true); false answers 413 for such a pair.")),
    calibration: calibration(),
  },
  { description: "Either `pairs`, or `query` with `products`." },
);
export type ClassifyRequest = Static<typeof classifyRequestSchema>;

export const classifyResponseSchema = Type.Object({
  model: str("The cross-encoder."),
  labels: Type.Array(Type.String(), { description: "The model's labels in id order." }),
  calibrated: bool("Whether probs, label and score come from the model's stored calibration, softmax((logits + bias) / T); logits are always the model's."),
  results: Type.Array(
    Type.Object({
      index: int("Position of the pair in the request.", 0, Number.MAX_SAFE_INTEGER),
      label: str("The most probable label: the checkpoint's id2label name."),
      esci: opt(esciSchema),
      probs: probsSchema,
      logits: Type.Array(Type.Number(), { description: "Raw logits in label-id order." }),
      score: opt(num("Expected ESCI gain Σ P(label)·gain (E 1, S 0.1, C 0.01, I 0), or the sigmoid of a one-logit model; absent for other models.")),
    }),
    { description: "One result per pair, in request order." },
  ),
});
export type ClassifyResponse = Static<typeof classifyResponseSchema>;

// ---------------------------------------------------------------- /rerank (text-embeddings-inference)

export const teiRerankRequestSchema = Type.Object({
  query: str("The search query."),
  texts: Type.Array(Type.String(), { description: "Texts to rank against the query." }),
  raw_scores: opt(bool("Return the raw score (logit of a one-logit model; log-odds of Exact for an ESCI model) instead of the default score (default false).")),
  return_text: opt(bool("Echo each text in its result (default false).")),
  truncate: opt(bool("Cut pairs longer than the model's limit (default false: such a pair answers 413, as text-embeddings-inference does).")),
  truncation_direction: opt(stringEnum(["Right", "Left"], "Only Right is supported (the model truncates longest-first from the right, as Hugging Face's tokenizers do).")),
  calibration: calibration(),
});
export type TeiRerankRequest = Static<typeof teiRerankRequestSchema>;

export const teiRerankResponseSchema = Type.Array(
  Type.Object({
    index: int("Position of the text in the request.", 0, Number.MAX_SAFE_INTEGER),
    score: num("Expected ESCI gain (ESCI model) or sigmoid of the logit (one-logit model); raw score with raw_scores."),
    text: opt(str("The text, with return_text.")),
  }),
  { description: "Sorted by score, best first (ties keep request order)." },
);
export type TeiRank = Static<typeof teiRerankResponseSchema>[number];

// ---------------------------------------------------------------- /v1/rerank (Cohere / Jina)

export const cohereRerankRequestSchema = Type.Object({
  model: opt(str("Ignored (the server has one cross-encoder); accepted so that Cohere and Jina clients work unchanged.")),
  query: str("The search query."),
  documents: Type.Array(oneOf([Type.String(), Type.Object({ text: str("The document text.") })]), { description: "Documents as strings or {text} objects." }),
  top_n: opt(int("Return only the best top_n results (default: all).", 1, Number.MAX_SAFE_INTEGER)),
  return_documents: opt(bool("Include each document as {text} in its result (default false).")),
  calibration: calibration(),
});
export type CohereRerankRequest = Static<typeof cohereRerankRequestSchema>;

export const cohereRerankResponseSchema = Type.Object({
  model: str("The cross-encoder."),
  results: Type.Array(
    Type.Object({
      index: int("Position of the document in the request.", 0, Number.MAX_SAFE_INTEGER),
      relevance_score: num("Expected ESCI gain (ESCI model) or sigmoid of the logit (one-logit model), in [0, 1]."),
      document: opt(Type.Object({ text: str("The document text.") }, { description: "The document, with return_documents." })),
    }),
    { description: "Best first." },
  ),
});
export type CohereRerankResponse = Static<typeof cohereRerankResponseSchema>;

// ---------------------------------------------------------------- /v1/search, /v1/substitutes

export const MAX_K = 100;
export const MAX_CANDIDATES = 1000;

export const searchRequestSchema = Type.Object({
  query: str("The search query."),
  k: opt(int("Hits returned (default 10).", 1, MAX_K)),
  candidates: opt(int("Stage-1 candidates (BM25 and vector lists, fused by reciprocal rank) that the cross-encoder reranks (default 100).", 1, MAX_CANDIDATES)),
  rerank_candidates: opt(int("Rerank only stage 1's top K (default: every candidate); the answer holds at most K hits.", 1, MAX_CANDIDATES)),
  second_rerank_top: opt(
    int("With a server started with --second-rerank-model: how many of the first reranker's best the second rescores (default: the server's --second-rerank-top, 10; 0: skip it).", 0, MAX_CANDIDATES),
  ),
  rerank: opt(bool("Rerank stage 1 with the cross-encoder (default: when the model is an ESCI classifier).")),
  only: opt(stringEnum(ESCI_LABELS, "Keep only hits with this predicted ESCI label.")),
  calibration: calibration(),
});
export type SearchRequest = Static<typeof searchRequestSchema>;

export const substitutesRequestSchema = Type.Object({
  product_id: str("The product to find substitutes for (its id in the store)."),
  k: opt(int("Substitutes returned at most (default 10).", 1, MAX_K)),
  candidates: opt(int("Stage-1 candidates labelled by the cross-encoder (default 100).", 1, MAX_CANDIDATES)),
  calibration: calibration(),
});
export type SubstitutesRequest = Static<typeof substitutesRequestSchema>;

/** A stored product (search/product.ts CatalogProduct); further fields, should a store add any, pass through. */
const productSchema = (description: string) =>
  Type.Object(
    {
      id: str("Product id."),
      title: str("Product title."),
      brand: opt(Type.String()),
      color: opt(Type.String()),
      bullet_points: opt(str("Bullet points, one per line.")),
      description: opt(Type.String()),
      locale: opt(Type.String()),
      attributes: opt(Type.Record(Type.String(), Type.String(), { description: "Every other column of the catalog, as strings." })),
    },
    { additionalProperties: true, description },
  );

const hitSchema = Type.Object({
  rank: int("1-based rank in this answer.", 1, MAX_CANDIDATES),
  id: str("Product id."),
  title: str("Product title."),
  score: num("Expected ESCI gain after reranking (P(substitute) for substitutes); the stage-1 fusion score without reranking."),
  label: opt(str("The cross-encoder's most probable label: its id2label name.")),
  esci: opt(esciSchema),
  probs: opt(probsSchema),
  calibrated: opt(bool("Present (true) when probs, label and score come from the cross-encoder's stored calibration.")),
  stage1_rank: int("1-based rank after stage 1 (before reranking).", 1, MAX_CANDIDATES),
  stage1_score: num("Reciprocal-rank-fusion score of stage 1."),
  bm25_rank: opt(int("Rank in the BM25 list (absent when BM25 did not return it).", 1, MAX_CANDIDATES)),
  vector_rank: opt(int("Rank in the vector kNN list (absent when it did not return it).", 1, MAX_CANDIDATES)),
  product: productSchema("The stored product (id, title, brand, color, bullet_points, description, locale, attributes)."),
});
export type SearchHitBody = Static<typeof hitSchema>;

export const searchResponseSchema = Type.Object({
  query: str("The query."),
  reranked: bool("Whether the cross-encoder reranked the hits."),
  hits: Type.Array(hitSchema, { description: "Best first." }),
});
export type SearchResponse = Static<typeof searchResponseSchema>;

export const substitutesResponseSchema = Type.Object({
  product: productSchema("The product asked about."),
  hits: Type.Array(hitSchema, { description: "Products labelled Substitute, most probable first." }),
});
export type SubstitutesResponse = Static<typeof substitutesResponseSchema>;

// ---------------------------------------------------------------- /v1/embed

export const embedRequestSchema = Type.Object({
  inputs: oneOf([Type.String(), Type.Array(Type.String())], "A text or a list of texts."),
  truncate: opt(bool("Cut texts longer than the model's max_seq_length (default true); false answers 413 for such a text.")),
});
export type EmbedRequest = Static<typeof embedRequestSchema>;

export const embedResponseSchema = Type.Object({
  model: str("The bi-encoder."),
  dimension: int("Embedding width.", 1, Number.MAX_SAFE_INTEGER),
  embeddings: Type.Array(Type.Array(Type.Number(), { description: "One embedding." }), { description: "One embedding per input, in order." }),
});
export type EmbedResponse = Static<typeof embedResponseSchema>;

// ---------------------------------------------------------------- operations

export const statusResponseSchema = Type.Object({ status: str('"ok" (/health) or "ready" (/ready).') });

export const infoResponseSchema = Type.Object({
  version: str("esci's version."),
  ready: bool("Whether the models are loaded."),
  cross_encoder: opt(
    Type.Object(
      {
        id: str("Model id or directory."),
        labels: Type.Array(Type.String(), { description: "Labels in id order." }),
        rerank_score: stringEnum(["expected-gain", "sigmoid", "none"], "How /rerank scores: expected ESCI gain, sigmoid of one logit, or not at all."),
        max_length: int("Tokens per pair.", 1, Number.MAX_SAFE_INTEGER),
      },
      { description: "The cross-encoder, once loaded." },
    ),
  ),
  embedder: opt(
    Type.Object(
      { id: str("Model id or directory."), dimension: int("Embedding width.", 1, Number.MAX_SAFE_INTEGER), max_length: int("Tokens per text.", 1, Number.MAX_SAFE_INTEGER) },
      { description: "The bi-encoder, when configured." },
    ),
  ),
  store: opt(
    Type.Object(
      {
        location: str("The store (without a password)."),
        products: int("Products stored.", 0, Number.MAX_SAFE_INTEGER),
        embedded: int("Products with a current vector.", 0, Number.MAX_SAFE_INTEGER),
        embedding_model: opt(str("The bi-encoder the vectors come from.")),
      },
      { description: "The catalog store, when configured." },
    ),
  ),
  reports: bool("Whether an evaluation-report directory is configured."),
  limits: Type.Object(
    {
      max_pairs: int("Pairs, texts or documents per request (--max-pairs).", 0, Number.MAX_SAFE_INTEGER),
      max_chars: int("Characters per text (--max-chars).", 0, Number.MAX_SAFE_INTEGER),
      max_queued: int("Pairs waiting per model (--max-queue; 0 while the models load).", 0, Number.MAX_SAFE_INTEGER),
    },
    { description: "The request limits." },
  ),
  auth: bool("Whether API routes need a bearer key."),
});
export type InfoResponse = Static<typeof infoResponseSchema>;

export const reportsResponseSchema = Type.Object({
  reports: Type.Array(
    Type.Object({
      path: str("Directory of the report under --reports (\"\" for the top)."),
      url: str("Where this server serves its report.html."),
      created: opt(str("When the evaluation ran (metrics.json `created`).")),
      modified: str("report.html's modification time."),
      ndcg: opt(num("Task 1 nDCG, when evaluated.")),
      micro_f1: opt(num("Task 2 micro-F1, when evaluated.")),
    }),
    { description: "Newest first." },
  ),
});
export type ReportEntry = Static<typeof reportsResponseSchema>["reports"][number];

/** `/reports/*`: the path below /reports/ (Fastify's wildcard parameter; `{path}` in OpenAPI). */
export const reportParamsSchema = Type.Object({ "*": str("DIR/report.html or DIR/metrics.json, DIR relative to --reports.") });

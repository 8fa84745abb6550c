/**
 * The model routes: classify pairs, rerank texts (text-embeddings-inference's and Cohere/Jina's
 * shapes), embed texts. Each checks its limits, then hands the whole request to the model's
 * predict or embed — the CLI's calls, whose batching engine packs it with other requests' rows in
 * the model's queue; ranking is predict + sort, as CrossEncoder.rank does, by the rerank score of
 * esci/gains.ts.
 */
import { EsciError, isEsciError } from "../../errors/index.js";
import { rerankScoring, type RerankScoring } from "../../esci/gains.js";
import { parseEsciLabel } from "../../esci/labels.js";
import type { CrossEncoder } from "../../models/cross-encoder.js";
import type { Pair } from "../../models/types.js";
import {
  classifyRequestSchema,
  classifyResponseSchema,
  cohereRerankRequestSchema,
  cohereRerankResponseSchema,
  embedRequestSchema,
  embedResponseSchema,
  teiRerankRequestSchema,
  teiRerankResponseSchema,
  type ClassifyRequest,
  type TeiRank,
} from "../api.js";
import { apiRoute, clientSignal, type ApiRoute, type RouteContext } from "../context.js";
import { checkCount, checkText, checkTexts, type RequestLimits } from "../limits.js";

/** The error of a cross-encoder that cannot rank, naming the flag that fixes it. */
export function cannotRank(scorer: CrossEncoder): EsciError {
  return new EsciError(
    "UNSUPPORTED",
    `model ${scorer.model.id} has labels ${scorer.labels.join(", ")}, which are neither ESCI labels nor one relevance logit, so it cannot rank; restart with --labels naming E, S, C, I in the model's id order`,
    { labels: [...scorer.labels] },
  );
}

/** The cross-encoder's rerank scoring (esci/gains.ts); cannotRank when it has none. */
function ranking(scorer: CrossEncoder): RerankScoring {
  const r = rerankScoring(scorer.labels);
  if (r.mode === "none") throw cannotRank(scorer);
  return r;
}

/**
 * `work`, with the engine's TOO_LARGE for input i (truncate false) worded for this request: the
 * field that holds the input and the request field that allows cutting it.
 */
async function naming<T>(work: Promise<T>, describe: (i: number) => string): Promise<T> {
  try {
    return await work;
  } catch (e) {
    const d = isEsciError(e) && e.code === "TOO_LARGE" ? e.details : undefined;
    if (typeof d?.index !== "number") throw e;
    throw new EsciError("TOO_LARGE", `${describe(d.index)} is ${String(d.tokens)} tokens, more than the model's limit of ${String(d.max_tokens)}; shorten it or send "truncate": true`, d, { cause: e });
  }
}

/** A classify body → pairs; exactly one of `pairs` or `query` + `products`. */
function classifyPairs(body: ClassifyRequest, limits: RequestLimits): Pair[] {
  if (body.pairs !== undefined && (body.query !== undefined || body.products !== undefined)) {
    throw new EsciError("INVALID_INPUT", "send either `pairs`, or `query` with `products`, not both");
  }
  if (body.pairs !== undefined) {
    checkCount(body.pairs.length, "pairs", limits);
    return body.pairs.map((p, i) => {
      const pair: Pair = Array.isArray(p) ? [p[0], p[1]] : [p.query, p.product];
      checkText(pair[0], `pairs[${i}].query`, limits);
      checkText(pair[1], `pairs[${i}].product`, limits);
      return pair;
    });
  }
  if (body.query === undefined || body.products === undefined) throw new EsciError("INVALID_INPUT", "send `pairs`, or `query` with `products`");
  checkText(body.query, "query", limits);
  checkTexts(body.products, "products", limits);
  return body.products.map((p) => [body.query!, p] as const);
}

interface RankOptions {
  signal: AbortSignal;
  truncate: boolean;
  calibration?: boolean;
  raw?: boolean;
  /** The request field the texts came from, for messages (`texts`, `documents`). */
  field: string;
}

/** Scores of `texts` against `query`, best first; ties keep request order. */
async function rank(scorer: CrossEncoder, query: string, texts: readonly string[], o: RankOptions): Promise<{ index: number; score: number }[]> {
  const r = ranking(scorer);
  const preds = await naming(
    scorer.predict(
      texts.map((t) => [query, t] as const),
      { signal: o.signal, truncate: o.truncate, calibration: o.calibration },
    ),
    (i) => `the pair (query, ${o.field}[${i}])`,
  );
  return preds.map((p, index) => ({ index, score: o.raw ? r.raw(p) : r.score(p) })).sort((a, b) => b.score - a.score || a.index - b.index);
}

export function modelRoutes(ctx: RouteContext): ApiRoute[] {
  const { limits } = ctx.settings;
  return [
    apiRoute({
      method: "POST",
      url: "/v1/classify",
      tag: "models",
      summary: "Classify query–product pairs",
      description:
        "ESCI label, probabilities and logits of each pair, in request order. Pairs from concurrent requests are scored together in the model's batching queue.",
      auth: true,
      body: classifyRequestSchema,
      response: classifyResponseSchema,
      errors: [413, 429, 503],
      example: { query: "wireless mouse", products: ["Logitech M185 Wireless Mouse", "USB-C charging cable"] },
      async handler(req, reply) {
        const { scorer } = ctx.state.require();
        const body = req.body;
        const pairs = classifyPairs(body, limits);
        const preds = await naming(scorer.predict(pairs, { signal: clientSignal(reply), truncate: body.truncate ?? true, calibration: body.calibration }), (i) => `pairs[${i}]`);
        const r = rerankScoring(scorer.labels);
        return {
          model: scorer.model.id,
          labels: [...scorer.labels],
          calibrated: body.calibration !== false && scorer.calibration !== undefined,
          results: preds.map((p, index) => {
            const esci = parseEsciLabel(p.label);
            return { index, label: p.label, ...(esci ? { esci } : {}), probs: p.probs, logits: p.logits, ...(r.mode !== "none" ? { score: r.score(p) } : {}) };
          }),
        };
      },
    }),
    apiRoute({
      method: "POST",
      url: "/rerank",
      tag: "models",
      summary: "Rerank texts (Hugging Face text-embeddings-inference shape)",
      description:
        "Scores each text against the query and returns them best first. Score: the expected ESCI gain Σ P(label)·gain (E 1, S 0.1, C 0.01, I 0) of an ESCI classifier, or the sigmoid of a one-logit reranker. raw_scores: the logit of a one-logit model; for an ESCI model the log-odds of Exact, z_E − log Σ_{j≠E} exp(z_j), whose sigmoid is P(Exact). As in text-embeddings-inference, truncate defaults to false: a pair over the model's token limit answers 413.",
      auth: true,
      body: teiRerankRequestSchema,
      response: teiRerankResponseSchema,
      errors: [413, 429, 503],
      example: { query: "wireless mouse", texts: ["Logitech M185 Wireless Mouse", "USB-C charging cable"], return_text: true },
      async handler(req, reply) {
        const { scorer } = ctx.state.require();
        const body = req.body;
        if (body.truncation_direction === "Left") throw new EsciError("UNSUPPORTED", 'truncation_direction "Left" is not supported: pairs are truncated longest-first from the right, as Hugging Face tokenizers do');
        checkText(body.query, "query", limits);
        checkTexts(body.texts, "texts", limits);
        const ranked = await rank(scorer, body.query, body.texts, { signal: clientSignal(reply), truncate: body.truncate ?? false, calibration: body.calibration, raw: body.raw_scores, field: "texts" });
        return ranked.map((r): TeiRank => (body.return_text ? { ...r, text: body.texts[r.index] } : r));
      },
    }),
    apiRoute({
      method: "POST",
      url: "/v1/rerank",
      tag: "models",
      summary: "Rerank documents (Cohere / Jina shape)",
      description:
        "Scores each document against the query and returns them best first, at most top_n. relevance_score: the expected ESCI gain of an ESCI classifier, or the sigmoid of a one-logit reranker (both in [0, 1]). Documents longer than the model's token limit are truncated, as Cohere does.",
      auth: true,
      body: cohereRerankRequestSchema,
      response: cohereRerankResponseSchema,
      errors: [413, 429, 503],
      example: { query: "wireless mouse", documents: ["Logitech M185 Wireless Mouse", { text: "USB-C charging cable" }], top_n: 1, return_documents: true },
      async handler(req, reply) {
        const { scorer } = ctx.state.require();
        const body = req.body;
        const texts = body.documents.map((d) => (typeof d === "string" ? d : d.text));
        checkText(body.query, "query", limits);
        checkTexts(texts, "documents", limits);
        const ranked = await rank(scorer, body.query, texts, { signal: clientSignal(reply), truncate: true, calibration: body.calibration, field: "documents" });
        return {
          model: scorer.model.id,
          results: ranked.slice(0, body.top_n ?? ranked.length).map((r) => ({
            index: r.index,
            relevance_score: r.score,
            ...(body.return_documents ? { document: { text: texts[r.index] } } : {}),
          })),
        };
      },
    }),
    apiRoute({
      method: "POST",
      url: "/v1/embed",
      tag: "models",
      summary: "Embed texts with the bi-encoder",
      description: "Sentence embeddings of the --embed-model bi-encoder (the store's, when a store is configured), one per input, batched across requests like the cross-encoder. 404 when the server has no bi-encoder.",
      auth: true,
      body: embedRequestSchema,
      response: embedResponseSchema,
      errors: [404, 413, 429, 503],
      example: { inputs: ["wireless mouse"] },
      async handler(req, reply) {
        const { embedder } = ctx.state.require();
        if (!embedder) throw new EsciError("NOT_FOUND", "this server has no embedding model: start it with --embed-model B (or a --store whose vectors name one)");
        const body = req.body;
        const texts = typeof body.inputs === "string" ? [body.inputs] : body.inputs;
        checkTexts(texts, "inputs", limits);
        const vectors = await naming(embedder.embed(texts, { signal: clientSignal(reply), truncate: body.truncate ?? true }), (i) => `inputs[${i}]`);
        return { model: embedder.modelId, dimension: embedder.dimension, embeddings: vectors.map((v) => Array.from(v)) };
      },
    }),
  ];
}

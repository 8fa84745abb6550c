/**
 * Search and substitutes over the configured catalog store: the same SearchPipeline and
 * findSubstitutes as `esci search` / `esci substitutes`, given the server's models (their calls
 * bound to the client's connection, so a client that leaves has its reranking dropped from the
 * models' batching queues).
 */
import { EsciError } from "../../errors/index.js";
import { rerankScoring } from "../../esci/gains.js";
import type { BiEncoder } from "../../models/bi-encoder.js";
import type { CrossEncoder } from "../../models/cross-encoder.js";
import type { PairScorer, TextEmbedder } from "../../models/types.js";
import { findSubstitutes } from "../../search/substitutes.js";
import { SearchPipeline, type SearchHit } from "../../search/pipeline.js";
import {
  searchRequestSchema,
  searchResponseSchema,
  substitutesRequestSchema,
  substitutesResponseSchema,
  type SearchHitBody,
} from "../api.js";
import { apiRoute, clientSignal, type ApiRoute, type RouteContext, type ServerModels } from "../context.js";
import { checkText } from "../limits.js";
import { cannotRank } from "./models.js";

/** The cross-encoder with every call bound to `signal` (the pipeline takes a plain PairScorer). */
function boundScorer(m: CrossEncoder, signal: AbortSignal): PairScorer {
  return { labels: m.labels, cacheKey: m.cacheKey, predict: (pairs, options) => m.predict(pairs, { ...options, signal }) };
}

function boundEmbedder(m: BiEncoder, signal: AbortSignal): TextEmbedder {
  return { dimension: m.dimension, modelId: m.modelId, embed: (texts, options) => m.embed(texts, { ...options, signal }) };
}

function pipelineFor(models: ServerModels, signal: AbortSignal, rerank: boolean | undefined): SearchPipeline {
  const { store, scorer, secondScorer, embedder, caches } = models;
  if (!store) throw new EsciError("NOT_FOUND", "this server has no catalog store: start it with --store STORE (an index made by `esci index`)");
  const isEsci = rerankScoring(scorer.labels).mode === "expected-gain";
  if (rerank === true && !isEsci) throw cannotRank(scorer);
  const first = isEsci ? boundScorer(scorer, signal) : undefined;
  return new SearchPipeline({
    store,
    embedder: embedder && boundEmbedder(embedder, signal),
    scorer: first,
    secondScorer: first && secondScorer && boundScorer(secondScorer, signal),
    caches,
  });
}

function hitBody(h: SearchHit, i: number): SearchHitBody {
  return {
    rank: i + 1,
    id: h.id,
    title: h.title,
    score: h.score,
    ...(h.label !== undefined ? { label: h.label, esci: h.esci, probs: h.probs } : {}),
    ...(h.calibrated ? { calibrated: true } : {}),
    stage1_rank: h.stage1_rank,
    stage1_score: h.stage1_score,
    ...(h.bm25_rank !== undefined ? { bm25_rank: h.bm25_rank } : {}),
    ...(h.vector_rank !== undefined ? { vector_rank: h.vector_rank } : {}),
    product: { ...h.product },
  };
}

export function searchRoutes(ctx: RouteContext): ApiRoute[] {
  const { limits } = ctx.settings;
  return [
    apiRoute({
      method: "POST",
      url: "/v1/search",
      tag: "search",
      summary: "Search the catalog",
      description:
        "Stage 1: BM25 and vector kNN (when the server has the store's bi-encoder), fused by reciprocal rank; stage 2: the cross-encoder reranks the candidates by expected ESCI gain. Each hit carries its stage-1 rank beside its final rank. 404 when the server has no store.",
      auth: true,
      body: searchRequestSchema,
      response: searchResponseSchema,
      errors: [404, 409, 413, 429, 503],
      example: { query: "wireless mouse", k: 5 },
      async handler(req, reply) {
        const body = req.body;
        checkText(body.query, "query", limits);
        const pipeline = pipelineFor(ctx.state.require(), clientSignal(reply), body.rerank);
        const hits = await pipeline.search(body.query, {
          k: body.k,
          candidates: body.candidates,
          rerankCandidates: body.rerank_candidates ?? ctx.settings.rerankCandidates,
          secondRerankTop: body.second_rerank_top ?? ctx.settings.secondRerankTop,
          rerank: body.rerank,
          only: body.only,
          calibration: body.calibration,
        });
        return { query: body.query, reranked: body.rerank ?? pipeline.scorer !== undefined, hits: hits.map(hitBody) };
      },
    }),
    apiRoute({
      method: "POST",
      url: "/v1/substitutes",
      tag: "search",
      summary: "Find substitutes of a product",
      description:
        "Candidates near the product (its stored vector and BM25 on its title, the product itself excluded), labelled by the cross-encoder with the product's title as the query; those labelled Substitute, most probable first. 404 when the server has no store or the product is unknown.",
      auth: true,
      body: substitutesRequestSchema,
      response: substitutesResponseSchema,
      errors: [404, 429, 503],
      example: { product_id: "B000000001", k: 5 },
      async handler(req, reply) {
        const body = req.body;
        checkText(body.product_id, "product_id", limits);
        const pipeline = pipelineFor(ctx.state.require(), clientSignal(reply), true);
        const r = await findSubstitutes(pipeline, body.product_id, { k: body.k, candidates: body.candidates, calibration: body.calibration });
        return { product: { ...r.product }, hits: r.hits.map(hitBody) };
      },
    }),
  ];
}

/**
 * Operations routes: liveness (/health: the process answers), readiness (/ready: the models are
 * loaded and the server is not draining for shutdown), Prometheus metrics, and /v1/info, which
 * tells the web UI what this server has (store, bi-encoder, reports). None needs an API key:
 * probes and scrapers carry none.
 */
import { EsciError } from "../../errors/index.js";
import { rerankScoring } from "../../esci/gains.js";
import { infoResponseSchema, statusResponseSchema, type InfoResponse } from "../api.js";
import { apiRoute, VERSION, type ApiRoute, type RouteContext } from "../context.js";
import { METRICS_CONTENT_TYPE } from "../metrics.js";

export function opsRoutes(ctx: RouteContext): ApiRoute[] {
  const { state, settings, metrics } = ctx;
  return [
    apiRoute({
      method: "GET",
      url: "/health",
      tag: "operations",
      summary: "Liveness",
      description: "200 while the process serves HTTP, models loaded or not.",
      auth: false,
      response: statusResponseSchema,
      async handler() {
        return { status: "ok" };
      },
    }),
    apiRoute({
      method: "GET",
      url: "/ready",
      tag: "operations",
      summary: "Readiness",
      description: "200 once the models are loaded; 503 while they load and once shutdown has begun.",
      auth: false,
      response: statusResponseSchema,
      errors: [503],
      async handler() {
        if (state.draining) throw new EsciError("UNAVAILABLE", "the server is shutting down");
        state.require();
        return { status: "ready" };
      },
    }),
    apiRoute({
      method: "GET",
      url: "/metrics",
      tag: "operations",
      summary: "Prometheus metrics",
      description:
        "Text exposition format: esci_http_requests_total{route,method,status}, esci_http_request_duration_seconds, and per model esci_queue_depth, esci_batch_size, esci_batch_duration_seconds, esci_queue_wait_seconds, esci_tokens_total, esci_padded_tokens_total, esci_padding_ratio, esci_queue_rejected_rows_total.",
      auth: false,
      response: { mediaType: METRICS_CONTENT_TYPE },
      async handler(_req, reply) {
        reply.type(METRICS_CONTENT_TYPE);
        return metrics.render();
      },
    }),
    apiRoute({
      method: "GET",
      url: "/v1/info",
      tag: "operations",
      summary: "What this server has",
      description: "Models, store, limits and whether API keys are needed (the web UI reads it).",
      auth: false,
      response: infoResponseSchema,
      async handler() {
        const m = state.models;
        const info: InfoResponse = {
          version: VERSION,
          ready: state.ready,
          reports: settings.reportsDir !== undefined,
          limits: { max_pairs: settings.limits.maxPairs, max_chars: settings.limits.maxChars, max_queued: m?.scorer.engine.batchQueue?.options.maxQueuedRows ?? 0 },
          auth: settings.apiKeys.length > 0,
        };
        if (m) {
          info.cross_encoder = { id: m.scorer.model.id, labels: [...m.scorer.labels], rerank_score: rerankScoring(m.scorer.labels).mode, max_length: m.scorer.maxLength };
          if (m.embedder) info.embedder = { id: m.embedder.modelId, dimension: m.embedder.dimension, max_length: m.embedder.maxLength };
          if (m.store) {
            const s = await m.store.info();
            info.store = { location: s.location, products: s.products, embedded: s.embedded, ...(s.embedding ? { embedding_model: s.embedding.model } : {}) };
          }
        }
        return info;
      },
    }),
  ];
}

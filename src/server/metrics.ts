/**
 * Prometheus metrics in the text exposition format (version 0.0.4): counters, gauges and
 * histograms with labels, and the set the server exports — requests by route and status, latency,
 * and per model the queue's depth, batch sizes, tokens and padding.
 *
 * Small enough to write rather than depend on prom-client: label values are escaped as the format
 * asks (backslash, quote, newline), histogram buckets are cumulative with `+Inf`, `_sum` and
 * `_count`, and route labels are route patterns (`/v1/rerank`), never raw URLs, so the number of
 * series stays bounded.
 */
import { hitRate, type SearchCaches } from "../search/cache.js";
import type { BatchStats, QueueObserver } from "../models/engine/queue.js";

type Labels = Readonly<Record<string, string>>;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labelText(labels: Labels, extra?: [string, string]): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function num(v: number): string {
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return Number.isNaN(v) ? "NaN" : String(v);
}

interface Metric {
  name: string;
  render(): string[];
}

abstract class Family<S> implements Metric {
  protected readonly series = new Map<string, { labels: Labels; state: S }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: "counter" | "gauge" | "histogram",
  ) {}

  protected get(labels: Labels, make: () => S): S {
    const key = JSON.stringify(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels: { ...labels }, state: make() };
      this.series.set(key, s);
    }
    return s.state;
  }

  render(): string[] {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`, ...this.samples()];
  }

  protected abstract samples(): string[];
}

export class Counter extends Family<{ v: number }> {
  constructor(name: string, help: string) {
    super(name, help, "counter");
  }
  inc(labels: Labels = {}, by = 1): void {
    this.get(labels, () => ({ v: 0 })).v += by;
  }
  value(labels: Labels = {}): number {
    return this.series.get(JSON.stringify(labels))?.state.v ?? 0;
  }
  protected samples(): string[] {
    return [...this.series.values()].map((s) => `${this.name}${labelText(s.labels)} ${num(s.state.v)}`);
  }
}

/** A gauge whose value is read when scraped (queue depth, memory), or set. */
export class Gauge extends Family<{ v: number | (() => number) }> {
  constructor(name: string, help: string) {
    super(name, help, "gauge");
  }
  set(labels: Labels, v: number | (() => number)): void {
    this.get(labels, () => ({ v: 0 })).v = v;
  }
  protected samples(): string[] {
    return [...this.series.values()].map((s) => `${this.name}${labelText(s.labels)} ${num(typeof s.state.v === "function" ? s.state.v() : s.state.v)}`);
  }
}

/** A counter kept elsewhere (e.g. a cache's hit count), read when scraped. */
export class ReadCounter extends Family<{ read: () => number }> {
  constructor(name: string, help: string) {
    super(name, help, "counter");
  }
  watch(labels: Labels, read: () => number): void {
    this.get(labels, () => ({ read })).read = read;
  }
  protected samples(): string[] {
    return [...this.series.values()].map((s) => `${this.name}${labelText(s.labels)} ${num(s.state.read())}`);
  }
}

export class Histogram extends Family<{ counts: number[]; sum: number; count: number }> {
  constructor(
    name: string,
    help: string,
    readonly buckets: readonly number[],
  ) {
    super(name, help, "histogram");
  }
  observe(labels: Labels, v: number): void {
    const s = this.get(labels, () => ({ counts: new Array<number>(this.buckets.length).fill(0), sum: 0, count: 0 }));
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]) s.counts[i]++;
    s.sum += v;
    s.count++;
  }
  protected samples(): string[] {
    const out: string[] = [];
    for (const { labels, state } of this.series.values()) {
      this.buckets.forEach((b, i) => out.push(`${this.name}_bucket${labelText(labels, ["le", num(b)])} ${state.counts[i]}`));
      out.push(`${this.name}_bucket${labelText(labels, ["le", "+Inf"])} ${state.count}`);
      out.push(`${this.name}_sum${labelText(labels)} ${num(state.sum)}`);
      out.push(`${this.name}_count${labelText(labels)} ${state.count}`);
    }
    return out;
  }
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const BATCH_ROW_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/** The server's metrics. */
export class ServerMetrics {
  readonly requests = new Counter("esci_http_requests_total", "HTTP requests answered, by route pattern, method and status code.");
  readonly latency = new Histogram("esci_http_request_duration_seconds", "Time from request received to response sent, by route pattern.", LATENCY_BUCKETS);
  readonly queueDepth = new Gauge("esci_queue_depth", "Pairs (or texts) waiting in a model's batching queue.");
  readonly batchRows = new Histogram("esci_batch_size", "Rows per model batch (pairs for a cross-encoder, texts for a bi-encoder).", BATCH_ROW_BUCKETS);
  readonly batchSeconds = new Histogram("esci_batch_duration_seconds", "Time of one model batch.", LATENCY_BUCKETS);
  readonly queueWait = new Histogram("esci_queue_wait_seconds", "How long the oldest row of a batch waited in the queue.", LATENCY_BUCKETS);
  readonly tokens = new Counter("esci_tokens_total", "Real (unpadded) tokens run through a model.");
  readonly paddedTokens = new Counter("esci_padded_tokens_total", "Tokens run through a model including padding (rows × longest row per batch).");
  readonly paddingRatio = new Gauge("esci_padding_ratio", "Share of computed tokens that were padding, since start: 1 − tokens / padded tokens.");
  readonly rejected = new Counter("esci_queue_rejected_rows_total", "Rows refused or dropped by a batching queue, by reason (overloaded, cancelled, closed).");
  readonly ready = new Gauge("esci_ready", "1 when the models are loaded and the server takes requests.");
  readonly rss = new Gauge("process_resident_memory_bytes", "Resident set size of the server process.");
  readonly heap = new Gauge("nodejs_heap_used_bytes", "V8 heap in use (JavaScript objects): a leak of request data shows here.");
  readonly external = new Gauge("nodejs_external_memory_bytes", "Memory of ArrayBuffers and native objects held by JavaScript (tensors, buffers).");
  readonly cacheHits = new ReadCounter("esci_cache_hits_total", "Search cache lookups that found their entry, by cache (embeddings, stage1, scores).");
  readonly cacheMisses = new ReadCounter("esci_cache_misses_total", "Search cache lookups that did not, by cache.");
  readonly cacheEvictions = new ReadCounter("esci_cache_evictions_total", "Entries dropped to keep a search cache within its capacity, by cache.");
  readonly cacheEntries = new Gauge("esci_cache_entries", "Entries held by a search cache.");
  readonly cacheCapacity = new Gauge("esci_cache_capacity", "Most entries a search cache holds (0: disabled).");
  readonly cacheHitRatio = new Gauge("esci_cache_hit_ratio", "Share of a search cache's lookups that hit, since start.");
  private readonly all: Metric[] = [
    this.requests,
    this.latency,
    this.queueDepth,
    this.batchRows,
    this.batchSeconds,
    this.queueWait,
    this.tokens,
    this.paddedTokens,
    this.paddingRatio,
    this.rejected,
    this.ready,
    this.rss,
    this.heap,
    this.external,
    this.cacheHits,
    this.cacheMisses,
    this.cacheEvictions,
    this.cacheEntries,
    this.cacheCapacity,
    this.cacheHitRatio,
  ];

  constructor() {
    this.rss.set({}, () => process.memoryUsage.rss());
    this.heap.set({}, () => process.memoryUsage().heapUsed);
    this.external.set({}, () => process.memoryUsage().external);
  }

  /** A queue observer that records one model's batches under `model`. */
  queueObserver(model: string): QueueObserver {
    const l = { model };
    this.paddingRatio.set(l, () => {
      const padded = this.paddedTokens.value(l);
      return padded ? 1 - this.tokens.value(l) / padded : 0;
    });
    return {
      onBatch: (s: BatchStats) => {
        this.batchRows.observe(l, s.rows);
        this.batchSeconds.observe(l, s.seconds);
        this.queueWait.observe(l, s.oldestWaitSeconds);
        this.tokens.inc(l, s.tokens);
        this.paddedTokens.inc(l, s.paddedTokens);
      },
      onRejected: (reason, rows) => this.rejected.inc({ model, reason }, rows),
    };
  }

  /** Export the search caches' counters (read at each scrape). */
  watchCaches(caches: SearchCaches): void {
    for (const name of ["embeddings", "stage1", "scores"] as const) {
      const l = { cache: name };
      const stats = () => caches.stats()[name];
      this.cacheHits.watch(l, () => stats().hits);
      this.cacheMisses.watch(l, () => stats().misses);
      this.cacheEvictions.watch(l, () => stats().evictions);
      this.cacheEntries.set(l, () => stats().size);
      this.cacheCapacity.set(l, () => stats().capacity);
      this.cacheHitRatio.set(l, () => hitRate(stats()));
    }
  }

  /** The exposition text (Content-Type: text/plain; version=0.0.4). */
  render(): string {
    return this.all.flatMap((m) => m.render()).join("\n") + "\n";
  }
}

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

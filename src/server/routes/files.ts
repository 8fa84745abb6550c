/**
 * Files the server hands out: the web UI (web/, no build step) at `/`, and the evaluation reports
 * that `esci evaluate --report DIR` writes (DIR/report.html + DIR/metrics.json), found anywhere
 * under --reports and listed newest first for the UI's report viewer.
 *
 * Only those two report file names are served, from paths resolved (symlinks included) inside the
 * reports directory; report pages get a Content-Security-Policy that allows no script, which they
 * do not need (esci/report/html.ts writes inline CSS and SVG only).
 */
import { readdirSync, readFileSync } from "node:fs";
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { extname, join, relative, sep } from "node:path";
import { EsciError } from "../../errors/index.js";
import { reportParamsSchema, reportsResponseSchema, type ReportEntry } from "../api.js";
import { apiRoute, PACKAGE_ROOT, type ApiRoute, type RouteContext } from "../context.js";

const REPORT_FILES = new Set(["report.html", "metrics.json"]);
/** How deep below --reports to look, and how many reports to list at most. */
const MAX_DEPTH = 4;
const MAX_REPORTS = 500;

const MEDIA_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json; charset=utf-8",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

const UI_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-src 'self'; frame-ancestors 'self'";
const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'";

async function findReports(root: string): Promise<ReportEntry[]> {
  const found: ReportEntry[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (found.length >= MAX_REPORTS) return;
      if (e.name.startsWith(".") || e.name === "node_modules") continue;
      const p = join(dir, e.name);
      if (e.isDirectory() && depth < MAX_DEPTH) await walk(p, depth + 1);
      else if (e.isFile() && e.name === "report.html") found.push(await describeReport(root, dir));
    }
  };
  await walk(root, 0);
  return found.sort((a, b) => (b.created ?? b.modified).localeCompare(a.created ?? a.modified));
}

async function describeReport(root: string, dir: string): Promise<ReportEntry> {
  const path = relative(root, dir).split(sep).join("/");
  const s = await stat(join(dir, "report.html"));
  const entry: ReportEntry = { path, url: `/reports/${path ? `${path.split("/").map(encodeURIComponent).join("/")}/` : ""}report.html`, modified: s.mtime.toISOString() };
  try {
    const m = JSON.parse(await readFile(join(dir, "metrics.json"), "utf8")) as { created?: string; task1?: { ndcg?: number }; task2?: { micro_f1?: number } };
    if (typeof m.created === "string") entry.created = m.created;
    if (typeof m.task1?.ndcg === "number") entry.ndcg = m.task1.ndcg;
    if (typeof m.task2?.micro_f1 === "number") entry.micro_f1 = m.task2.micro_f1;
  } catch {
    // A report without a readable metrics.json is still listed, by its file time.
  }
  return entry;
}

/** `rel` (the URL path under /reports/, as Fastify decoded it) → a report file inside `root`, or NOT_FOUND. */
async function reportFile(root: string, rel: string): Promise<string> {
  const parts = rel.split("/");
  const notFound = () => new EsciError("NOT_FOUND", `no report file at /reports/${rel} (reports are DIR/report.html and DIR/metrics.json under --reports)`);
  // Dot segments ("..", ".", hidden files) never name a report; resolving symlinks below catches the rest.
  if (!REPORT_FILES.has(parts[parts.length - 1]) || parts.some((p) => p.startsWith("."))) throw notFound();
  const realRoot = await realpath(root);
  const real = await realpath(join(root, ...parts)).catch(() => undefined);
  if (!real || !(real.startsWith(realRoot + sep) || real === realRoot)) throw notFound();
  return real;
}

export function reportRoutes(ctx: RouteContext): ApiRoute[] {
  const root = () => {
    const dir = ctx.settings.reportsDir;
    if (!dir) throw new EsciError("NOT_FOUND", "this server has no reports directory: start it with --reports DIR (where `esci evaluate --report` wrote)");
    return dir;
  };
  return [
    apiRoute({
      method: "GET",
      url: "/v1/reports",
      tag: "reports",
      summary: "List evaluation reports",
      description: "Every report.html under --reports (written by `esci evaluate --report DIR`), newest first, with Task 1 nDCG and Task 2 micro-F1 from its metrics.json.",
      auth: true,
      response: reportsResponseSchema,
      errors: [404],
      async handler() {
        return { reports: await findReports(root()) };
      },
    }),
    apiRoute({
      method: "GET",
      url: "/reports/*",
      tag: "reports",
      summary: "One report's report.html or metrics.json",
      description: "The files `esci evaluate --report DIR` wrote, at /reports/DIR/report.html and /reports/DIR/metrics.json (DIR relative to --reports).",
      auth: true,
      params: reportParamsSchema,
      response: { mediaType: "text/html" },
      errors: [404],
      async handler(req, reply) {
        const file = await reportFile(root(), req.params["*"]);
        reply.type(MEDIA_TYPES[extname(file)] ?? "application/octet-stream");
        reply.header("content-security-policy", REPORT_CSP);
        return readFile(file);
      },
    }),
  ];
}

/** The web UI: every file of `webDir` (read once, at start), index.html at `/`. */
export function webRoutes(webDir = join(PACKAGE_ROOT, "web")): ApiRoute[] {
  let names: string[];
  try {
    names = readdirSync(webDir, { withFileTypes: true })
      .filter((e) => e.isFile() && MEDIA_TYPES[extname(e.name)] !== undefined)
      .map((e) => e.name);
  } catch (e) {
    throw new EsciError("NOT_FOUND", `the web UI's directory ${webDir} cannot be read: ${(e as Error).message}`, { dir: webDir }, { cause: e });
  }
  return names.map((name): ApiRoute => {
    const body = readFileSync(join(webDir, name));
    const type = MEDIA_TYPES[extname(name)];
    return apiRoute({
      method: "GET",
      url: name === "index.html" ? "/" : `/${name}`,
      tag: "web",
      summary: name === "index.html" ? "The web UI: search playground, pair classifier, report viewer" : `web UI asset ${name}`,
      description: "Static file from web/.",
      auth: false,
      hidden: name !== "index.html",
      response: { mediaType: type },
      async handler(_req, reply) {
        reply.type(type);
        reply.header("content-security-policy", UI_CSP);
        reply.header("x-content-type-options", "nosniff");
        return body;
      },
    });
  });
}

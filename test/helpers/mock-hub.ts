/**
 * A loopback stand-in for the Hugging Face hub (no internet in tests), speaking the part of its
 * protocol that huggingface_hub and esci use:
 *
 * - `GET /api/models/{repo}/revision/{rev}` → `{ id, sha, siblings: [{ rfilename }] }`
 * - `HEAD|GET /{repo}/resolve/{rev}/{path}`: plain files answer 200 with `ETag: "<git blob sha1>"`,
 *   `X-Repo-Commit`, `Content-Length`; LFS files answer 302 to a second server (the "CDN", another
 *   origin) with `X-Linked-Etag: "<sha256>"`, `X-Linked-Size`, `X-Repo-Commit`.
 * - errors with the hub's `X-Error-Code` (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo)
 *   and 401 for private repos asked without the right `Authorization: Bearer`.
 * - `Range: bytes=N-` on file bodies (206), so resumed downloads can be checked.
 *
 * Every request is recorded (server, method, path, headers) so tests can count downloads, and
 * `failNext(path, …faults)` makes the next body transfers of a file break in a chosen way.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface MockFile {
  path: string;
  content: Buffer | string;
  /** Served like an LFS file: a redirect to the CDN carrying X-Linked-Etag = sha256. */
  lfs?: boolean;
}

export interface MockRepo {
  id: string;
  /** commit sha → files at that commit */
  commits: Record<string, MockFile[]>;
  /** branch/tag → commit sha */
  refs: Record<string, string>;
  /** A private repo: requests must carry `Authorization: Bearer <token>`. */
  token?: string;
  /** A gated repo: every request is refused with 403 GatedRepo. */
  gated?: boolean;
}

/**
 * How the next body transfer of a file breaks:
 * - reset: announce the full Content-Length, send half, destroy the socket
 * - short: chunked encoding, send half, end cleanly (a short body with no length to check against)
 * - corrupt: full length, but different bytes (sha256 mismatch for LFS files)
 * - error500: answer HTTP 500
 * - stall: send half, then nothing until the server closes
 */
export type Fault = "reset" | "short" | "corrupt" | "error500" | "stall";

export interface RecordedRequest {
  server: "hub" | "cdn";
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
}

export interface MockHub {
  endpoint: string;
  cdnOrigin: string;
  requests: RecordedRequest[];
  /** Queue faults for the next GETs of `path`'s bytes (any repo). */
  failNext(path: string, ...faults: Fault[]): void;
  /** Requests that transferred (or tried to transfer) a file body: GETs of plain files and CDN GETs. */
  bodyRequests(): RecordedRequest[];
  /** Requests to the listing API. */
  apiRequests(): RecordedRequest[];
  close(): Promise<void>;
}

export interface MockHubOptions {
  repos: MockRepo[];
  /** Where LFS redirects point: a second server (another origin, default) or a path on the hub itself. */
  lfsHost?: "cdn" | "same";
}

export function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** git's blob id, which the hub sends as the ETag of non-LFS files. */
export function gitBlobSha1(data: Buffer | string): string {
  const buf = Buffer.from(data);
  return createHash("sha1").update(`blob ${buf.length}\0`).update(buf).digest("hex");
}

export function etagOf(file: MockFile): string {
  return file.lfs ? sha256(file.content) : gitBlobSha1(file.content);
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

export async function startMockHub(options: MockHubOptions): Promise<MockHub> {
  const requests: RecordedRequest[] = [];
  const faults = new Map<string, Fault[]>();
  const lfsBySha = new Map<string, MockFile>();
  for (const repo of options.repos) {
    for (const files of Object.values(repo.commits)) for (const f of files) if (f.lfs) lfsBySha.set(sha256(f.content), f);
  }

  function sendBody(req: IncomingMessage, res: ServerResponse, file: MockFile, headers: Record<string, string>): void {
    const full = Buffer.from(file.content);
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const start = range ? Math.min(Number(range[1]), full.length) : 0;
    let body = full.subarray(start);
    const status = range ? 206 : 200;
    if (range) headers["Content-Range"] = `bytes ${start}-${full.length - 1}/${full.length}`;
    if (req.method === "HEAD") {
      res.writeHead(200, { ...headers, "Content-Length": String(full.length) }).end();
      return;
    }
    const fault = faults.get(file.path)?.shift();
    const half = body.subarray(0, Math.floor(body.length / 2));
    switch (fault) {
      case "error500":
        res.writeHead(500, { "Content-Type": "text/plain" }).end("internal error");
        return;
      case "reset":
        res.writeHead(status, { ...headers, "Content-Length": String(body.length) });
        res.write(half, () => setTimeout(() => res.socket?.destroy(), 5));
        return;
      case "short":
        res.writeHead(status, headers); // no Content-Length: chunked
        res.end(half);
        return;
      case "stall":
        res.writeHead(status, { ...headers, "Content-Length": String(body.length) });
        res.write(half);
        return;
      case "corrupt":
        body = Buffer.from(body.map((b) => b ^ 0xff));
        break;
    }
    res.writeHead(status, { ...headers, "Content-Length": String(body.length) }).end(body);
  }

  function error(res: ServerResponse, status: number, code?: string, message?: string): void {
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (code) headers["X-Error-Code"] = code;
    if (message) headers["X-Error-Message"] = message;
    res.writeHead(status, headers).end(JSON.stringify({ error: message ?? code ?? String(status) }));
  }

  /** Access check and revision lookup shared by both routes; answers the error itself. */
  function lookup(req: IncomingMessage, res: ServerResponse, repoId: string, rev: string) {
    const repo = options.repos.find((r) => r.id === repoId);
    if (!repo) return error(res, 404, "RepoNotFound", "Repository not found");
    if (repo.gated) return error(res, 403, "GatedRepo", `Access to model ${repoId} is restricted.`);
    if (repo.token && req.headers.authorization !== `Bearer ${repo.token}`) {
      return req.headers.authorization
        ? error(res, 401, undefined, "Invalid credentials in Authorization header")
        : error(res, 401, "RepoNotFound", "Invalid username or password.");
    }
    const sha = repo.refs[rev] ?? (repo.commits[rev] ? rev : undefined);
    if (!sha) return error(res, 404, "RevisionNotFound", "Invalid rev id");
    return { repo, sha, files: repo.commits[sha]! };
  }

  const hub = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    requests.push({ server: "hub", method: req.method ?? "", path: url.pathname, headers: req.headers });
    const p = url.pathname;
    if (p.startsWith("/api/models/") && p.includes("/revision/")) {
      const [repoId, rev] = p.slice("/api/models/".length).split("/revision/") as [string, string];
      const found = lookup(req, res, repoId, decodeURIComponent(rev));
      if (!found) return;
      const body = { id: repoId, sha: found.sha, siblings: found.files.map((f) => ({ rfilename: f.path })) };
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(body));
      return;
    }
    if (p.includes("/resolve/")) {
      const [repoId, rest] = p.slice(1).split("/resolve/") as [string, string];
      const [rev, ...pathParts] = rest.split("/");
      const found = lookup(req, res, repoId, decodeURIComponent(rev!));
      if (!found) return;
      const filePath = pathParts.map(decodeURIComponent).join("/");
      const file = found.files.find((f) => f.path === filePath);
      if (!file) return error(res, 404, "EntryNotFound", `${filePath} does not exist on "${rev}"`);
      if (file.lfs) {
        const sha = sha256(file.content);
        const target = options.lfsHost === "same" ? `/lfs-store/${sha}` : `${cdnOrigin}/lfs/${sha}`;
        res
          .writeHead(302, {
            Location: `${target}?X-Amz-Signature=test`,
            "X-Repo-Commit": found.sha,
            "X-Linked-Etag": `"${sha}"`,
            "X-Linked-Size": String(Buffer.from(file.content).length),
            ETag: `"${gitBlobSha1(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha}\n`)}"`,
          })
          .end();
        return;
      }
      sendBody(req, res, file, { "X-Repo-Commit": found.sha, ETag: `"${gitBlobSha1(file.content)}"` });
      return;
    }
    if (p.startsWith("/lfs-store/")) return serveLfs(req, res, p.slice("/lfs-store/".length));
    error(res, 404);
  });

  function serveLfs(req: IncomingMessage, res: ServerResponse, sha: string): void {
    const file = lfsBySha.get(sha);
    if (!file) return error(res, 404);
    sendBody(req, res, file, { ETag: `"${sha}"` });
  }

  const cdn = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    requests.push({ server: "cdn", method: req.method ?? "", path: url.pathname, headers: req.headers });
    if (url.pathname.startsWith("/lfs/")) return serveLfs(req, res, url.pathname.slice("/lfs/".length));
    error(res, 404);
  });

  const endpoint = await listen(hub);
  const cdnOrigin = await listen(cdn);
  return {
    endpoint,
    cdnOrigin,
    requests,
    failNext(path, ...list) {
      faults.set(path, [...(faults.get(path) ?? []), ...list]);
    },
    bodyRequests: () =>
      requests.filter(
        (r) =>
          r.method === "GET" &&
          (r.server === "cdn" || r.path.includes("/resolve/") || r.path.startsWith("/lfs-store/")),
      ),
    apiRequests: () => requests.filter((r) => r.path.startsWith("/api/")),
    async close() {
      for (const s of [hub, cdn]) {
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
    },
  };
}

// Time of `import "esci"` in a fresh Node process, against the models alone and against the old
// root that also re-exported search, training and the server (issue 15: a light root import).
// Each entry is imported in N fresh processes, alternating, and the median is printed with the
// ratio to the models-alone import measured in the same run (this machine is shared and noisy).
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = (p) => JSON.stringify(join(ROOT, "dist/src", p));
const ENTRIES = {
  "models alone (models/cross-encoder.js)": `await import(${dist("models/cross-encoder.js")})`,
  'root: import "esci"': `await import(${dist("index.js")})`,
  "root + esci/search + esci/train + esci/server (the former root)": `await Promise.all([${["index.js", "search/index.js", "train/index.js", "server/index.js"].map((p) => `import(${dist(p)})`).join(", ")}])`,
};
const runs = Number(process.argv[2] ?? 15);
const times = Object.fromEntries(Object.keys(ENTRIES).map((k) => [k, []]));
for (let i = 0; i < runs; i++) {
  for (const [name, code] of Object.entries(ENTRIES)) {
    const script = `const t = performance.now(); ${code}; process.stdout.write(String(performance.now() - t));`;
    times[name].push(Number(execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" })));
  }
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2; };
const base = median(Object.values(times)[0]);
console.log(`import times, median of ${runs} fresh processes each (${new Date().toISOString()})`);
for (const [name, xs] of Object.entries(times)) console.log(`  ${median(xs).toFixed(0).padStart(5)} ms  ${(median(xs) / base).toFixed(2)}× models alone  ${name}`);

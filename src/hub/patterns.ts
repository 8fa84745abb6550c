/**
 * Which repo files to fetch: glob patterns with Python `fnmatch` semantics, as huggingface_hub's
 * `snapshot_download(allow_patterns=…)` applies them. In fnmatch `*` also matches `/`, so
 * `*.safetensors` takes `2_Dense/model.safetensors` too, and a pattern ending in `/` means
 * "everything under that folder" (huggingface_hub appends `*` to it).
 */

/**
 * What a BERT/RoBERTa checkpoint (cross-encoder or sentence-transformers bi-encoder) needs: config,
 * safetensors weights (sharded or not), every tokenizer file format, and sentence-transformers'
 * module configs such as `1_Pooling/config.json`. Deliberately not `pytorch_model.bin`
 * (pickles; esci reads safetensors only) nor `onnx/*` (esci builds its own graphs).
 */
export const DEFAULT_ALLOW_PATTERNS: readonly string[] = [
  "config.json",
  "*.safetensors",
  "model.safetensors.index.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "vocab.json",
  "merges.txt",
  "vocab.txt",
  "added_tokens.json",
  "modules.json",
  "sentence_bert_config.json",
  "config_sentence_transformers.json",
  "*/config.json",
  "esci_calibration.json", // esci calibrate's stored temperature and biases (models/calibration.ts)
];

function escapeRegex(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
}

/** Python's `fnmatch.translate`: `*`, `?`, `[seq]`, `[!seq]`; everything else literal. */
export function fnmatchToRegExp(pattern: string): RegExp {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") out += ".*";
    else if (c === "?") out += ".";
    else if (c === "[") {
      const close = pattern.indexOf("]", i + 2);
      if (close === -1) {
        out += "\\[";
        continue;
      }
      let body = pattern.slice(i + 1, close).replace(/\\/g, "\\\\");
      if (body.startsWith("!")) body = "^" + body.slice(1);
      else if (body.startsWith("^")) body = "\\" + body;
      out += `[${body}]`;
      i = close;
    } else out += escapeRegex(c);
  }
  return new RegExp(`^${out}$`, "s");
}

/** The files that match at least one pattern, in their original order. */
export function filterByPatterns(files: readonly string[], patterns: readonly string[]): string[] {
  const res = patterns.map((p) => fnmatchToRegExp(p.endsWith("/") ? `${p}*` : p));
  return files.filter((f) => res.some((re) => re.test(f)));
}

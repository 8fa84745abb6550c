/**
 * hub/: find a model's files the Hugging Face way — a local directory, the shared Hugging Face
 * cache (`models--org--name/snapshots/<commit>`), or a download from the hub into that cache — and
 * return paths only. Reading config.json, tokenizer.json or safetensors is done elsewhere.
 *
 *   const model = await resolveModel("cross-encoder/ms-marco-MiniLM-L-6-v2", { onProgress });
 *   const config = modelFile(model, "config.json");
 *
 * Environment, as huggingface_hub: HF_HUB_CACHE / HF_HOME / XDG_CACHE_HOME, HF_ENDPOINT,
 * HF_TOKEN / HF_TOKEN_PATH, HF_HUB_OFFLINE, HF_HUB_DOWNLOAD_TIMEOUT.
 */
export { resolveModel, type ResolveModelOptions, type ResolvedModel } from "./resolve.js";
export { modelFile, type ModelFileOptions } from "./model-file.js";
export { downloadProgressTo, type ProgressSink } from "./progress.js";
export type { DownloadProgress, RetryPolicy } from "./download.js";
export { DEFAULT_ALLOW_PATTERNS, filterByPatterns } from "./patterns.js";
export { parseModelRef, validateRepoId, type ModelRef } from "./model-id.js";
export { repoFolderName } from "./cache.js";
export {
  defaultCacheDir,
  defaultEndpoint,
  isTruthyEnv,
  offlineFromEnv,
  tokenFromEnv,
  type Env,
} from "./settings.js";

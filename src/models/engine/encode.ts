/**
 * Inputs → encoded rows for the engine: on the model's tokenizer, or in its tokenizer worker
 * thread when the model was loaded with `tokenizer: "worker"` (tokenizing a request of a thousand
 * 20,000-character pairs takes seconds of CPU, which a server's event loop must not spend). Both
 * give the same encodings.
 *
 * With `truncate: false`, an input longer than `maxLength` tokens is TOO_LARGE (details: its
 * `index`, `tokens` and `max_tokens`) instead of being cut: text-embeddings-inference's rule for
 * its rerank route.
 */
import { EsciError } from "../../errors/index.js";
import type { Encoding, TextPair } from "../../tokenizer/index.js";
import type { LoadedModel } from "../loader.js";

export type EncodeInput = { pairs: readonly TextPair[]; texts?: undefined } | { pairs?: undefined; texts: readonly string[] };

export async function encodeInputs(model: Pick<LoadedModel, "tokenizer" | "tokenizerWorker">, input: EncodeInput, maxLength: number, truncate = true): Promise<Encoding[]> {
  const encode = (limit: number): Encoding[] | Promise<Encoding[]> => {
    const w = model.tokenizerWorker;
    if (input.pairs) return w ? w.encodePairs(input.pairs, limit) : model.tokenizer.encodePairs(input.pairs, limit);
    return w ? w.encodeTexts(input.texts, limit) : model.tokenizer.encodeTexts(input.texts, limit);
  };
  if (truncate) return encode(maxLength);
  const rows = await encode(Number.MAX_SAFE_INTEGER);
  rows.forEach((full, i) => {
    if (full.inputIds.length > maxLength) {
      throw new EsciError("TOO_LARGE", `input ${i} is ${full.inputIds.length} tokens, more than the model's limit of ${maxLength}`, {
        index: i,
        tokens: full.inputIds.length,
        max_tokens: maxLength,
      });
    }
  });
  return rows;
}

/**
 * ELECTRA discriminators (and sentence-transformers models built on them). The embeddings are
 * BERT's (words + token types + positions 0…T-1, LayerNorm, dropout) but `embedding_size` wide;
 * when that differs from `hidden_size`, `embeddings_project` (a Linear E → H) follows, as in HF's
 * ElectraModel. BERT's post-LN blocks and names under `electra.encoder.layer.N`. The head is
 * ElectraClassificationHead: first token → dropout → dense → gelu (erf, whatever hidden_act says)
 * → dropout → out_proj.
 */
import { bert, leadingPositions, tokenTypeRows } from "../bert/index.js";
import { int } from "../config.js";
import { activation, BERT_LAYOUT, embeddingSum, linear, postLnEncoder } from "../encoder.js";
import type { ModelFamily } from "../family.js";
import { firstTokenDenseHead, roberta } from "../roberta/index.js";

/** embedding_size (hidden_size when the config has none). */
const embeddingSize = (cfg: { extra: Record<string, unknown> }) => cfg.extra.embeddingSize as number;

export const electra: ModelFamily = {
  ...bert,
  name: "ELECTRA",
  parseExtra: (raw, file) => ({ embeddingSize: int(raw, "embedding_size", file, int(raw, "hidden_size", file)) }),
  prefixes: ["electra.", ""],
  classifierArchitectures: ["ElectraForSequenceClassification"],
  headTensor: roberta.headTensor,
  newHead: roberta.newHead,

  embeddings(g, w, cfg, inputs, dropout) {
    const E = embeddingSize(cfg);
    const x = embeddingSum(g, w, cfg, inputs.inputIds, leadingPositions(g, w, cfg, inputs, E), tokenTypeRows(g, w, cfg, inputs, E), dropout, E);
    // ElectraModel has embeddings_project exactly when embedding_size ≠ hidden_size.
    return E === cfg.hiddenSize ? x : linear(g, w, x, `${w.prefix}embeddings_project`, E, cfg.hiddenSize);
  },
  encoder: postLnEncoder(BERT_LAYOUT),
  classifierHead: firstTokenDenseHead((g, x) => activation(g, x, "gelu")),
};

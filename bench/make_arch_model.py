#!/tmp/ref/bin/python
"""A random base-sized checkpoint of a family for bench/architectures.mjs, written by transformers.

    /tmp/ref/bin/python bench/make_arch_model.py modernbert|distilroberta OUT_DIR

ModernBERT-base's sizes (answerdotai/ModernBERT-base config: 22 layers × 768, intermediate 1152,
12 heads, vocab 50368, every 3rd layer global, local_attention 128), random weights from
transformers' own init (seed 0), 4 labels, float32; the tokenizer is the small byte-level BPE of
test/fixtures/models/arch-modernbert-cls-1logit (the bench measures the model, not the vocabulary).
DistilRoBERTa's sizes (the model card's checkpoint: 6 layers × 768, intermediate 3072, 12 heads,
vocab 50265, 514 positions), the tokenizer of test/fixtures/models/tiny-roberta-esci.
"""

import os
import shutil
import sys

import torch
from transformers import ModernBertConfig, ModernBertForSequenceClassification, RobertaConfig, RobertaForSequenceClassification

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
SPECS = {
    "modernbert": (
        lambda pad, cls, sep: ModernBertForSequenceClassification(ModernBertConfig(
            vocab_size=50368, hidden_size=768, intermediate_size=1152, num_hidden_layers=22, num_attention_heads=12,
            global_attn_every_n_layers=3, local_attention=128, max_position_embeddings=8192, num_labels=4,
            pad_token_id=pad, cls_token_id=cls, sep_token_id=sep, bos_token_id=cls, eos_token_id=sep)),
        "arch-modernbert-cls-1logit",
    ),
    "distilroberta": (
        lambda pad, cls, sep: RobertaForSequenceClassification(RobertaConfig(
            vocab_size=50265, hidden_size=768, intermediate_size=3072, num_hidden_layers=6, num_attention_heads=12,
            max_position_embeddings=514, type_vocab_size=1, num_labels=4,
            pad_token_id=pad, bos_token_id=cls, eos_token_id=sep)),
        "tiny-roberta-esci",
    ),
}


def main() -> None:
    family, out = sys.argv[1], sys.argv[2]
    make, tok_fixture = SPECS[family]
    src = os.path.join(ROOT, "test", "fixtures", "models", tok_fixture)
    torch.manual_seed(0)
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(src)
    model = make(tok.pad_token_id, tok.cls_token_id, tok.sep_token_id)
    tmp = out + ".partial"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tok.model_max_length = 512
    tok.save_pretrained(tmp)
    os.replace(tmp, out)


if __name__ == "__main__":
    main()

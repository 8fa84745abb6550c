"""The PyTorch side of bench/deberta.mjs (run by it with the reference stack, /tmp/ref/bin/python).

`make DIR`: a random DeBERTa-v3-small-sized DebertaV2ForSequenceClassification (6 layers, hidden
768, 12 heads, intermediate 3072, vocab 128,100, 256 position buckets, c2p + p2c, shared keys:
microsoft/deberta-v3-small's config) with 4 ESCI labels, saved by save_pretrained in float32 with
the DeBERTa-v3 tokenizer of the tokenizer fixtures.
`time DIR PAIRS.json THREADS PASSES`: sentence-transformers CrossEncoder.predict on torch CPU, the
same pairs and batch size as esci; prints {"seconds": fastest pass, "logits": first rows}.
"""
import json
import os
import sys
import time

import torch


def make(d: str) -> None:
    from transformers import AutoTokenizer, DebertaV2Config, DebertaV2ForSequenceClassification

    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    tok = AutoTokenizer.from_pretrained(os.path.join(root, "test", "fixtures", "tokenizers", "debertav3"), model_max_length=512)
    labels = ["exact", "substitute", "complement", "irrelevant"]
    cfg = DebertaV2Config(
        vocab_size=128100, hidden_size=768, num_hidden_layers=6, num_attention_heads=12, intermediate_size=3072,
        max_position_embeddings=512, relative_attention=True, position_buckets=256, norm_rel_ebd="layer_norm",
        share_att_key=True, pos_att_type=["p2c", "c2p"], position_biased_input=False, type_vocab_size=0,
        layer_norm_eps=1e-7, max_relative_positions=-1, pad_token_id=0, num_labels=4,
        id2label=dict(enumerate(labels)), label2id={l: i for i, l in enumerate(labels)},
    )
    torch.manual_seed(0)
    DebertaV2ForSequenceClassification(cfg).save_pretrained(d)
    tok.save_pretrained(d)


def timing(d: str, pairs_file: str, threads: int, passes: int) -> None:
    from sentence_transformers import CrossEncoder

    torch.set_num_threads(threads)
    pairs = json.load(open(pairs_file))
    ce = CrossEncoder(d, activation_fn=torch.nn.Identity(), max_length=64)
    ce.predict(pairs[:8], batch_size=32)  # warm-up
    best = float("inf")
    for _ in range(passes):
        t0 = time.perf_counter()
        logits = ce.predict(pairs, batch_size=32)
        best = min(best, time.perf_counter() - t0)
    print(json.dumps({"seconds": best, "logits": logits[:4].tolist()}))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        timing(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))

#!/tmp/ref/bin/python
"""Training references for DistilBERT, ELECTRA, ModernBERT and DeBERTa-v2/v3 from transformers' own models.

Dev-only (tests never run Python). Run with the reference stack:

    /tmp/ref/bin/python scripts/train/make_arch_parity.py

For each arch-* cross-encoder below it loads the committed checkpoint with
AutoModelForSequenceClassification in float64 (half-precision checkpoints are widened exactly),
puts it in eval mode (dropout off: the parity standard's dropout 0) and runs 8 optimizer steps as
scripts/train/make_parity.py does for RoBERTa and BERT: CrossEntropyLoss (mean) per micro-batch
divided by the accumulation count, clip_grad_norm_, torch.optim.AdamW with HF Trainer's decay
split (get_decay_parameter_names' name patterns), get_linear_schedule_with_warmup's factor. Token
ids, attention masks and (ELECTRA) token types come from the checkpoint's own tokenizer.

Writes test/train/fixtures/parity-<name>.json and parity-<name>.safetensors (float64 final
weights in Hugging Face names), the format test/train/parity.test.ts reads.
"""

from __future__ import annotations

import os
import re
import sys

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_parity as mp  # noqa: E402

MODELS = os.path.join(mp.ROOT, "test", "fixtures", "models")
NO_DECAY = re.compile(r"bias|layernorm|rmsnorm|(?:^|\.)norm(?:$|\.)|_norm(?:$|\.)")


def run(name: str, labels: list[str], n_examples: int, max_length: int, recipe: dict) -> None:
    model_dir = os.path.join(MODELS, name)
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, dtype=torch.float64).eval()
    data = mp.examples(n_examples, len(labels), seed=len(name))
    encoded = [tok([q], [p], truncation="longest_first", max_length=max_length) for q, p, _ in data]

    pad = tok.pad_token_id

    def logits_of(idx: list[int]) -> torch.Tensor:
        rows = [encoded[i] for i in idx]
        T = max(len(r["input_ids"][0]) for r in rows)
        feed = {key: torch.tensor([r[key][0] + [pad if key == "input_ids" else 0] * (T - len(r[key][0])) for r in rows]) for key in rows[0].keys()}
        return model(**feed).logits

    params = dict(model.named_parameters())
    log, warmup = mp.optimize(name, params, lambda n: NO_DECAY.search(n.lower()) is not None, logits_of, [y for _, _, y in data], recipe)
    rows = [{"query": q, "product": p, "label": y, "input_ids": e["input_ids"][0], "token_type_ids": e.get("token_type_ids", [[0] * len(e["input_ids"][0])])[0]}
            for (q, p, y), e in zip(data, encoded)]
    mp.write_reference(name, params, labels, max_length, {**recipe, "warmup_steps": warmup}, rows, log)
    print(name, "losses", [round(e["loss"], 4) for e in log])


def main() -> None:
    common = {"lr": 1e-3, "weight_decay": 0.01, "warmup_ratio": 0.25, "max_grad_norm": 1.0, "steps": 8}
    esci = ["exact", "substitute", "complement", "irrelevant"]
    run("arch-distilbert-sinusoidal-3label", esci[:3], 24, 20, {**common, "batch_size": 3, "grad_accum": 1})
    run("arch-electra-project-esci", esci, 30, 24, {**common, "batch_size": 4, "grad_accum": 1})
    run("arch-modernbert-mean-3label", esci[:3], 48, 20, {**common, "batch_size": 3, "grad_accum": 2})
    run("arch-modernbert-biases-esci", esci, 30, 24, {**common, "batch_size": 4, "grad_accum": 1})
    run("arch-debertav3-esci", esci, 30, 24, {**common, "batch_size": 4, "grad_accum": 1})
    run("arch-debertav2-conv-3label", esci[:3], 48, 20, {**common, "batch_size": 3, "grad_accum": 2})


if __name__ == "__main__":
    main()

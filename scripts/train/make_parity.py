#!/usr/bin/python3
"""PyTorch reference for esci's trainer: 8 optimizer steps from the committed tiny checkpoints.

Run with a Python that has torch and numpy, e.g. the reference stack (dev-only; tests never run Python):

    /tmp/ref/bin/python scripts/train/make_parity.py

For each of tiny-roberta-esci and tiny-bert-3label it writes test/train/fixtures/parity-<name>.json
(the token ids of every example, the recipe, and per step: loss, lr, grad_norm) and
parity-<name>.safetensors (the final weights, float64, Hugging Face names and layouts).

The model is the plain-torch BERT/RoBERTa of scripts/fixtures/make_fixtures.py (imported, not
copied), run in float64 so the reference is exact to ~1e-15 and every difference the test sees is
esci's. Training follows HF Trainer: dropout 0 (the model code has none), CrossEntropyLoss (mean),
each micro-batch's loss divided by the accumulation count before backward, clip_grad_norm_,
torch.optim.AdamW with HF's parameter groups (no decay for biases and LayerNorm weights),
LambdaLR with get_linear_schedule_with_warmup's factor, scheduler stepped after the optimizer.
The recipe is chosen so every piece is exercised: weight decay > 0, warm-up > 0, clipping active
(asserted), a partial last batch (RoBERTa) and gradient accumulation (BERT).
"""

from __future__ import annotations

import json
import math
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts", "fixtures"))
import make_fixtures as mf  # noqa: E402

OUT = os.path.join(ROOT, "test", "train", "fixtures")

QUERIES = [line for line in mf.CORPUS.strip().splitlines() if line == line.lower()][:12]
PRODUCTS = [line for line in mf.CORPUS.strip().splitlines() if line != line.lower()]


def examples(n: int, n_labels: int, seed: int) -> list[tuple[str, str, int]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        q = QUERIES[int(rng.integers(len(QUERIES)))]
        p = PRODUCTS[int(rng.integers(len(PRODUCTS)))]
        out.append((q, p, int(rng.integers(n_labels))))
    return out


def lr_lambda(warmup: int, total: int):
    """transformers.get_linear_schedule_with_warmup's factor."""
    def f(step: int) -> float:
        if step < warmup:
            return step / max(1, warmup)
        return max(0.0, (total - step) / max(1, total - warmup))
    return f


def write_f64_safetensors(path: str, tensors: dict[str, np.ndarray]) -> None:
    header: dict = {"__metadata__": {"format": "pt"}}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        b = np.ascontiguousarray(tensors[name], dtype="<f8").tobytes()
        header[name] = {"dtype": "F64", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * ((8 - len(hb) % 8) % 8)
    with open(path, "wb") as f:
        f.write(len(hb).to_bytes(8, "little"))
        f.write(hb)
        for b in blobs:
            f.write(b)


def optimize(name: str, params: dict, no_decay, logits_of, targets: list[int], recipe: dict) -> tuple[list[dict], int]:
    """HF Trainer's loop over fixed micro-batches: mean cross-entropy / accumulation count, clip, AdamW, linear warm-up/decay."""
    n, B, accum, steps = len(targets), recipe["batch_size"], recipe["grad_accum"], recipe["steps"]
    batches = [list(range(i, min(i + B, n))) for i in range(0, n, B)]
    groups = [batches[i:i + accum] for i in range(0, len(batches), accum)]
    assert len(groups) == steps, (name, len(groups), steps)
    warmup = math.ceil(steps * recipe["warmup_ratio"])
    decay = [p for k, p in params.items() if not no_decay(k)]
    plain = [p for k, p in params.items() if no_decay(k)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": recipe["weight_decay"]}, {"params": plain, "weight_decay": 0.0}],
                            lr=recipe["lr"], betas=(0.9, 0.999), eps=1e-8)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda(warmup, steps))
    log = []
    for k, group in enumerate(groups):
        opt.zero_grad()
        total = 0.0
        for idx in group:
            loss = torch.nn.functional.cross_entropy(logits_of(idx), torch.tensor([targets[i] for i in idx])) / len(group)
            loss.backward()
            total += loss.item()
        lr = sched.get_last_lr()[0]
        norm = float(torch.nn.utils.clip_grad_norm_(list(params.values()), recipe["max_grad_norm"]))
        opt.step()
        sched.step()
        log.append({"step": k + 1, "loss": total, "lr": lr, "grad_norm": norm})
    clipped = sum(1 for e in log if e["grad_norm"] > recipe["max_grad_norm"])
    assert clipped >= steps // 2, f"{name}: clipping active in only {clipped} of {steps} steps"
    return log, warmup


def write_reference(name: str, params: dict, labels: list[str], max_length: int, recipe: dict, rows: list[dict], log: list[dict]) -> None:
    """parity-<name>.safetensors (float64 final weights, HF names) and parity-<name>.json."""
    os.makedirs(OUT, exist_ok=True)
    write_f64_safetensors(os.path.join(OUT, f"parity-{name}.safetensors"), {n: p.detach().numpy() for n, p in params.items()})
    fixture = {"model": name, "labels": labels, "max_length": max_length, "recipe": recipe, "examples": rows, "steps": log}
    with open(os.path.join(OUT, f"parity-{name}.json"), "w", encoding="utf-8") as f:
        json.dump(fixture, f, ensure_ascii=False, indent=1)
        f.write("\n")


def run(name: str, tok, labels: list[str], n_examples: int, max_length: int, recipe: dict) -> None:
    model_dir = os.path.join(ROOT, "test", "fixtures", "models", name)
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    kind = cfg["model_type"]
    prefix = "roberta." if kind == "roberta" else "bert."
    W = mf.read_safetensors(os.path.join(model_dir, "model.safetensors"))  # float64
    params = {k: v.clone().requires_grad_(True) for k, v in W.items()}

    data = examples(n_examples, len(labels), seed=len(name))
    encoded = [mf.encode_pair(tok, q, p, max_length) for q, p, _ in data]

    no_decay = lambda n: "bias" in n or "LayerNorm" in n  # noqa: E731

    def logits_of(idx: list[int]) -> torch.Tensor:
        ids, mask = mf.padded([encoded[i][0] for i in idx], cfg["pad_token_id"])
        types, _ = mf.padded([encoded[i][1] for i in idx], 0)
        return mf.classifier_logits(params, cfg, mf.encoder_forward(params, prefix, cfg, ids, types, mask))

    log, warmup = optimize(name, params, no_decay, logits_of, [y for _, _, y in data], recipe)
    rows = [{"query": q, "product": p, "label": y, "input_ids": e[0], "token_type_ids": e[1]} for (q, p, y), e in zip(data, encoded)]
    write_reference(name, params, labels, max_length, {**recipe, "warmup_steps": warmup}, rows, log)
    clipped = sum(1 for e in log if e["grad_norm"] > recipe["max_grad_norm"])
    print(name, "clipped", clipped, "of", recipe["steps"], "losses", [round(e["loss"], 4) for e in log])


def main() -> None:
    torch.set_default_dtype(torch.float64)
    merges = mf.train_byte_level_bpe(mf.CORPUS, 320)
    roberta_tok = mf.RefByteLevelBPE(mf.roberta_vocab(merges), merges)
    bert_tok = mf.RefWordPiece({t: i for i, t in enumerate(mf.bert_vocab_list())})
    common = {"lr": 1e-3, "weight_decay": 0.01, "warmup_ratio": 0.25, "max_grad_norm": 1.0, "steps": 8}
    run("tiny-roberta-esci", roberta_tok, ["exact", "substitute", "complement", "irrelevant"], 30, 24,
        {**common, "batch_size": 4, "grad_accum": 1})
    run("tiny-bert-3label", bert_tok, ["exact", "substitute", "complement"], 48, 20,
        {**common, "batch_size": 3, "grad_accum": 2})


if __name__ == "__main__":
    main()

#!/tmp/ref/bin/python
"""PyTorch reference for `esci distill`: 8 optimizer steps of MSE and of KL distillation.

Run with the reference venv (dev-only; tests never run Python):

    /tmp/ref/bin/python scripts/train/make_distill_parity.py

The student is transformers' own RobertaForSequenceClassification loaded from the committed tiny
checkpoint test/fixtures/models/tiny-roberta-esci, in float64, with every dropout at 0. The
examples (token ids and gold labels) are those of the fine-tuning parity fixture
(test/train/fixtures/parity-tiny-roberta-esci.json, made by make_parity.py); the teacher's logits
are drawn here from a seeded normal(0, 2) and stored in the fixture.

Losses, as esci's train/distill/objective.ts documents them:
  mse: torch.nn.functional.mse_loss(z, t) (mean over N·C)
  kl:  τ² · F.kl_div(log_softmax(z/τ), log_softmax(t/τ), reduction="batchmean", log_target=True)
       + alpha · cross_entropy(z, gold)            (here τ = 2, alpha = 0.5)
Training is HF Trainer's step, as in make_parity.py: AdamW with no decay on biases/LayerNorm,
clip_grad_norm_, the linear warm-up/decay schedule stepped after the optimizer.

Writes test/train/fixtures/distill-parity.json (recipe, teacher logits, per case and step: loss,
lr, grad_norm) and distill-parity-<case>.safetensors (final weights, float64, HF names).
"""

from __future__ import annotations

import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from transformers import AutoModelForSequenceClassification

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
from make_parity import lr_lambda, write_f64_safetensors  # noqa: E402

MODEL = os.path.join(ROOT, "test", "fixtures", "models", "tiny-roberta-esci")
OUT = os.path.join(ROOT, "test", "train", "fixtures")
RECIPE = {"lr": 1e-3, "weight_decay": 0.01, "warmup_ratio": 0.25, "max_grad_norm": 1.0, "steps": 8, "batch_size": 4}
CASES = {"mse": {"loss": "mse", "temperature": 1.0, "alpha": 0.0}, "kl": {"loss": "kl", "temperature": 2.0, "alpha": 0.5}}


def distill_loss(case: dict, z: torch.Tensor, t: torch.Tensor, gold: torch.Tensor) -> torch.Tensor:
    if case["loss"] == "mse":
        kd = F.mse_loss(z, t)
    else:
        tau = case["temperature"]
        kd = tau * tau * F.kl_div(F.log_softmax(z / tau, dim=-1), F.log_softmax(t / tau, dim=-1), reduction="batchmean", log_target=True)
    return kd + case["alpha"] * F.cross_entropy(z, gold) if case["alpha"] else kd


def run(name: str, case: dict, examples: list[dict], teacher: np.ndarray) -> list[dict]:
    model = AutoModelForSequenceClassification.from_pretrained(
        MODEL, dtype=torch.float64, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, classifier_dropout=0.0, attn_implementation="eager"
    )
    model.train()  # dropout is 0 everywhere: train mode changes nothing but is what Trainer runs
    pad = model.config.pad_token_id
    params = dict(model.named_parameters())
    decay = [p for n, p in params.items() if not ("bias" in n or "LayerNorm" in n)]
    no_decay = [p for n, p in params.items() if "bias" in n or "LayerNorm" in n]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": RECIPE["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}], lr=RECIPE["lr"], betas=(0.9, 0.999), eps=1e-8
    )
    steps, B = RECIPE["steps"], RECIPE["batch_size"]
    warmup = math.ceil(steps * RECIPE["warmup_ratio"])
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda(warmup, steps))
    batches = [list(range(i, min(i + B, len(examples)))) for i in range(0, len(examples), B)]
    assert len(batches) == steps, len(batches)
    log = []
    for k, idx in enumerate(batches):
        opt.zero_grad()
        width = max(len(examples[i]["input_ids"]) for i in idx)
        ids = torch.tensor([examples[i]["input_ids"] + [pad] * (width - len(examples[i]["input_ids"])) for i in idx])
        mask = torch.tensor([[1] * len(examples[i]["input_ids"]) + [0] * (width - len(examples[i]["input_ids"])) for i in idx])
        z = model(input_ids=ids, attention_mask=mask).logits
        loss = distill_loss(case, z, torch.tensor(teacher[idx]), torch.tensor([examples[i]["label"] for i in idx]))
        loss.backward()
        lr = sched.get_last_lr()[0]
        norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), RECIPE["max_grad_norm"]))
        opt.step()
        sched.step()
        log.append({"step": k + 1, "loss": loss.item(), "lr": lr, "grad_norm": norm})
    state = {n: p.detach().numpy() for n, p in model.state_dict().items() if p.dtype == torch.float64}
    write_f64_safetensors(os.path.join(OUT, f"distill-parity-{name}.safetensors"), state)
    print(name, "losses", [round(e["loss"], 4) for e in log], "clipped", sum(e["grad_norm"] > RECIPE["max_grad_norm"] for e in log), "of", steps)
    return log


def main() -> None:
    with open(os.path.join(OUT, "parity-tiny-roberta-esci.json"), encoding="utf-8") as f:
        base = json.load(f)
    examples = [{"input_ids": e["input_ids"], "label": e["label"]} for e in base["examples"]]
    teacher = np.random.default_rng(17).normal(0.0, 2.0, size=(len(examples), len(base["labels"])))
    fixture = {
        "model": "tiny-roberta-esci",
        "labels": base["labels"],
        "recipe": {**RECIPE, "warmup_steps": math.ceil(RECIPE["steps"] * RECIPE["warmup_ratio"])},
        "examples": [{**e, "teacher_logits": t.tolist()} for e, t in zip(examples, teacher)],
        "cases": {name: {**case, "steps": run(name, case, examples, teacher)} for name, case in CASES.items()},
    }
    with open(os.path.join(OUT, "distill-parity.json"), "w", encoding="utf-8") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()

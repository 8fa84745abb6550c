#!/usr/bin/python3
"""PyTorch side of scripts/train/bench.mjs: training steps of the plain-torch reference model
(scripts/fixtures/make_fixtures.py's encoder_forward + classifier_logits, run in float32) on a
DistilRoBERTa-sized checkpoint, with the same step as esci's trainer: cross-entropy, backward,
clip_grad_norm_, torch.optim.AdamW (HF parameter groups), zero_grad.

One JSON settings argument in ({modelDir, batch, length, warmup, steps, threads}), one JSON result
line out. bench.mjs sets LD_LIBRARY_PATH to an unpacked OpenBLAS for this process only; the GEMM
time printed shows which BLAS torch really got (~1 ms with OpenBLAS, ~100 ms with reference BLAS).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time

import torch

sys.dont_write_bytecode = True
ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts", "fixtures"))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import make_fixtures as ref  # noqa: E402
from torch_model import float32_attention_mask as float32_mask, gemm_ms  # noqa: E402  (shared with bench/)


def main() -> None:
    cfg = json.loads(sys.argv[1])
    torch.set_num_threads(cfg["threads"])
    with open(os.path.join(cfg["modelDir"], "config.json"), encoding="utf-8") as f:
        mcfg = json.load(f)
    params = {k: v.float().requires_grad_(True) for k, v in ref.read_safetensors(os.path.join(cfg["modelDir"], "model.safetensors")).items()}
    decay = [p for n, p in params.items() if not ("bias" in n or "LayerNorm" in n)]
    no_decay = [p for n, p in params.items() if "bias" in n or "LayerNorm" in n]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.0}, {"params": no_decay, "weight_decay": 0.0}], lr=5e-5)
    B, T = cfg["batch"], cfg["length"]
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(3, mcfg["vocab_size"], (B, T), generator=g)
    ids[:, 0], ids[:, -1] = 0, 2
    mask = torch.ones_like(ids)
    types = torch.zeros_like(ids)
    labels = torch.randint(0, 4, (B,), generator=g)

    cpu: list[float] = []

    def step() -> float:
        t = time.perf_counter()
        c = time.process_time()
        with float32_mask():
            logits = ref.classifier_logits(params, mcfg, ref.encoder_forward(params, "roberta.", mcfg, ids, types, mask))
        loss = torch.nn.functional.cross_entropy(logits, labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(params.values()), 1.0)
        opt.step()
        opt.zero_grad()
        cpu.append(time.process_time() - c)
        return time.perf_counter() - t

    for _ in range(cfg["warmup"]):
        step()
    times = sorted(step() for _ in range(cfg["steps"]))
    med = times[(len(times) - 1) // 2]
    cpu_steps = sorted(cpu[cfg["warmup"]:])
    print(json.dumps({
        "engine": "pytorch",
        "msPerStep": med * 1e3,
        "tokensPerSec": B * T / med,
        "stepMs": [round(x * 1e3) for x in times],
        "cpuMsPerStep": cpu_steps[(len(cpu_steps) - 1) // 2] * 1e3,
        "peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "ownCpuMs": time.process_time() * 1e3,
        "gemmMs": gemm_ms(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": os.environ.get("LD_LIBRARY_PATH", "system libblas.so.3"),
    }))


if __name__ == "__main__":
    main()

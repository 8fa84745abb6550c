"""The PyTorch peer's model: the plain-torch reference implementation of HF RoBERTa/BERT from
scripts/fixtures/make_fixtures.py (`encoder_forward` + `classifier_logits`), wrapped as a float32
nn.Module so it can be timed and exported with torch.onnx.export. Nothing here re-implements the
model; it only loads a checkpoint and runs the reference code in float32.

Also the PyTorch peer's tokenizer: make_fixtures' byte-level BPE (`RefByteLevelBPE` + the Rust
longest_first `encode_pair`), read from the checkpoint's vocab.json / merges.txt.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts", "fixtures"))

import make_fixtures as ref  # noqa: E402  (the reference implementation)


@contextlib.contextmanager
def float32_attention_mask():
    """The reference computes in float64 and casts the mask with `.double()`; a deployed model runs
    float32, so inside this block `.double()` means `.float()` (the mask cast is its only use)."""
    original = torch.Tensor.double
    torch.Tensor.double = torch.Tensor.float  # type: ignore[method-assign]
    try:
        yield
    finally:
        torch.Tensor.double = original  # type: ignore[method-assign]


def gemm_ms() -> float:
    """[64, 768] × [768, 3072] in float32: ≈1 ms with OpenBLAS on 2 cores, ≈100 ms with reference BLAS
    (the check that the unpacked OpenBLAS is really in use)."""
    a, w = torch.randn(64, 768), torch.randn(768, 3072)
    for _ in range(3):
        a @ w
    t = time.perf_counter()
    for _ in range(10):
        a @ w
    return (time.perf_counter() - t) / 10 * 1e3


class ReferenceCrossEncoder(torch.nn.Module):
    """(input_ids, attention_mask) int64 [B, T] -> logits float32 [B, num_labels]."""

    def __init__(self, model_dir: str):
        super().__init__()
        with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
            self.cfg = json.load(f)
        if self.cfg["model_type"] != "roberta":
            raise ValueError(f"{model_dir}: the benchmark exports RoBERTa checkpoints, got {self.cfg['model_type']}")
        weights = ref.read_safetensors(os.path.join(model_dir, "model.safetensors"))  # float64
        self.prefix = "roberta."
        self.names = sorted(weights)
        # Buffers, so torch.onnx.export writes them as initializers.
        for i, name in enumerate(self.names):
            self.register_buffer(f"w{i}", weights[name].float().contiguous())

    def weights(self) -> dict[str, torch.Tensor]:
        return {name: getattr(self, f"w{i}") for i, name in enumerate(self.names)}

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        W = self.weights()
        types = torch.zeros_like(input_ids)  # RoBERTa: one token type
        with float32_attention_mask():
            hidden = ref.encoder_forward(W, self.prefix, self.cfg, input_ids, types, attention_mask)
        return ref.classifier_logits(W, self.cfg, hidden)


class ReferenceTokenizer:
    """make_fixtures' byte-level BPE on the checkpoint's vocab.json + merges.txt."""

    def __init__(self, model_dir: str):
        with open(os.path.join(model_dir, "vocab.json"), encoding="utf-8") as f:
            vocab = json.load(f)
        with open(os.path.join(model_dir, "merges.txt"), encoding="utf-8") as f:
            merges = [tuple(line.split()) for line in f.read().splitlines() if line and not line.startswith("#version")]
        self.tok = ref.RefByteLevelBPE(vocab, merges)
        self.pad = self.tok.pad

    def encode_pair(self, query: str, product: str, max_length: int) -> list[int]:
        return ref.encode_pair(self.tok, query, product, max_length)[0]

    def batch(self, pairs: list[list[str]], max_length: int, pad_to: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Encoded and right-padded to the batch's longest row (or to `pad_to`)."""
        rows = [self.encode_pair(q, p, max_length) for q, p in pairs]
        if pad_to is None:
            return ref.padded(rows, self.pad)
        ids = torch.full((len(rows), pad_to), self.pad, dtype=torch.long)
        mask = torch.zeros((len(rows), pad_to), dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = torch.tensor(r, dtype=torch.long)
            mask[i, : len(r)] = 1
        return ids, mask

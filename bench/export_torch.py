#!/usr/bin/python3
"""Export a RoBERTa cross-encoder checkpoint through PyTorch, the way a user of the peers gets an
ONNX file: the reference torch model (bench/torch_model.py, i.e. make_fixtures' encoder_forward)
traced by torch.onnx.export with dynamic batch and sequence axes.

    /usr/bin/python3 bench/export_torch.py MODEL_DIR OUT_DIR

OUT_DIR becomes a transformers.js model folder: config.json, the tokenizer files and
onnx/model.onnx (inputs input_ids, attention_mask: int64 [batch, sequence]; output logits float32
[batch, num_labels]). It also gets check.json: the torch logits of a few padded rows, so the
benchmark can confirm every engine computes the same function before timing it.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time

import torch

sys.dont_write_bytecode = True  # no __pycache__ in bench/ or scripts/fixtures/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_model import ReferenceCrossEncoder  # noqa: E402

TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt"]
OPSET = 14


def check_rows(pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Three rows of different lengths, right-padded: ids from a fixed seed, never the pad id."""
    g = torch.Generator().manual_seed(0)
    lengths = [23, 9, 5]
    T = max(lengths)
    ids = torch.full((len(lengths), T), pad, dtype=torch.long)
    mask = torch.zeros((len(lengths), T), dtype=torch.long)
    for i, n in enumerate(lengths):
        row = torch.randint(4, 500, (n,), generator=g)
        row[0], row[-1] = 0, 2  # <s> … </s>
        ids[i, :n] = row
        mask[i, :n] = 1
    return ids, mask


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: export_torch.py MODEL_DIR OUT_DIR")
    model_dir, out_dir = sys.argv[1], sys.argv[2]
    t0 = time.time()
    model = ReferenceCrossEncoder(model_dir).eval()
    tmp = out_dir + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(os.path.join(tmp, "onnx"))
    ids, mask = check_rows(model.cfg["pad_token_id"])
    with torch.no_grad():
        logits = model(ids, mask)
        torch.onnx.export(
            model,
            (ids, mask),
            os.path.join(tmp, "onnx", "model.onnx"),
            input_names=["input_ids", "attention_mask"],
            output_names=["logits"],
            dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"}, "logits": {0: "batch"}},
            opset_version=OPSET,
            do_constant_folding=True,
        )
    for f in ["config.json", *TOKENIZER_FILES]:
        if os.path.exists(os.path.join(model_dir, f)):
            shutil.copyfile(os.path.join(model_dir, f), os.path.join(tmp, f))
    with open(os.path.join(tmp, "check.json"), "w", encoding="utf-8") as f:
        json.dump({"input_ids": ids.tolist(), "attention_mask": mask.tolist(), "logits": logits.tolist()}, f)
    shutil.rmtree(out_dir, ignore_errors=True)
    os.rename(tmp, out_dir)
    print(f"exported {out_dir}/onnx/model.onnx (opset {OPSET}) in {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()

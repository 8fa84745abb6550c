#!/tmp/ref/bin/python
"""The sentence-transformers peer of bench/architectures.mjs: CrossEncoder.predict on PyTorch CPU
(float32, its default attention implementation; with "int8": true in the settings, torch's dynamic
int8 quantization of every nn.Linear, the usual way to run int8 on PyTorch CPU), batch_size 32, no
activation. One JSON settings
argument in, one JSON result line out: the median ms of the fixed batch and of one pair, and the
first pairs' logits for the agreement check."""

import json
import statistics
import sys
import time

import torch
from sentence_transformers import CrossEncoder


def main() -> None:
    cfg = json.loads(sys.argv[1])
    torch.set_num_threads(cfg["threads"])
    ce = CrossEncoder(cfg["modelDir"], max_length=cfg["maxLength"], activation_fn=torch.nn.Identity())
    if cfg.get("int8"):
        torch.ao.quantization.quantize_dynamic(ce, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)
    batch = [tuple(p) for p in cfg["batch"]]
    single = [tuple(cfg["single"])]

    def median_ms(pairs, reps: int) -> float:
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            ce.predict(pairs, batch_size=32, show_progress_bar=False)
            times.append((time.perf_counter() - t) * 1e3)
        return statistics.median(times)

    ce.predict(batch, batch_size=32, show_progress_bar=False)  # warm-up
    result = {"batchMs": median_ms(batch, cfg["reps"]), "singleMs": median_ms(single, cfg["singleReps"]),
              "logits": ce.predict(batch[:4], batch_size=32, show_progress_bar=False).tolist(), "torch": torch.__version__}
    print(json.dumps(result))


if __name__ == "__main__":
    main()

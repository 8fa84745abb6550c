#!/usr/bin/python3
"""The PyTorch peer: the reference torch model (bench/torch_model.py) in float32 under
torch.inference_mode, tokenized by make_fixtures' byte-level BPE, scoring batches of 32 in input
order padded to each batch's longest row (as sentence-transformers' CrossEncoder.predict does).
Runs the same protocol as bench/engines/measure.mjs: one JSON settings argument in, one JSON
result line out, the ESCI workload's logits written as float32 to `logitsOut`.

Debian's torch links whatever libblas.so.3 the system picks; run.mjs points LD_LIBRARY_PATH at
an unpacked OpenBLAS (bench/setup-openblas.sh) and this child reports the GEMM time it sees, so a
reference-BLAS run is visible in the results rather than silently 100× slow.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time

import numpy as np
import torch

sys.dont_write_bytecode = True  # no __pycache__ in bench/ or scripts/fixtures/
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from torch_model import ReferenceCrossEncoder, ReferenceTokenizer, gemm_ms  # noqa: E402


def percentile(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, int(np.ceil(p * len(s))) - 1))]


def main() -> None:
    cfg = json.loads(sys.argv[1])
    torch.set_num_threads(cfg["threads"])
    with open(cfg["workloadFile"], encoding="utf-8") as f:
        wl = json.load(f)
    t0 = time.perf_counter()
    model = ReferenceCrossEncoder(cfg["modelDir"]).eval()
    tok = ReferenceTokenizer(cfg["modelDir"])
    result: dict = {"engine": cfg["engine"], "loadMs": (time.perf_counter() - t0) * 1e3, "gemmMs": gemm_ms(),
                    "blas": os.environ.get("LD_LIBRARY_PATH", "system libblas.so.3")}

    def score(pairs: list[list[str]], max_length: int | None) -> list[list[float]]:
        ids, mask = tok.batch(pairs, max_length or 512)
        with torch.inference_mode():
            return model(ids, mask).tolist()

    def timed(fn) -> float:
        t = time.perf_counter()
        fn()
        return (time.perf_counter() - t) * 1e3

    fixed, single, L = wl["fixed"], wl["single"], wl["fixedLength"]
    if cfg.get("fixed"):
        for _ in range(5):
            score(fixed, L)
        times = [timed(lambda: score(fixed, L)) for _ in range(cfg["reps"])]
        med = sorted(times)[(len(times) - 1) // 2]
        result["fixed"] = {"pairsPerSec": len(fixed) * 1000 / med, "msPerBatch": med, "reps": cfg["reps"]}
    if cfg.get("latency"):
        for _ in range(5):
            score([single], L)
        times = [timed(lambda: score([single], L)) for _ in range(cfg["latencyIters"])]
        result["latency"] = {"p50": percentile(times, 0.5), "p99": percentile(times, 0.99), "iters": cfg["latencyIters"]}
    if cfg.get("esci"):
        pairs = wl["esci"][: cfg.get("esciLimit") or len(wl["esci"])]
        bs = cfg["batchSize"]

        def score_all() -> list[list[float]]:
            out: list[list[float]] = []
            for i in range(0, len(pairs), bs):
                out.extend(score(pairs[i:i + bs], None))
            return out

        warm = pairs[: min(len(pairs), cfg.get("esciWarmup", 64))]
        for i in range(0, len(warm), bs):
            score(warm[i:i + bs], None)
        best, logits = float("inf"), []
        for _ in range(cfg.get("esciPasses", 1)):
            t = time.perf_counter()
            logits = score_all()
            best = min(best, time.perf_counter() - t)
        result["esci"] = {"pairs": len(pairs), "seconds": best, "pairsPerSec": len(pairs) / best}
        if cfg.get("logitsOut"):
            np.asarray(logits, dtype="<f4").tofile(cfg["logitsOut"])
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["peakRssMiB"] = usage.ru_maxrss / 1024
    result["cpuMs"] = (usage.ru_utime + usage.ru_stime) * 1e3  # run.mjs subtracts this to see other jobs' load
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

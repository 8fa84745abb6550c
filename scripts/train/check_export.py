#!/tmp/ref/bin/python
"""Second half of scripts/train/check-export.mjs: load esci's training outputs in Python.

For each run: AutoModelForSequenceClassification.from_pretrained(output, output_loading_info=True)
must report no missing, unexpected or mismatched keys; sentence-transformers' CrossEncoder and
transformers must give esci's logits on the run's pairs (max |Δ| recorded, required ≤ 1e-4); the
config's dtype must be float32. Writes <out>.json and <out>.md.
"""

import datetime
import json
import platform
import sys

import numpy as np
import torch
import transformers
import sentence_transformers
from sentence_transformers import CrossEncoder
from transformers import AutoModelForSequenceClassification, AutoTokenizer


def main() -> None:
    runs = json.load(open(sys.argv[1], encoding="utf-8"))
    out = sys.argv[2]
    rows = []
    for r in runs:
        model, info = AutoModelForSequenceClassification.from_pretrained(r["output"], output_loading_info=True, dtype=torch.float32)
        model.eval()
        tok = AutoTokenizer.from_pretrained(r["output"])
        q = [p[0] for p in r["pairs"]]
        d = [p[1] for p in r["pairs"]]
        with torch.no_grad():
            hf = model(**tok(q, d, truncation="longest_first", max_length=32, padding=True, return_tensors="pt")).logits.double().numpy()
        ce = CrossEncoder(r["output"], max_length=32, activation_fn=torch.nn.Identity())
        st = np.asarray(ce.predict([tuple(p) for p in r["pairs"]]), dtype=np.float64).reshape(hf.shape)
        esci = np.asarray(r["logits"], dtype=np.float64)
        row = {
            "base": r["base"],
            "architecture": model.config.architectures[0],
            "dtype": str(model.config.dtype).replace("torch.", ""),
            "missing": sorted(info["missing_keys"]),
            "unexpected": sorted(info["unexpected_keys"]),
            "mismatched": sorted(str(m[0]) for m in info["mismatched_keys"]),
            "max_abs_diff_transformers": float(np.max(np.abs(hf - esci))),
            "max_abs_diff_cross_encoder": float(np.max(np.abs(st - esci))),
        }
        row["ok"] = not (row["missing"] or row["unexpected"] or row["mismatched"]) and row["dtype"] == "float32" and max(row["max_abs_diff_transformers"], row["max_abs_diff_cross_encoder"]) <= 1e-4
        rows.append(row)
    meta = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "machine": platform.machine(),
            "transformers": transformers.__version__, "sentence_transformers": sentence_transformers.__version__, "torch": torch.__version__}
    with open(out + ".json", "w", encoding="utf-8") as f:
        json.dump({"meta": meta, "runs": rows}, f, indent=1)
        f.write("\n")
    lines = [
        "# `esci train` outputs loaded in Python",
        "",
        f"Written by scripts/train/check-export.mjs on {meta['date']} ({meta['machine']}; transformers {meta['transformers']}, "
        f"sentence-transformers {meta['sentence_transformers']}, torch {meta['torch']}). One short epoch from each base; "
        "logits of 8 pairs from esci's CrossEncoder against transformers and sentence-transformers' CrossEncoder.",
        "",
        "| base | saved as | config dtype | missing / unexpected / mismatched keys | max \\|Δ\\| transformers | max \\|Δ\\| CrossEncoder | ok |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        keys = " / ".join(str(len(r[k])) for k in ("missing", "unexpected", "mismatched"))
        lines.append(f"| `{r['base']}` | {r['architecture']} | {r['dtype']} | {keys} | {r['max_abs_diff_transformers']:.1e} | {r['max_abs_diff_cross_encoder']:.1e} | {'yes' if r['ok'] else 'NO'} |")
    with open(out + ".md", "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    if not all(r["ok"] for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Reference values for test/esci/metrics.test.ts, computed once with scikit-learn.

Run with Debian's python3 (python3-sklearn, python3-numpy):
    /usr/bin/python3 scripts/esci/make_metric_fixtures.py
Writes test/esci/fixtures/sklearn-classification.json and sklearn-ndcg.json. Tests never run
Python; they compare against these committed files.

Classification cases call sklearn exactly as the KDD Cup 2022 baselines did
(amazon-science/esci-data classification_identification/inference.py: f1_score(gold, pred,
average=...), labels=None). nDCG cases have no score ties and every judged product in the run,
where sklearn's ndcg_score (linear gain, log2(rank + 1) discount, 0 for an all-zero ideal) equals
trec_eval's ndcg under -c -J.
"""
import json
import os
import warnings

import numpy as np
import sklearn
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, ndcg_score, precision_recall_fscore_support

warnings.filterwarnings("ignore")  # zero_division warnings: the 0 result is what we test

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "esci", "fixtures")
ESCI = ["E", "S", "C", "I"]
GAINS = {"E": 1.0, "S": 0.1, "C": 0.01, "I": 0.0}


def classification_case(name, gold, pred):
    labels = sorted(set(gold) | set(pred))
    p, r, f, s = precision_recall_fscore_support(gold, pred, labels=labels, zero_division=0)
    return {
        "name": name,
        "gold": list(gold),
        "pred": list(pred),
        "labels": labels,
        "accuracy": float(accuracy_score(gold, pred)),
        "micro_f1": float(f1_score(gold, pred, average="micro")),
        "macro_f1": float(f1_score(gold, pred, average="macro")),
        "weighted_f1": float(f1_score(gold, pred, average="weighted")),
        "per_class": {l: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])} for i, l in enumerate(labels)},
        "confusion": confusion_matrix(gold, pred, labels=labels).tolist(),
    }


def main():
    rng = np.random.default_rng(20220815)
    cases = []
    # Random ESCI-like cases with the dataset's skew (E ≫ I > S > C) and a noisy classifier.
    for n, acc in [(10, 0.6), (57, 0.7), (400, 0.65), (1000, 0.8)]:
        gold = rng.choice(ESCI, size=n, p=[0.65, 0.22, 0.03, 0.10])
        pred = np.where(rng.random(n) < acc, gold, rng.choice(ESCI, size=n, p=[0.7, 0.2, 0.02, 0.08]))
        cases.append(classification_case(f"random n={n}", gold.tolist(), pred.tolist()))
    # A class predicted but never gold, a class gold but never predicted.
    cases.append(classification_case("absent classes", ["E", "E", "S", "I", "I"], ["E", "C", "E", "I", "E"]))
    # Only one label everywhere.
    cases.append(classification_case("one label", ["E", "E", "E"], ["E", "E", "E"]))
    # Task 3's binary view (S → substitute, else no_substitute).
    gold = rng.choice(ESCI, size=300, p=[0.65, 0.22, 0.03, 0.10])
    pred = np.where(rng.random(300) < 0.7, gold, rng.choice(ESCI, size=300))
    to_bin = lambda a: ["substitute" if x == "S" else "no_substitute" for x in a]
    t3 = classification_case("task3 binary", to_bin(gold), to_bin(pred))
    t3["esci_gold"] = gold.tolist()
    t3["esci_pred"] = pred.tolist()
    cases.append(t3)

    ndcg_cases = []
    for qn in [3, 8, 25]:
        queries = []
        for _ in range(qn):
            k = int(rng.integers(1, 30))
            labels = rng.choice(ESCI, size=k, p=[0.5, 0.2, 0.1, 0.2]).tolist()
            if rng.random() < 0.1:
                labels = ["I"] * k  # ideal DCG 0
            gains = [GAINS[l] for l in labels]
            scores = rng.permutation(k).astype(float) / k + rng.random(k) * 1e-3  # distinct scores
            if k == 1:
                per = 0.0 if gains[0] == 0 else 1.0  # ndcg_score needs 2+ documents
            else:
                per = float(ndcg_score([gains], [scores.tolist()]))
            queries.append({"labels": labels, "scores": scores.tolist(), "ndcg": per})
        ndcg_cases.append({"name": f"{qn} queries", "queries": queries, "mean": float(np.mean([q["ndcg"] for q in queries]))})

    meta = {"generator": "scripts/esci/make_metric_fixtures.py", "sklearn": sklearn.__version__, "numpy": np.__version__}
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "sklearn-classification.json"), "w") as fh:
        json.dump({**meta, "cases": cases}, fh, indent=1)
        fh.write("\n")
    with open(os.path.join(OUT, "sklearn-ndcg.json"), "w") as fh:
        json.dump({**meta, "cases": ndcg_cases}, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Fit the kind detector's weights (rubrics/kind-detector.json) on the labelled dev splits.

    .venv/bin/python scripts/fit_kind_detector.py          # fit, report, write the file
    .venv/bin/python scripts/fit_kind_detector.py --check  # fit and report only

Trains on the splits that are tuned on: the original specs, specs/dev and the original notes.
The held-out rounds (specs/blind, specs/round2..., notes/blind, notes/round2...) are never read
here: the eval tests measure the fitted weights on them. Refit after changing a rubric's
``detect`` cues, the vocabulary's word forms or the dev labels.

A multinomial logistic regression, fitted by full-batch gradient descent from zeros, so the same
data gives the same weights. Needs numpy (the ``local`` extra installs it); the runtime does not.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from translator.rubric.api import read_spec  # noqa: E402
from translator.rubric.document import parse_document  # noqa: E402
from translator.rubric.kind_detector import DETECTOR_FILE, kind_features  # noqa: E402
from translator.rubric.loader import builtin_kinds  # noqa: E402
from translator.sources import read_notes  # noqa: E402

EVAL = ROOT / "eval_sets"
SPEC_SPLITS = (EVAL / "specs", EVAL / "specs" / "dev")
NOTES_SPLITS = (EVAL / "notes",)
# Settings chosen by five-fold cross-validation on the training splits (see --check's table).
MIN_DOCUMENTS = 5  # a word feature must occur in this many training documents
KEEP_WORDS = 400  # the word features kept, by their largest weight; the cue features are all kept
L2 = 0.003
STEPS = 1500
RATE = 0.5
CONFIDENCES = (0.0, 0.3, 0.4, 0.5, 0.6)
CONFIDENCE = 0.3  # below it the detector says it is unsure and the document is general


def training_documents() -> list[tuple[str, dict[str, float], str]]:
    """(file, features, labelled kind) for every labelled document of the training splits."""
    rows = []
    for folder in SPEC_SPLITS:
        for entry in yaml.safe_load((folder / "labels.yaml").read_text(encoding="utf-8")):
            path = folder / entry["file"]
            doc = parse_document(read_spec(str(path)), str(path))
            rows.append((f"{folder.name}/{entry['file']}", kind_features(doc), entry["kind"]))
    for folder in NOTES_SPLITS:
        for entry in yaml.safe_load((folder / "labels.yaml").read_text(encoding="utf-8")):
            notes = read_notes(folder / entry["file"])
            doc = parse_document(notes.text)
            rows.append((f"{folder.name}/{entry['file']}", kind_features(doc, title=notes.title), entry["kind"]))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fit and report, do not write the weights")
    args = parser.parse_args()
    try:
        import numpy as np
    except ImportError:
        print("fit_kind_detector: needs numpy (pip install numpy, or the project's local extra)", file=sys.stderr)
        return 2

    classes = sorted(builtin_kinds())
    rows = training_documents()
    labels = np.array([classes.index(kind) for _, _, kind in rows])

    def vocabulary(indices: list[int]) -> list[str]:
        counts = Counter(name for i in indices for name in rows[i][1])
        return sorted(name for name, count in counts.items() if count >= MIN_DOCUMENTS or not _is_word(name))

    def matrix(indices: list[int], names: list[str]) -> np.ndarray:
        column = {name: number for number, name in enumerate(names)}
        x = np.zeros((len(indices), len(names)))
        for row, i in enumerate(indices):
            for name, value in rows[i][1].items():
                if name in column:
                    x[row, column[name]] = value
        return x

    def fit(indices: list[int], names: list[str]) -> tuple[np.ndarray, np.ndarray]:
        x, y = matrix(indices, names), np.eye(len(classes))[labels[indices]]
        weights, bias = np.zeros((len(names), len(classes))), np.zeros(len(classes))
        for _ in range(STEPS):
            z = x @ weights + bias
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            weights -= RATE * (x.T @ (p - y) / len(indices) + L2 * weights)
            bias -= RATE * (p - y).mean(axis=0)
        return weights, bias

    def fit_pruned(indices: list[int]) -> tuple[list[str], np.ndarray, np.ndarray]:
        names = vocabulary(indices)
        weights, bias = fit(indices, names)
        strength = np.abs(weights).max(axis=1)
        words = sorted((n for n in names if _is_word(n)), key=lambda n: -strength[names.index(n)])
        kept = sorted([n for n in names if not _is_word(n)] + words[:KEEP_WORDS])
        weights, bias = fit(indices, kept)
        return kept, weights, bias

    def probabilities(indices: list[int], names: list[str], weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
        z = matrix(indices, names) @ weights + bias
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def decide(p: np.ndarray, confidence: float) -> np.ndarray:
        best = p.argmax(axis=1)
        return np.where(p.max(axis=1) >= confidence, best, classes.index("general"))

    order = np.random.default_rng(0).permutation(len(rows))
    right = Counter[float]()
    for fold in np.array_split(order, 5):
        held = [int(i) for i in fold]
        train = [i for i in range(len(rows)) if i not in set(held)]
        names, weights, bias = fit_pruned(train)
        p = probabilities(held, names, weights, bias)
        for confidence in CONFIDENCES:
            right[confidence] += int((decide(p, confidence) == labels[held]).sum())
    print(f"{len(rows)} training documents; five-fold cross-validated accuracy by confidence threshold:")
    for confidence in CONFIDENCES:
        mark = "  <- used" if confidence == CONFIDENCE else ""
        print(f"  {confidence:.1f}: {right[confidence]}/{len(rows)} ({right[confidence] / len(rows):.1%}){mark}")

    names, weights, bias = fit_pruned(list(range(len(rows))))
    fitted = decide(probabilities(list(range(len(rows))), names, weights, bias), CONFIDENCE)
    print(f"on the training documents themselves: {int((fitted == labels).sum())}/{len(rows)}")
    if args.check:
        return 0
    out = {
        "about": (
            "Weights of translator/rubric/kind_detector.py, fitted by scripts/fit_kind_detector.py on "
            "eval_sets/specs, eval_sets/specs/dev and eval_sets/notes. Do not edit by hand: refit."
        ),
        "documents": len(rows),
        "cross_validated_accuracy": round(right[CONFIDENCE] / len(rows), 4),
        "confidence": CONFIDENCE,
        "classes": classes,
        "bias": [round(float(b), 4) for b in bias],
        "weights": {name: [round(float(w), 4) for w in weights[n]] for n, name in enumerate(names)},
    }
    target = ROOT / "rubrics" / DETECTOR_FILE
    # One feature a line, so that a refit reads as a diff of the features whose weights moved.
    head = json.dumps({k: v for k, v in out.items() if k != "weights"}, indent=1)[:-2]
    rows_text = ",\n".join(f" {json.dumps(name)}: {json.dumps(row)}" for name, row in out["weights"].items())  # type: ignore[union-attr]
    target.write_text(f'{head},\n "weights": {{\n{rows_text}\n }}\n}}\n', encoding="utf-8")
    print(f"wrote {target.relative_to(ROOT)}: {len(names)} features")
    return 0


def _is_word(name: str) -> bool:
    """A word feature ("t:fraud", "b:latenc"), not a cue count ("risk-brief:title")."""
    return name[:2] in ("t:", "h:", "b:")


if __name__ == "__main__":
    sys.exit(main())

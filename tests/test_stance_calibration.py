"""The encoder's calibration: the grid search with its story folds, and calibrating an exported
model again (`export --from-model`) through the product path."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from monitor.stance import encoder
from monitor.stance.encoder import EncoderStance, ModelCard, packaged_model_dir
from monitor.stance.lexical import ArticleText
from monitor.stance.training import calibration, export
from monitor.stance.training.calibration import (
    Calibration,
    DevReadings,
    choose,
    predict,
    story_folds,
)
from monitor.stance.training.fnc1 import LABELS, load, split_train
from tests.fixtures_paths import require_shared

AGREE, DISAGREE, DISCUSS, UNRELATED = range(4)


def test_folds_hold_whole_stories_and_are_reproducible() -> None:
    story = np.array([n // 3 for n in range(60)])  # 20 stories of 3 pairs
    folds = story_folds(story)
    assert (folds == story_folds(story)).all()
    for number in range(20):
        assert len(set(folds[story == number])) == 1
    assert sorted(set(folds.tolist())) == list(range(calibration.FOLDS))


def readings(unrelated_right_when_related: bool, short_related: bool = False) -> DevReadings:
    """40 stories: agree and discuss pairs the encoder gets right, and pairs it calls unrelated
    at high relatedness (0.8) whose gold label is discuss, or unrelated. With `short_related`,
    a fifth pair in each: a short article under the usual floor (0.18) that the encoder reads
    right as agreeing."""
    rng = np.random.default_rng(7)
    gold, logp, related = [], [], []
    confident = {
        AGREE: [0.9, 0.02, 0.06, 0.02],
        DISCUSS: [0.05, 0.02, 0.9, 0.03],
        UNRELATED: [0.03, 0.02, 0.1, 0.85],
    }
    for _ in range(40):
        for label in (AGREE, DISCUSS, DISCUSS):
            gold.append(label)
            logp.append(np.log(confident[label]))
            related.append(rng.uniform(0.4, 1.0))
        gold.append(UNRELATED if unrelated_right_when_related else DISCUSS)
        logp.append(np.log(confident[UNRELATED]))
        related.append(0.8)
        if short_related:
            gold.append(AGREE)
            logp.append(np.log(confident[AGREE]))
            related.append(0.18)
    size = len(gold)
    per_story = 5 if short_related else 4
    return DevReadings(
        gold=np.array(gold),
        logp=np.array(logp),
        relatedness=np.array(related),
        cue=np.full(size, DISCUSS),
        short=np.array([n % per_story == 4 for n in range(size)]),
        blocks_support=np.zeros(size, dtype=bool),
        lead_denial=np.zeros(size, dtype=bool),
        story=np.arange(size) // per_story,
    )


@pytest.fixture
def small_grid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(calibration, "BIASES", (0.0,))
    monkeypatch.setattr(calibration, "BONUSES", (0.0,))
    monkeypatch.setattr(calibration, "HEDGE_BONUSES", (0.0,))


def test_the_search_stops_trusting_unrelated_where_it_is_wrong_on_related_articles(
    small_grid: None,
) -> None:
    chosen, cross_validated = choose(readings(unrelated_right_when_related=False))
    assert chosen.unrelated_slope < 0
    assert cross_validated["fnc_score"] == 100.0
    assert cross_validated["folds"] == calibration.FOLDS


def test_the_search_keeps_unrelated_where_the_encoder_is_right(small_grid: None) -> None:
    chosen, cross_validated = choose(readings(unrelated_right_when_related=True))
    assert chosen.unrelated_slope == 0.0
    assert cross_validated["macro_f1"] == pytest.approx(0.75)  # no disagree pairs to score


def test_short_articles_get_their_own_floor_where_the_encoder_reads_them_right(
    small_grid: None,
) -> None:
    chosen, _ = choose(readings(unrelated_right_when_related=True, short_related=True))
    assert chosen.related_floor == 0.4  # the highest on a tie
    assert chosen.floor_of_short == max(f for f in calibration.SHORT_FLOORS if f <= 0.18)
    assert chosen.card_fields()["short_floor"] == chosen.floor_of_short
    # Without such pairs, short articles keep the usual floor (the highest on a tie).
    plain, _ = choose(readings(unrelated_right_when_related=True))
    assert plain.floor_of_short == plain.related_floor


def test_predict_replays_the_floors_the_guards_and_the_denying_lead() -> None:
    base = readings(unrelated_right_when_related=True)
    rows = 6
    custom = DevReadings(
        gold=base.gold[:rows],
        logp=np.log(np.array([[0.9, 0.02, 0.06, 0.02]] * rows)),
        relatedness=np.array([0.2, 0.8, 0.8, 0.8, 0.2, 0.1]),
        cue=np.full(rows, AGREE),
        short=np.array([False, False, False, False, True, True]),
        blocks_support=np.array([False, False, True, False, False, False]),
        lead_denial=np.array([False, False, False, True, False, False]),
        story=np.arange(rows),
    )
    plain = Calibration(0.3, (0.0,) * 4, (0.0,) * 4, 0.0)  # type: ignore[arg-type]
    agreeing = [UNRELATED, AGREE, DISCUSS, DISAGREE]
    assert predict(custom, plain).tolist() == [*agreeing, UNRELATED, UNRELATED]
    short = replace(plain, short_floor=0.15)
    assert predict(custom, short).tolist() == [*agreeing, AGREE, UNRELATED]
    # Under the usual floor the unrelated slope adds nothing: a short article's pair past its
    # own floor is the encoder's to call.
    sloped = replace(short, unrelated_slope=-24.0)
    assert predict(custom, sloped).tolist() == [*agreeing, AGREE, UNRELATED]


@pytest.fixture(scope="module")
def fnc1_split(shared_data: Path) -> tuple[list[Any], list[Any]]:
    return split_train(load(require_shared(shared_data / "fnc1"), "train"))


@pytest.fixture(scope="module")
def dev_sample(fnc1_split: tuple[list[Any], list[Any]]) -> list[Any]:
    _, dev = fnc1_split
    # The first 400 pairs, and 120 more of articles short enough for their own floor.
    short = [e for e in dev[400:] if ArticleText.read(e.body).words <= calibration.SHORT_WORDS]
    return dev[:400] + short[:120]


def test_the_replay_gives_the_product_paths_verdicts(dev_sample: list[Any]) -> None:
    model = EncoderStance()
    card = model.card
    shipped = Calibration.of_card(card)
    replayed = predict(export.read_dev(model.directory, dev_sample, card.negation), shipped)
    judged = model.judge_many([(e.claim, e.body) for e in dev_sample])
    assert [LABELS[k] for k in replayed] == [export.STANCE_LABELS[j.stance] for j in judged]
    assert sum(label != UNRELATED for label in replayed) > 50  # the encoder ran
    assert card.short_words == calibration.SHORT_WORDS
    assert card.short_floor < card.related_floor  # short articles are read below the floor


def test_an_exported_model_is_calibrated_again_without_its_checkpoint(
    tmp_path: Path, dev_sample: list[Any], small_grid: None
) -> None:
    out = tmp_path / "model"
    out.mkdir()
    card = export.copied_card(packaged_model_dir(), out, "test-recalibrated")
    export.finish(out, card, dev_sample)  # raises if the product path and the replay disagree
    written = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert written["version"] == "test-recalibrated"
    assert written["calibrated_from"] == ModelCard.read(packaged_model_dir()).version
    assert written["dev"]["pairs"] == len(dev_sample)
    assert written["dev_cross_validated"]["folds"] == calibration.FOLDS
    recorded = json.loads((out / "recorded.json").read_text(encoding="utf-8"))
    model = EncoderStance(out)
    for row in recorded["own"]:
        judgement = model.judge(row["claim"], row["article"])
        assert (judgement.stance.value, judgement.confidence) == (row["stance"], row["confidence"])
        assert judgement.model_version == "test-recalibrated"


@pytest.mark.parametrize("rewrite", ["separate-outliers", "scale-per-token"])
def test_a_model_with_its_activation_rounding_rewritten_is_calibrated_on_the_product_path(
    rewrite: str,
    tmp_path: Path,
    fnc1_split: tuple[list[Any], list[Any]],
    dev_sample: list[Any],
    small_grid: None,
) -> None:
    """`export --from-model --separate-outliers` or `--scale-per-token`: the product loads the
    rewritten graph (on this CPU's kernel), and the calibration's replay of it gives the
    product's verdicts."""
    out = tmp_path / "model"
    out.mkdir()
    card = export.copied_card(packaged_model_dir(), out, "test-" + rewrite)
    if rewrite == "separate-outliers":
        fit, _ = fnc1_split
        assert export.separate_outliers(out, card, fit, dev_sample, count=30)
    else:
        assert export.scale_per_token(out, card, dev_sample, count=30)
    export.finish(out, card, dev_sample)  # raises if the product path and the replay disagree
    written = json.loads((out / "model.json").read_text(encoding="utf-8"))
    record = written["outliers" if rewrite == "separate-outliers" else "activation_scales"]
    assert record["distance_to_float"]["int8"] > 0
    assert written["onnx_sha256"] != ModelCard.read(packaged_model_dir()).onnx_sha256
    model = EncoderStance(out)
    recorded = json.loads((out / "recorded.json").read_text(encoding="utf-8"))
    judged = model.judge_many([(row["claim"], row["article"]) for row in recorded["own"]])
    assert [j.stance.value for j in judged] == [row["stance"] for row in recorded["own"]]


def test_recalibrating_into_the_source_directory_is_refused(tmp_path: Path) -> None:
    shutil.copytree(packaged_model_dir(), tmp_path / "model")
    with pytest.raises(SystemExit) as exit_info:
        export.main(["--from-model", str(tmp_path / "model"), "--out", str(tmp_path / "model")])
    assert exit_info.value.code == 2
    assert encoder.ModelCard.read(tmp_path / "model") == ModelCard.read(packaged_model_dir())


def test_the_encoder_reads_the_dev_pairs_from_the_lowest_floor_for_their_length() -> None:
    base = readings(False, short_related=True)
    relatedness = np.array([0.05, 0.12, 0.12, 0.2, 0.3])
    short = np.array([True, True, False, False, False])
    rows = replace(
        base,
        gold=base.gold[:5],
        logp=base.logp[:5],
        relatedness=relatedness,
        cue=base.cue[:5],
        short=short,
        blocks_support=base.blocks_support[:5],
        lead_denial=base.lead_denial[:5],
        story=base.story[:5],
    )
    # Short articles from 0.1 (the lowest short floor), the others from 0.3.
    assert rows.encoded.tolist() == [False, True, False, False, True]
    assert calibration.lowest_floor(short=True) == min(calibration.SHORT_FLOORS) == 0.1
    assert calibration.lowest_floor(short=False) == min(calibration.FLOORS) == 0.3

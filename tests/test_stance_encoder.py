"""The shipped stance model: it loads lazily, checks its weights, and reproduces its recorded
predictions (written by `monitor.stance.training.export` when the model was built)."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from monitor.db import claims as claim_rows
from monitor.sandbox import Sandbox
from monitor.settings import FetchSettings
from monitor.stance.encoder import EncoderStance, ModelCard, packaged_model_dir
from monitor.stance.training.fnc1 import load, split_train
from monitor.stance.types import Stance
from monitor.watchlist import default_stance_model
from tests.fixtures_http import LoopbackHTTPServer
from tests.fixtures_paths import require_shared
from tests.stories import DENIAL, REPORT, SUPPORT, SUPPORT_OTHER_WORDS, TESLA
from tests.test_claims_pipeline import bundled_world, followed_feed, publish

MODEL = packaged_model_dir()
# Confidences are rounded to 3 places; another CPU's int8 kernels may move the last one.
TOLERANCE = 0.002


def recorded() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((MODEL / "recorded.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def model() -> EncoderStance:
    return EncoderStance()


def test_the_product_uses_the_shipped_model() -> None:
    model = default_stance_model()
    assert isinstance(model, EncoderStance)
    card = ModelCard.read(MODEL)
    assert model.version == card.version
    assert hashlib.sha256((MODEL / "model.onnx").read_bytes()).hexdigest() == card.onnx_sha256


def test_the_model_card_records_its_provenance_and_dev_calibration() -> None:
    data = json.loads((MODEL / "model.json").read_text(encoding="utf-8"))
    assert data["base_model"]["license"] == "Apache-2.0"
    assert "FNC-1 train" in data["training_data"]
    assert data["dev"]["pairs"] > 1000
    assert 0.0 < data["alert_floor"] < 1.0


def test_it_reproduces_its_recorded_predictions_on_its_own_sample(model: EncoderStance) -> None:
    rows = recorded()["own"]
    judged = model.judge_many([(row["claim"], row["article"]) for row in rows])
    for row, judgement in zip(rows, judged, strict=True):
        assert judgement.stance.value == row["stance"], row["article"]
        assert judgement.confidence == pytest.approx(row["confidence"], abs=TOLERANCE)
        assert judgement.model_version == model.version


def test_it_reproduces_its_recorded_predictions_on_fnc1_dev_pairs(
    model: EncoderStance, shared_data: Path
) -> None:
    _, dev = split_train(load(require_shared(shared_data / "fnc1"), "train"))
    rows = recorded()["fnc1_train_dev_first_40"]
    pairs = [dev[row["dev_index"]] for row in rows]
    assert [p.body_id for p in pairs] == [row["body_id"] for row in rows]
    judged = model.judge_many([(p.claim, p.body) for p in pairs])
    for row, judgement in zip(rows, judged, strict=True):
        assert judgement.stance.value == row["stance"], row
        assert judgement.confidence == pytest.approx(row["confidence"], abs=TOLERANCE)


def test_a_pair_gets_the_same_answer_alone_or_among_others(model: EncoderStance) -> None:
    rows = recorded()["own"]
    pairs = [(row["claim"], row["article"]) for row in rows]
    together = model.judge_many(pairs + pairs[::-1])
    alone = [model.judge(claim, article) for claim, article in pairs]
    assert together[: len(pairs)] == alone
    assert together[len(pairs) :] == alone[::-1]


def test_the_runtime_is_loaded_only_when_a_pair_reaches_the_encoder() -> None:
    model = EncoderStance()
    off_topic = model.judge("The mayor resigned on Monday.", "Rain is expected in Lisbon.")
    assert off_topic.stance is Stance.UNRELATED
    assert not model.loaded
    model.judge("The mayor resigned on Monday.", "The mayor resigned on Monday, her office said.")
    assert model.loaded


def test_recently_judged_articles_are_kept_split_up_to_the_cache_size() -> None:
    model = EncoderStance(article_cache=3)
    claim = "The mayor resigned on Monday."
    model.judge_many([(claim, f"Rain on day {n} in Lisbon.") for n in range(10)])
    assert model.articles_cached == 3


def test_tampered_weights_are_refused_with_a_clear_error(tmp_path: Path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(MODEL, copy)
    with (copy / "model.onnx").open("ab") as weights:
        weights.write(b"\0")
    model = EncoderStance(copy)
    with pytest.raises(RuntimeError, match="sha256"):
        model.judge("The mayor resigned on Monday.", "The mayor resigned on Monday, she said.")


def test_a_missing_model_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"model\.json"):
        EncoderStance(tmp_path / "nowhere")


CONTACT = "Elon Musk has been in regular contact with Vladimir Putin since late 2022."
STARLINK = (
    "Vladimir Putin asked Elon Musk not to activate Starlink over Taiwan, as a favour to Chinese "
    "President Xi Jinping."
)
ROLE = "Donald Trump plans to give Elon Musk a government role."
ROLE_DENIED = "Donald Trump will not give Elon Musk a government role, his campaign said on Monday."
ONE_LINE_DENIAL = (
    "Kremlin spokesman Dmitry Peskov on Friday denied that Musk and Putin talk regularly,"
    " saying there was only one call, about space and technology."
)
KREMLIN_CONFIRMS = (
    "The Kremlin confirmed on Tuesday that Elon Musk and Vladimir Putin have been in regular"
    " contact since late 2022."
)


@pytest.mark.parametrize(
    ("claim", "article", "expected"),
    [
        (CONTACT, " ".join(DENIAL), Stance.REFUTES),
        (CONTACT, " ".join(SUPPORT), Stance.SUPPORTS),
        (CONTACT, KREMLIN_CONFIRMS, Stance.SUPPORTS),
        (CONTACT, " ".join(REPORT), Stance.REPORTS),
        (CONTACT, " ".join(TESLA), Stance.UNRELATED),  # same people, another subject
        (STARLINK, " ".join(REPORT), Stance.REPORTS),
        # Known misses of minilm-fnc1-v1, kept strict so a better model has to say so.
        pytest.param(
            CONTACT,
            ONE_LINE_DENIAL,
            Stance.REFUTES,
            marks=pytest.mark.xfail(strict=True, reason="a one-sentence denial reads as reports"),
        ),
        pytest.param(
            CONTACT,
            " ".join(SUPPORT_OTHER_WORDS),
            Stance.SUPPORTS,
            marks=pytest.mark.xfail(strict=True, reason="paraphrased confirmation: reports"),
        ),
        pytest.param(
            STARLINK,
            " ".join(SUPPORT),
            Stance.REPORTS,
            marks=pytest.mark.xfail(strict=True, reason="wrongly refutes an unrelated detail"),
        ),
    ],
)
def test_the_shipped_model_on_the_projects_own_examples(
    model: EncoderStance, claim: str, article: str, expected: Stance
) -> None:
    assert model.judge(claim, article).stance is expected


def test_a_negated_claim_is_never_read_as_support(model: EncoderStance) -> None:
    """The negation guard: the encoder alone calls this "supports" (0.9)."""
    probabilities = model._loaded().probabilities([(ROLE, ROLE_DENIED)])[0]
    assert probabilities.argmax() == 0  # what the guard is there for
    judgement = model.judge(ROLE, ROLE_DENIED)
    assert judgement.stance is Stance.REPORTS
    assert judgement.quote == ROLE_DENIED


@pytest.fixture(scope="module")
def pool() -> Iterator[Sandbox]:
    with Sandbox(workers=1, memory_limit=1024**3, preload=("monitor.parse",)) as sandbox:
        yield sandbox


def test_the_pipeline_stores_the_shipped_models_verdict_and_version(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings, engine: Engine, pool: Sandbox
) -> None:
    world = bundled_world(http_server, fetch_settings, engine, pool, model=None)
    feed = followed_feed(world, "/kremlin.xml")
    publish(world, "/kremlin.xml", [("wire-a.test", "Kremlin denies contact", DENIAL)])
    [result] = world.poll(feed)
    assert ("musk-putin-regular-contact", "refutes") in {
        (e.claim_id, e.stance) for e in result.evidence
    }
    with world.db.sessions() as session:
        stored = claim_rows.evidence_for(session, [e.claim_id for e in result.evidence])
    assert stored
    assert {row.model_version for row in stored} == {ModelCard.read(MODEL).version}

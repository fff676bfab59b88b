"""The shipped stance model: it loads lazily, checks its weights, and reproduces its recorded
predictions (written by `monitor.stance.training.export` when the model was built)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from monitor.claim_updates import claim_summaries
from monitor.db import claims as claim_rows
from monitor.sandbox import Sandbox
from monitor.settings import FetchSettings
from monitor.stance.encoder import EncoderStance, ModelCard, decide_label, packaged_model_dir
from monitor.stance.lexical import ArticleText
from monitor.stance.passage import MAX_WORDS, select_passage
from monitor.stance.rules import CueReading, RuleStance
from monitor.stance.training.fnc1 import load, split_train
from monitor.stance.types import Stance
from monitor.watchlist import default_stance_model
from tests.fixtures_http import LoopbackHTTPServer
from tests.fixtures_paths import require_shared
from tests.stories import CONFIRMATION, DENIAL, REPORT, SUPPORT, SUPPORT_OTHER_WORDS, TESLA
from tests.test_claims_pipeline import bundled_world, followed_feed, publish

MODEL = packaged_model_dir()
# Confidences are rounded to 3 places. Another CPU's float kernels move a rounding step of the
# activations' dynamic quantization here and there: up to 0.004 measured between the AVX2-only
# EPYC this sample was recorded on and the CPU of earlier sessions. Saturating integer kernels
# moved one by 0.41 (`export.unsigned_weights`).
TOLERANCE = 0.01


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
    # The calibration's choice, remade without each fifth of the dev stories and scored on it.
    assert data["dev_cross_validated"]["folds"] == 5
    assert 0.0 < data["dev_cross_validated"]["macro_f1"] <= data["dev"]["macro_f1"] + 0.05


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


def test_the_first_stage_settles_off_topic_pairs_and_passes_the_rest_on() -> None:
    model = EncoderStance()
    claim = "The mayor resigned on Monday."
    on_topic = "Weather: rain. The mayor resigned on Monday, her office said."
    results, pending = model.screen([(claim, "Rain is expected in Lisbon."), (claim, on_topic)])
    assert results[0] is not None and results[0].stance is Stance.UNRELATED
    assert results[1] is None
    assert [(p.position, p.claim) for p in pending] == [(1, claim)]
    assert pending[0].passage == on_topic  # short enough to be read whole
    assert pending[0].quote == "The mayor resigned on Monday, her office said."
    assert not model.loaded


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


MUSK_DENIES = (
    "Elon Musk denied on Friday that he has been in regular contact with Vladimir Putin since "
    "late 2022, calling the Wall Street Journal report false."
)
DISMISSED_AS_FALSE = (
    "The Kremlin on Friday dismissed as false a newspaper report that Elon Musk and Vladimir "
    "Putin have been in regular contact since late 2022. There was only one call, spokesman "
    "Dmitry Peskov said."
)


def miss(claim: str, article: str, expected: Stance, reason: str) -> Any:
    """A known miss: a strict expected failure, so that a model that gets it right must say so."""
    return pytest.param(
        claim, article, expected, marks=pytest.mark.xfail(strict=True, reason=reason)
    )


PESKOV = (
    "Kremlin spokesman Dmitry Peskov says Musk and Putin have spoken only once, in a phone call "
    "about space technology."
)


@pytest.mark.parametrize(
    ("claim", "article", "expected"),
    [
        (CONTACT, " ".join(DENIAL), Stance.REFUTES),  # a party's denial as the news
        (CONTACT, MUSK_DENIES, Stance.REFUTES),
        (CONTACT, DISMISSED_AS_FALSE, Stance.REFUTES),
        (ROLE, ROLE_DENIED, Stance.REFUTES),
        (CONTACT, " ".join(SUPPORT), Stance.SUPPORTS),
        (CONTACT, KREMLIN_CONFIRMS, Stance.SUPPORTS),
        (CONTACT, " ".join(REPORT), Stance.REPORTS),
        (CONTACT, " ".join(TESLA), Stance.UNRELATED),  # same people, another subject
        (PESKOV, " ".join(DENIAL), Stance.SUPPORTS),  # carries the statement
        (PESKOV, " ".join(REPORT), Stance.UNRELATED),
        # Neither article says anything about Starlink or Taiwan: unrelated, "even if it names
        # the same people". minilm-fnc1-v1 called the first one "refutes" (p=0.81); v3's
        # encoder calls it unrelated (0.82), and only the rules' cue words lift "supports".
        (STARLINK, " ".join(SUPPORT), Stance.UNRELATED),
        # Known misses of minilm-fnc1-v3, v3.1 and v3.2, kept strict so that a better model has
        # to say so.
        miss(
            STARLINK, " ".join(REPORT), Stance.UNRELATED, "reports: it relays the same WSJ report"
        ),
        miss(
            PESKOV,
            " ".join(SUPPORT),
            Stance.REFUTES,
            "reports: that 'many times' contradicts 'only once' is not seen",
        ),
        miss(CONTACT, ONE_LINE_DENIAL, Stance.REFUTES, "a one-sentence denial reads as reports"),
        miss(
            CONTACT,
            " ".join(SUPPORT_OTHER_WORDS),
            Stance.SUPPORTS,
            "reports: a paraphrased confirmation ('has not denied') is read as discuss (0.97)",
        ),
    ],
)
def test_the_shipped_model_on_the_projects_own_examples(
    model: EncoderStance, claim: str, article: str, expected: Stance
) -> None:
    assert model.judge(claim, article).stance is expected


REPORTS_ARE_FALSE = (
    "Reports that Elon Musk has been in regular contact with Vladimir Putin since late 2022 are "
    "false, the Kremlin said on Friday. Spokesman Dmitry Peskov dismissed the story as a "
    "fabrication and said there had been only one phone call."
)


def test_a_lead_that_denies_the_claim_refutes_it(model: EncoderStance) -> None:
    """The encoder alone calls this "supports" (p=0.99): FNC-1 taught it that an article which
    repeats the claim's words agrees. Its first sentence says the claim is false."""
    passage = select_passage(CONTACT, REPORTS_ARE_FALSE).text
    probabilities = model._loaded().probabilities([(CONTACT, passage)])[0]
    assert probabilities.argmax() == 0  # what the rule is there for
    judgement = model.judge(CONTACT, REPORTS_ARE_FALSE)
    assert judgement.stance is Stance.REFUTES
    assert judgement.quote.startswith("Reports that Elon Musk")


def reading(
    *,
    contradicted: bool = False,
    lead_denial: bool = False,
    carried: bool | None = None,
    relatedness: float = 0.8,
) -> CueReading:
    return CueReading(relatedness, Stance.SUPPORTS, contradicted, lead_denial, carried)


def test_a_statement_claim_is_supported_only_by_an_article_that_carries_the_statement(
    model: EncoderStance,
) -> None:
    """minilm-fnc1-v2's encoder read "the Kremlin confirmed the calls" as agreeing with "Peskov
    says they spoke only once" (0.78); through the watchlist's `denies` link that would count
    against the regular-contact claim. The guard keeps any model from doing so."""
    assert model.judge(PESKOV, " ".join(DENIAL)).stance is Stance.SUPPORTS
    for story in (SUPPORT, CONFIRMATION):
        assert model.judge(PESKOV, " ".join(story)).stance is not Stance.SUPPORTS
    not_carried = model._decide(CONFIDENT_SUPPORT, 0, reading(carried=False), "quote")
    assert not_carried.stance is Stance.REPORTS
    carried = model._decide(CONFIDENT_SUPPORT, 0, reading(carried=True), "quote")
    assert carried.stance is Stance.SUPPORTS


CONFIDENT_SUPPORT = [0.9, 0.02, 0.06, 0.02]


def test_support_from_the_encoder_stands_when_the_rules_see_no_contradiction(
    model: EncoderStance,
) -> None:
    judgement = model._decide(CONFIDENT_SUPPORT, 0, reading(), "quote")
    assert (judgement.stance, judgement.confidence) == (Stance.SUPPORTS, 0.9)


def test_a_quote_that_contradicts_the_claim_is_never_support(model: EncoderStance) -> None:
    judgement = model._decide(CONFIDENT_SUPPORT, 0, reading(contradicted=True), "quote")
    assert judgement.stance is Stance.REPORTS
    assert judgement.confidence == pytest.approx(0.96)


def test_a_denying_lead_turns_support_or_report_into_refutes(model: EncoderStance) -> None:
    judgement = model._decide(CONFIDENT_SUPPORT, 0, reading(lead_denial=True), "quote")
    assert judgement.stance is Stance.REFUTES
    assert judgement.confidence == pytest.approx(0.98)  # the encoder's "it is related"
    at_the_floor = reading(lead_denial=True, relatedness=model.card.related_floor)
    unrelated = model._decide([0.01, 0.01, 0.03, 0.95], 3, at_the_floor, "quote")
    assert unrelated.stance is Stance.UNRELATED


def test_the_encoders_unrelated_counts_less_the_more_claim_words_an_article_carries(
    model: EncoderStance,
) -> None:
    """On FNC-1 dev the encoder's "unrelated" was wrong for 73 of its 78 calls on articles with
    relatedness 0.6 or more; the calibration chose to trust it less as relatedness grows."""
    card = model.card
    assert card.unrelated_slope < 0
    off_topic = [0.01, 0.01, 0.2, 0.78]
    floor = card.related_floor
    assert decide_label(off_topic, 2, card.label_bias, card.rule_bonus) == 3
    assert card.unrelated_shift(floor) == 0.0
    near = model._decide(off_topic, 2, reading(relatedness=floor), "quote")
    assert near.stance is Stance.UNRELATED
    far = model._decide(off_topic, 2, reading(relatedness=0.8), "quote")
    assert (far.stance, far.quote) == (Stance.REPORTS, "quote")


def test_a_model_card_without_an_unrelated_slope_trusts_the_encoder_everywhere(
    tmp_path: Path,
) -> None:
    card = json.loads((MODEL / "model.json").read_text(encoding="utf-8"))
    del card["unrelated_slope"]
    (tmp_path / "model.json").write_text(json.dumps(card), encoding="utf-8")
    old = ModelCard.read(tmp_path)
    assert old.unrelated_slope == 0.0
    assert old.unrelated_shift(0.9) == 0.0


def test_a_weak_verdict_the_encoder_reads_as_off_topic_is_unrelated(model: EncoderStance) -> None:
    """Only the rules' cue word lifted "supports" here; the encoder says "unrelated" (0.75), as it
    does for an article that names the claim's people and speaks of something else."""
    off_topic = [0.15, 0.01, 0.09, 0.75]
    card = model.card
    assert decide_label(off_topic, 0, card.label_bias, card.rule_bonus) == 0
    assert off_topic[0] < card.alert_floor
    judgement = model._decide(off_topic, 0, reading(), "quote")
    assert (judgement.stance, judgement.confidence, judgement.quote) == (Stance.UNRELATED, 0.75, "")
    # With the encoder undecided between "reports" and "unrelated", the weak verdict is reports.
    related = model._decide([0.15, 0.01, 0.44, 0.4], 0, reading(), "quote")
    assert related.stance is Stance.REPORTS


def test_the_encoder_reads_passages_of_the_length_it_was_trained_on(
    model: EncoderStance, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = json.loads((MODEL / "model.json").read_text(encoding="utf-8"))
    assert model.card.max_words == card["training"]["max_words"] == card["max_words"]
    assert model.card.max_length == card["training"]["max_length"]
    asked: list[int] = []

    def recording(claim: str, article: Any, *, max_words: int) -> Any:
        asked.append(max_words)
        return select_passage(claim, article, max_words=max_words)

    monkeypatch.setattr("monitor.stance.encoder.select_passage", recording)
    model.judge(CONTACT, " ".join(SUPPORT))
    assert asked == [model.card.max_words]


def test_a_model_card_without_a_passage_length_reads_the_original_one(tmp_path: Path) -> None:
    card = json.loads((MODEL / "model.json").read_text(encoding="utf-8"))
    del card["max_words"]
    (tmp_path / "model.json").write_text(json.dumps(card), encoding="utf-8")
    assert ModelCard.read(tmp_path).max_words == MAX_WORDS == 90


def test_the_pipeline_stores_the_shipped_models_verdict_and_version(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings, engine: Engine, pool: Sandbox
) -> None:
    world = bundled_world(http_server, fetch_settings, engine, pool, model=None)
    feed = followed_feed(world, "/kremlin.xml")
    publish(world, "/kremlin.xml", [("wire-a.test", "Kremlin denies contact", DENIAL)])
    [result] = world.poll(feed)
    stances = {(e.claim_id, e.stance) for e in result.evidence}
    assert ("musk-putin-regular-contact", "refutes") in stances
    assert ("peskov-only-one-call", "supports") in stances  # carries the Kremlin's statement
    with world.db.sessions() as session:
        summaries = {c.id: c for c in claim_summaries(session, world.watchlist)}
    assert summaries["musk-putin-regular-contact"].status == "denied"
    with world.db.sessions() as session:
        stored = claim_rows.evidence_for(session, [e.claim_id for e in result.evidence])
    assert stored
    assert {row.model_version for row in stored} == {ModelCard.read(MODEL).version}


SHORT_CLAIM = "Elon Musk has been in regular contact with Vladimir Putin since late 2022."
# 10 words, sharing "Musk" and no other word of the claim with it (relatedness 0.15).
SHORT_ARTICLE = "Musk and the Kremlin chief are in touch, sources say"


def test_a_short_article_is_read_under_the_usual_floor(model: EncoderStance) -> None:
    """A headline or a brief carries fewer of a claim's words than a long article on the same
    subject: under `related_floor`, it still reaches the encoder, down to `short_floor`."""
    card = model.card
    text = ArticleText.read(SHORT_ARTICLE)
    related = RuleStance().relatedness(SHORT_CLAIM, text)
    assert card.short_floor <= related < card.related_floor
    assert text.words <= card.short_words
    judged = model.judge(SHORT_CLAIM, SHORT_ARTICLE)
    assert judged.stance is Stance.REPORTS  # "sources say": it reports the claim
    assert judged.quote == SHORT_ARTICLE
    # The same sentence in a long article about something else is under the usual floor.
    filler = " ".join(["The city council met on Tuesday to discuss the new budget."] * 6)
    long = model.judge(SHORT_CLAIM, f"{filler} {SHORT_ARTICLE}.")
    assert ArticleText.read(f"{filler} {SHORT_ARTICLE}.").words > card.short_words
    assert (long.stance, long.quote) == (Stance.UNRELATED, "")


def test_a_model_card_without_a_short_floor_holds_every_article_to_the_usual_floor(
    tmp_path: Path,
) -> None:
    card = json.loads((MODEL / "model.json").read_text(encoding="utf-8"))
    del card["short_words"], card["short_floor"]
    (tmp_path / "model.json").write_text(json.dumps(card), encoding="utf-8")
    old = ModelCard.read(tmp_path)
    assert old.floor(ArticleText.read(SHORT_ARTICLE)) == old.related_floor

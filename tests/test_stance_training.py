"""The training pipeline's pure parts, which run without torch: the pairs it builds (FNC-1 pairs,
hard negatives, negated claims), each epoch's sample, the dev objective, the prepared-items file
and the base model's checks."""

from __future__ import annotations

import gzip
import json
import random
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from monitor.stance.rules import RuleStance
from monitor.stance.training import weights
from monitor.stance.training.examples import (
    Item,
    Texts,
    fnc1_items,
    hard_negatives,
    headline_items,
    headline_pairs,
    negate,
    negated_items,
    read_items,
    write_items,
)
from monitor.stance.training.fnc1 import DEV_SHARE, LABELS, Example, load, split_train, stories
from monitor.stance.training.train import (
    BASE_SHA256,
    SWEEPS,
    Config,
    dev_objective,
    epoch_sample,
    main,
    sweep_configs,
)
from tests.fixtures_paths import require_shared

AGREE, DISAGREE, DISCUSS, UNRELATED = range(4)


def pool() -> list[Item]:
    sizes = {AGREE: 30, DISAGREE: 10, DISCUSS: 80, UNRELATED: 200}
    items = [
        Item(f"claim {k}", f"passage {k} {n}", k, "fnc1")
        for k, size in sizes.items()
        for n in range(size)
    ]
    items += [Item("claim h", f"hard {n}", UNRELATED, "hard") for n in range(15)]
    items += [Item("claim n", f"negated {n}", DISAGREE, "negated") for n in range(5)]
    items += [Item("claim l", f"headline {n}", AGREE, "headline") for n in range(4)]
    return items


HALF = Config(discuss_share=0.5, unrelated=50, hard=False, negated=False)


def test_labels_are_in_fnc1_order() -> None:
    assert LABELS == ("agree", "disagree", "discuss", "unrelated")


def test_an_epoch_keeps_every_agree_repeats_denials_and_samples_the_rest() -> None:
    epoch = epoch_sample(pool(), random.Random(0), HALF)
    counts = Counter(item.label for item in epoch)
    copies = HALF.disagree_copies
    assert counts == {AGREE: 30, DISAGREE: 10 * copies, DISCUSS: 40, UNRELATED: 50}
    assert len({item.passage for item in epoch if item.label == AGREE}) == 30
    assert {item.kind for item in epoch} == {"fnc1"}


def test_headline_pairs_join_every_epoch_only_when_switched_on() -> None:
    plain = epoch_sample(pool(), random.Random(0), HALF)
    assert "headline" not in {item.kind for item in plain}
    epoch = epoch_sample(pool(), random.Random(0), replace(HALF, headlines=True))
    assert Counter(item.kind for item in epoch)["headline"] == 4


def test_headline_pairs_are_two_headlines_of_one_body_that_both_take_a_side() -> None:
    body = "The mayor resigned."
    examples = [
        Example("Mayor quits", "b1", body, "agree"),
        Example("Mayor steps down", "b1", body, "agree"),
        Example("Mayor did not quit", "b1", body, "disagree"),
        Example("Mayor may quit, paper says", "b1", body, "discuss"),
        Example("Cat rescued", "b1", body, "unrelated"),
        Example("Comet seen", "b2", "A comet passed.", "agree"),
    ]
    assert sorted(headline_pairs(examples)) == [
        ("Mayor did not quit", "Mayor quits", DISAGREE),
        ("Mayor did not quit", "Mayor steps down", DISAGREE),
        ("Mayor quits", "Mayor did not quit", DISAGREE),
        ("Mayor quits", "Mayor steps down", AGREE),
        ("Mayor steps down", "Mayor did not quit", DISAGREE),
        ("Mayor steps down", "Mayor quits", AGREE),
    ]
    # Two headlines the body disputes assert the same thing.
    disputed = [Example("A", "b", body, "disagree"), Example("B", "b", body, "disagree")]
    assert {label for _, _, label in headline_pairs(disputed)} == {AGREE}


def test_headline_items_take_a_few_pairs_per_body_up_to_half_of_them_denials() -> None:
    body = "The mayor resigned."
    examples = [Example(f"Mayor quits {n}", "b1", body, "agree") for n in range(5)]
    examples.append(Example("Mayor did not quit", "b1", body, "disagree"))
    examples.append(Example("Comet seen", "b2", "A comet passed.", "agree"))
    # Body b1 gives 30 pairs, 10 of them disagree; b2 has only one headline.
    items = headline_items(examples, random.Random(0), per_body=4)
    assert {item.kind for item in items} == {"headline"}
    assert Counter(item.label for item in items) == {DISAGREE: 2, AGREE: 2}
    items = headline_items(examples, random.Random(0), per_body=40)
    assert Counter(item.label for item in items) == {DISAGREE: 10, AGREE: 20}
    again = headline_items(examples, random.Random(0), per_body=4)
    assert again == headline_items(examples, random.Random(0), per_body=4)


def test_hard_negatives_and_negated_pairs_join_every_epoch_when_switched_on() -> None:
    epoch = epoch_sample(pool(), random.Random(0), replace(HALF, hard=True, negated=True))
    kinds = Counter(item.kind for item in epoch)
    assert kinds["hard"] == 15
    assert kinds["negated"] == 5
    only_hard = epoch_sample(pool(), random.Random(0), replace(HALF, hard=True))
    assert Counter(item.kind for item in only_hard)["negated"] == 0


def test_each_epoch_draws_a_fresh_share_of_discuss_pairs() -> None:
    rng = random.Random(0)
    first, second = (
        {item.passage for item in epoch_sample(pool(), rng, HALF) if item.label == DISCUSS}
        for _ in range(2)
    )
    assert len(first) == len(second) == 40
    assert first != second


def test_sampling_is_reproducible_from_the_seed() -> None:
    assert epoch_sample(pool(), random.Random(7), HALF) == epoch_sample(
        pool(), random.Random(7), HALF
    )


def test_unrelated_pairs_all_go_in_when_asked_for_more_than_there_are_or_for_all() -> None:
    for unrelated in (10_000, -1):
        epoch = epoch_sample(pool(), random.Random(0), replace(HALF, unrelated=unrelated))
        assert Counter(item.label for item in epoch)[UNRELATED] == 200


def test_a_smoke_test_limit_cuts_each_epoch() -> None:
    assert len(epoch_sample(pool(), random.Random(0), replace(HALF, limit=12))) == 12


@pytest.mark.parametrize(
    ("claim", "negated"),
    [
        ("ISIS has beheaded a US journalist", "ISIS has not beheaded a US journalist"),
        ("Apple will release a gold watch", "Apple will not release a gold watch"),
        ("Banksy was arrested in London", "Banksy was not arrested in London"),
        ("Man saw a spider in his ear", None),  # no auxiliary to negate
        ("Kim Jong Un is not ill", None),  # already negative
        ("Police deny that the mayor was arrested", None),  # a denial
        ("The CEO was fired and will sue", None),  # two auxiliaries: which one?
    ],
)
def test_negate_puts_not_after_the_only_auxiliary(claim: str, negated: str | None) -> None:
    assert negate(claim) == negated


def test_negated_pairs_swap_agree_and_disagree_and_leave_the_rest() -> None:
    items = [
        Item("The mayor has resigned", "She resigned.", AGREE, "fnc1"),
        Item("The mayor has resigned", "Reports are false.", DISAGREE, "fnc1"),
        Item("The mayor has resigned", "A paper says so.", DISCUSS, "fnc1"),
        Item("Rain hit Lisbon", "It rained.", AGREE, "fnc1"),  # nothing to negate
    ]
    assert negated_items(items) == [
        Item("The mayor has not resigned", "She resigned.", DISAGREE, "negated"),
        Item("The mayor has not resigned", "Reports are false.", AGREE, "negated"),
    ]


MAYOR = "Mayor Alice Brandt of Springfield resigned after the budget vote."
COUNCIL = "Springfield council approves Mayor Alice Brandt's new budget."


def examples() -> list[Example]:
    resigned = (
        "Mayor Alice Brandt of Springfield resigned on Monday after the budget vote, her office "
        "said. She will leave at the end of the month."
    )
    budget = (
        "The Springfield council approved the budget proposed by Mayor Alice Brandt on Tuesday. "
        "The vote was seven to two."
    )
    weather = "Heavy rain is expected in Lisbon this weekend, forecasters said."
    return [
        Example(MAYOR, "b1", resigned, "agree"),
        Example(COUNCIL, "b2", budget, "agree"),
        Example(MAYOR, "b3", weather, "unrelated"),
        Example(COUNCIL, "b3", weather, "unrelated"),
    ]


def test_stories_are_the_components_of_related_pairs() -> None:
    story = stories(examples())
    assert story["h:" + MAYOR] == story["b:b1"]
    assert story["h:" + COUNCIL] == story["b:b2"]
    assert story["h:" + MAYOR] != story["h:" + COUNCIL]
    assert story["b:b3"] not in {story["b:b1"], story["b:b2"]}


def test_hard_negatives_pair_a_headline_with_word_sharing_bodies_of_other_stories() -> None:
    hard = hard_negatives(examples(), RuleStance(), Texts(), random.Random(0), per_claim=3)
    assert {item.label for item in hard} == {UNRELATED}
    assert {item.kind for item in hard} == {"hard"}
    # Each headline meets the other story's body (same mayor, another subject)...
    assert any(item.claim == MAYOR and "approved" in item.passage for item in hard)
    assert any(item.claim == COUNCIL and "resigned" in item.passage for item in hard)
    # ...never its own story's body, and not the weather body, which shares no words with it.
    assert not any(item.claim == MAYOR and "resigned" in item.passage for item in hard)
    assert not any("Lisbon" in item.passage for item in hard)


def test_training_passages_are_cut_to_the_length_the_encoder_will_read() -> None:
    filler = " ".join(
        f"Council member {n} spoke about the Springfield budget for ten minutes." for n in range(30)
    )
    body = f"Mayor Alice Brandt of Springfield resigned after the budget vote. {filler}"
    pairs = [Example(MAYOR, "b9", body, "agree")]
    lengths = {}
    for words in (40, 140):
        items, below = fnc1_items(pairs, RuleStance(), Texts(), None, max_words=words)
        assert not below
        lengths[words] = len(items[0].passage.split())
        assert words - 12 < lengths[words] <= words  # whole sentences of 11 words, up to the cap
    assert items[0].passage.startswith("Mayor Alice Brandt of Springfield resigned")


def test_the_dev_objective_counts_pairs_under_the_floor_as_unrelated() -> None:
    dev = [Item("c", "p", AGREE, "dev"), Item("c", "q", DISAGREE, "dev")]
    perfect = dev_objective([AGREE, DISAGREE], dev, {"unrelated": 8})
    assert perfect["fnc_score"] == 100.0
    assert perfect["macro_f1"] == 0.75  # discuss never occurs: its F1 is 0
    missed = dev_objective([AGREE, DISAGREE], dev, {"unrelated": 8, "agree": 2})
    assert missed["f1"]["agree"] == pytest.approx(0.5)
    assert missed["objective"] < perfect["objective"]


def test_prepared_items_survive_the_file(tmp_path: Path) -> None:
    train = [Item("c", "p", AGREE, "fnc1"), Item("c", "h", UNRELATED, "hard")]
    dev = [Item("d", "q", DISCUSS, "dev")]
    path = tmp_path / "items.jsonl.gz"
    write_items(path, train, dev, {"dev_below_floor": {"unrelated": 3}, "related_floor": 0.15})
    header, train_back, dev_back = read_items(path)
    assert (train_back, dev_back) == (train, dev)
    assert header["dev_below_floor"] == {"unrelated": 3}
    assert header["related_floor"] == 0.15


def test_items_of_another_format_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps({"format": 99}) + "\n")
    with pytest.raises(ValueError, match="format 99"):
        read_items(path)


def test_a_packed_base_model_is_checked_against_its_manifest(tmp_path: Path) -> None:
    for name, text in (("model.safetensors", b"weights"), ("config.json", b"{}")):
        (tmp_path / name).write_bytes(text)
    manifest = {
        "source_sha256": BASE_SHA256,
        "sha256": {
            "model.safetensors": weights._sha256(tmp_path / "model.safetensors"),
            "config.json": weights._sha256(tmp_path / "config.json"),
        },
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert weights.verify_base(tmp_path)["weights"].startswith("fp16 copy")
    (tmp_path / "model.safetensors").write_bytes(b"altered")
    with pytest.raises(SystemExit, match="sha256"):
        weights.verify_base(tmp_path)


def test_a_base_model_packed_from_other_weights_is_refused(tmp_path: Path) -> None:
    manifest = {"source_sha256": {"model.safetensors": "0" * 64}, "sha256": {}}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(SystemExit, match="another base model"):
        weights.verify_base(tmp_path)


def test_the_dev_split_holds_out_whole_stories(shared_data: Path) -> None:
    examples = load(require_shared(shared_data / "fnc1"), "train")
    fit, dev = split_train(examples)
    story = stories(examples)
    dev_stories = {story["b:" + e.body_id] for e in dev}
    # No fit pair has a dev story's body or headline: dev stories are new to the model.
    assert not any(story["b:" + e.body_id] in dev_stories for e in fit)
    assert not any(story["h:" + e.claim] in dev_stories for e in fit)
    bodies = {e.body_id for e in examples}
    assert len({e.body_id for e in dev}) >= DEV_SHARE * len(bodies)
    assert sum(e.label == "disagree" for e in dev) >= 50  # enough denials to calibrate on
    assert split_train(examples) == (fit, dev)  # reproducible


def test_weight_parts_join_back_to_the_same_bytes(tmp_path: Path) -> None:
    data = bytes(range(256)) * 9000  # 2.3 MB
    written = weights.write_parts(data, tmp_path)
    assert len(written["parts"]) == -(-len(data) // weights.PART_BYTES)
    assert all((tmp_path / name).stat().st_size <= weights.PART_BYTES for name in written["parts"])
    assert weights.read_parts(tmp_path, written) == data


def test_a_damaged_or_missing_weight_part_is_refused(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(weights, "PART_BYTES", 1000)
    written = weights.write_parts(b"x" * 2500, tmp_path)
    assert len(written["parts"]) == 3
    (tmp_path / written["parts"][1]).write_bytes(b"y" * 1000)
    with pytest.raises(SystemExit, match="damaged"):
        weights.read_parts(tmp_path, written)
    (tmp_path / written["parts"][2]).unlink()
    with pytest.raises(SystemExit, match=r"missing: .*\.02"):
        weights.read_parts(tmp_path, written)


@pytest.mark.parametrize(
    ("sweep", "varied"),
    [
        ("gpu-robust", {"seed", "focal", "rdrop"}),
        ("gpu-headlines", {"headlines", "focal"}),
        (  # shorter and lighter, for a CPU, going on from v3's weights (`fit --start`)
            "cpu-continue",
            {"seed", "epochs", "lr", "discuss_share", "unrelated", "attention_dropout"}
            | {"headlines", "focal"},
        ),
    ],
)
def test_the_next_sweeps_keep_v3s_recipe_but_for_what_they_try(
    sweep: str, varied: set[str]
) -> None:
    (v3,) = [c for c in SWEEPS["gpu-long2"] if c.name == "long-disagree3-seed2"]
    for config in SWEEPS[sweep]:
        differs = {k for k, v in vars(config).items() if k != "name" and v != getattr(v3, k)}
        assert differs, config.name
        assert differs <= varied, config.name


def test_only_picks_named_configs_of_a_sweep_in_the_sweeps_order() -> None:
    picked = sweep_configs("cpu-continue", ["continue-headlines", "continue-focal2"])
    assert [c.name for c in picked] == ["continue-focal2", "continue-headlines"]
    assert sweep_configs("cpu-continue", None) == SWEEPS["cpu-continue"]


def test_only_with_a_name_the_sweep_lacks_stops_before_training_and_lists_the_names(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["fit", "--sweep", "cpu-continue", "--only", "continue-focal3"])
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert "--only continue-focal3: not in sweep cpu-continue" in error
    assert "continue-headlines-focal2, continue-focal2, continue-headlines" in error

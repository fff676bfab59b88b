"""The training losses (`train.stance_loss`, `train.symmetric_kl`) and the trainer's model set-up
(going on from a shipped model, attention dropout, bfloat16 on a CPU). They need torch, which
only the `train` extra installs (`pip install -e '.[train]'`): without it these tests are
skipped, as the default and test installs never train."""

from __future__ import annotations

import math

import pytest

from monitor.stance.training import weights
from monitor.stance.training.train import (
    MAX_LENGTH,
    Config,
    _Trainer,
    base_model_dir,
    stance_loss,
    symmetric_kl,
)
from tests.test_stance_start_weights import MODEL

torch = pytest.importorskip("torch")

LOGITS = [[2.0, -1.0, 0.5, 0.0], [0.1, 0.2, 0.3, 3.0], [-1.0, 2.5, 0.0, 0.0]]
LABELS = [0, 2, 1]
WEIGHTS = [1.0, 3.0, 0.5, 0.7]


def batch() -> tuple[object, object, object]:
    return torch.tensor(LOGITS), torch.tensor(LABELS), torch.tensor(WEIGHTS)


def test_without_focus_it_is_torchs_class_weighted_cross_entropy() -> None:
    logits, labels, weights = batch()
    expected = torch.nn.CrossEntropyLoss(weight=weights)(logits, labels)
    assert stance_loss(torch, logits, labels, weights, 0.0).item() == pytest.approx(
        expected.item(), rel=1e-6
    )


def test_focal_loss_by_hand() -> None:
    logits, labels, weights = batch()
    total, norm = 0.0, 0.0
    for row, label in zip(LOGITS, LABELS, strict=True):
        p = math.exp(row[label]) / sum(math.exp(x) for x in row)
        total += WEIGHTS[label] * (1 - p) ** 2 * -math.log(p)
        norm += WEIGHTS[label]
    assert stance_loss(torch, logits, labels, weights, 2.0).item() == pytest.approx(
        total / norm, rel=1e-5
    )


def test_focal_loss_counts_a_pair_the_model_gets_right_for_less() -> None:
    weights = torch.ones(4)
    label = torch.tensor([0])
    right, wrong = torch.tensor([[4.0, 0.0, 0.0, 0.0]]), torch.tensor([[0.0, 4.0, 0.0, 0.0]])
    plain = [stance_loss(torch, x, label, weights, 0.0).item() for x in (right, wrong)]
    focal = [stance_loss(torch, x, label, weights, 2.0).item() for x in (right, wrong)]
    assert focal[0] / plain[0] < 0.01  # (1 - 0.948)^2
    assert focal[1] / plain[1] > 0.9  # (1 - 0.017)^2


def test_the_rdrop_term_is_zero_for_equal_readings_symmetric_and_positive_otherwise() -> None:
    logits, _, _ = batch()
    other = logits.flip(1)
    assert symmetric_kl(torch, logits, logits).item() == pytest.approx(0.0, abs=1e-7)
    there, back = symmetric_kl(torch, logits, other).item(), symmetric_kl(torch, other, logits)
    assert there > 0.1
    assert back.item() == pytest.approx(there, rel=1e-6)


def test_the_losses_give_gradients() -> None:
    logits = torch.tensor(LOGITS, requires_grad=True)
    second = torch.tensor(LOGITS[::-1], requires_grad=True)
    labels, weights = torch.tensor(LABELS), torch.tensor(WEIGHTS)
    loss = stance_loss(torch, logits, labels, weights, 1.0) + symmetric_kl(torch, logits, second)
    loss.backward()
    assert logits.grad is not None and float(logits.grad.abs().sum()) > 0
    assert second.grad is not None and float(second.grad.abs().sum()) > 0


def test_a_run_that_goes_on_from_a_shipped_model_begins_with_its_weights() -> None:
    start, _ = weights.from_onnx(MODEL)
    trainer = _Trainer(base_model_dir(), "cpu", MAX_LENGTH, start=start)
    model = trainer.new_model(Config(attention_dropout=0.0))
    state = model.state_dict()
    assert set(state) == set(start)
    for name, value in start.items():
        assert torch.equal(state[name], torch.from_numpy(value)), name
    assert model.config.attention_probs_dropout_prob == 0.0
    fresh = _Trainer(base_model_dir(), "cpu", MAX_LENGTH).new_model(Config())
    assert fresh.config.attention_probs_dropout_prob == 0.1  # the base model's own
    assert not torch.equal(fresh.state_dict()["classifier.weight"], state["classifier.weight"])


@pytest.mark.parametrize(("bf16", "dtype"), [(False, "float32"), (True, "bfloat16")])
def test_a_cpu_trainer_computes_in_bfloat16_only_when_asked(bf16: bool, dtype: str) -> None:
    trainer = _Trainer(base_model_dir(), "cpu", MAX_LENGTH, bf16=bf16)
    with trainer._autocast():
        out = torch.nn.Linear(4, 4)(torch.ones(2, 4))
    assert out.dtype == getattr(torch, dtype)

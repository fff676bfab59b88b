"""Reading a shipped model's int8 weights back as floats (`weights.from_onnx`), which training
starts from when it goes on from that model (`train fit --start`). Runs without torch: a plain
numpy BERT built from the weights read back must give the shipped model's own answers."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pytest
from tokenizers import Tokenizer

from monitor.stance.training import weights
from monitor.stance.training.export import OWN_SAMPLE

MODEL = Path(__file__).resolve().parents[1] / "monitor" / "stance" / "model"
LAYERS, HIDDEN, HEADS, INTERMEDIATE = 6, 384, 12, 1536  # all-MiniLM-L6-v2


ReadBack = tuple[dict[str, Any], dict[str, Any]]


@pytest.fixture(scope="module")
def read_back() -> ReadBack:
    return weights.from_onnx(MODEL)


def _norm(x: Any, state: dict[str, Any], name: str) -> Any:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-12) * state[f"{name}.weight"] + state[f"{name}.bias"]


def _linear(x: Any, state: dict[str, Any], name: str) -> Any:
    return x @ state[f"{name}.weight"].T + state[f"{name}.bias"]


_erf = np.vectorize(math.erf, otypes=[np.float64])


def bert_probabilities(state: dict[str, Any], ids: list[int], types: list[int]) -> Any:
    """A BERT sequence classifier, written out in numpy, for one unpadded pair."""
    n = len(ids)
    x = (
        state["bert.embeddings.word_embeddings.weight"][ids]
        + state["bert.embeddings.position_embeddings.weight"][:n]
        + state["bert.embeddings.token_type_embeddings.weight"][types]
    ).astype(np.float64)
    x = _norm(x, state, "bert.embeddings.LayerNorm")
    size = HIDDEN // HEADS
    for layer in range(LAYERS):
        at = f"bert.encoder.layer.{layer}"
        q, k, v = (
            _linear(x, state, f"{at}.attention.self.{p}").reshape(n, HEADS, size).transpose(1, 0, 2)
            for p in ("query", "key", "value")
        )
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(size)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        mixed = (scores / scores.sum(-1, keepdims=True)) @ v
        attended = _linear(
            mixed.transpose(1, 0, 2).reshape(n, HIDDEN), state, f"{at}.attention.output.dense"
        )
        x = _norm(x + attended, state, f"{at}.attention.output.LayerNorm")
        h = _linear(x, state, f"{at}.intermediate.dense")
        h = 0.5 * h * (1 + _erf(h / math.sqrt(2)))
        x = _norm(x + _linear(h, state, f"{at}.output.dense"), state, f"{at}.output.LayerNorm")
    pooled = np.tanh(_linear(x[0], state, "bert.pooler.dense"))
    logits = _linear(pooled, state, "classifier")
    e = np.exp(logits - logits.max())
    return e / e.sum()


def test_every_weight_comes_back_under_its_bert_name_in_torch_layout(read_back: ReadBack) -> None:
    state, note = read_back
    card = json.loads((MODEL / "model.json").read_text(encoding="utf-8"))
    assert note == {"model": card["version"], "onnx_sha256": card["onnx_sha256"]}
    assert len(state) == 5 + LAYERS * 16 + 4  # embeddings, layers, pooler and classifier
    assert all(v.dtype == np.float32 for v in state.values())
    assert state["bert.embeddings.word_embeddings.weight"].shape == (30522, HIDDEN)
    assert state["bert.encoder.layer.5.intermediate.dense.weight"].shape == (INTERMEDIATE, HIDDEN)
    assert state["bert.encoder.layer.5.output.dense.weight"].shape == (HIDDEN, INTERMEDIATE)
    assert state["classifier.weight"].shape == (4, HIDDEN)
    assert state["classifier.bias"].shape == (4,)


def test_a_bert_built_from_the_weights_read_back_answers_as_the_shipped_model(
    read_back: ReadBack,
) -> None:
    """Only the activations' rounding, which onnxruntime adds, may tell the two apart; a matrix
    given to the wrong layer or left untransposed changes every answer."""
    state, _ = read_back
    tokenizer = Tokenizer.from_file(str(MODEL / "tokenizer.json"))
    session = ort.InferenceSession(str(MODEL / "model.onnx"), providers=["CPUExecutionProvider"])
    for claim, passage in OWN_SAMPLE:
        encoding = tokenizer.encode(claim, passage)
        ours = bert_probabilities(state, encoding.ids, encoding.type_ids)
        feeds = {
            "input_ids": np.array([encoding.ids], dtype=np.int64),
            "attention_mask": np.ones((1, len(encoding.ids)), dtype=np.int64),
            "token_type_ids": np.array([encoding.type_ids], dtype=np.int64),
        }
        logits = session.run(None, feeds)[0][0]
        shipped = np.exp(logits - logits.max())
        shipped /= shipped.sum()
        assert ours.argmax() == shipped.argmax(), (claim, passage, ours, shipped)
        assert np.abs(ours - shipped).max() < 0.1, (claim, passage, ours, shipped)


def test_a_model_file_that_is_not_the_one_its_card_names_is_refused(tmp_path: Path) -> None:
    shutil.copyfile(MODEL / "model.json", tmp_path / "model.json")
    data = bytearray((MODEL / "model.onnx").read_bytes())
    data[-1] ^= 1
    (tmp_path / "model.onnx").write_bytes(bytes(data))
    with pytest.raises(SystemExit, match=r"model\.onnx: sha256"):
        weights.from_onnx(tmp_path)


@pytest.mark.parametrize(
    ("product", "module"),
    [
        (
            "/bert/encoder/layer.3/attention/self/key/MatMul_output_0_output_quantized",
            "bert.encoder.layer.3.attention.self.key",
        ),
        (
            "/bert/encoder/layer.0/output/dense/MatMul_output_0_output_quantized",
            "bert.encoder.layer.0.output.dense",
        ),
        ("/bert/pooler/dense/Gemm_output_0_MatMul_output_quantized", "bert.pooler.dense"),
        ("logits_MatMul_output_quantized", "classifier"),
    ],
)
def test_each_matrix_product_is_named_after_its_layer(product: str, module: str) -> None:
    assert weights._linear_name(product) == module


def test_a_product_of_no_known_layer_is_an_error() -> None:
    with pytest.raises(ValueError, match="not a linear layer"):
        weights._linear_name("/bert/encoder/layer.0/attention/self/Softmax_output_0")

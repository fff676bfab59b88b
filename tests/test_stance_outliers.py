"""The activations' outlier channels computed in float, and their tokens quantized with a scale
each (`training.outliers`): on a small model that onnxruntime's own dynamic quantizer writes, as
it writes the stance model, and on the shipped model."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic

from monitor.stance.encoder import packaged_model_dir
from monitor.stance.kernels import exact_storage
from monitor.stance.training import export, outliers
from monitor.stance.training.fnc1 import load, split_train
from tests.fixtures_paths import require_shared

MODEL = packaged_model_dir()

WIDTH, OUT, TOKENS = 16, 8, 12
OUTLIER = 5  # the channel that reaches 30 times the others


def _quantized(tmp_path: Path) -> Any:
    """x [1, tokens, 16] read by two products, y1 = x W1 + b and y2 = x W2, quantized as the
    exporter quantizes the stance model (dynamic, int8 weights per output channel)."""
    rng = np.random.default_rng(0)
    w1 = rng.normal(0, 0.3, (WIDTH, OUT)).astype(np.float32)
    w2 = rng.normal(0, 0.3, (WIDTH, OUT)).astype(np.float32)
    bias = rng.normal(0, 0.1, OUT).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "W1"], ["p1"]),
            helper.make_node("Add", ["p1", "bias"], ["y1"]),
            helper.make_node("MatMul", ["x", "W2"], ["y2"]),
        ],
        "two-products",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, None, WIDTH])],
        [
            helper.make_tensor_value_info("y1", TensorProto.FLOAT, None),
            helper.make_tensor_value_info("y2", TensorProto.FLOAT, None),
        ],
        [numpy_helper.from_array(a, n) for a, n in ((w1, "W1"), (w2, "W2"), (bias, "bias"))],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(tmp_path / "float.onnx"))
    quantize_dynamic(
        str(tmp_path / "float.onnx"),
        str(tmp_path / "int8.onnx"),
        weight_type=QuantType.QInt8,
        per_channel=True,
    )
    return onnx.load(str(tmp_path / "int8.onnx"))


def _inputs(seed: int = 1) -> Any:
    x = np.random.default_rng(seed).normal(0, 1, (1, TOKENS, WIDTH)).astype(np.float32)
    x[..., OUTLIER] *= 30
    return x


def _run(model: Any, x: Any) -> list[Any]:
    """y1 and y2 as the product runs a model: its weights stored for this CPU's exact integer
    kernel (`kernels.exact_storage`). The int8 weights `quantize_dynamic` writes would meet
    onnxruntime's saturating uint8 x int8 kernel on a CPU without VNNI (a Zen 1 EPYC), where a
    per-token scale, which gives every row the full uint8 range, overflows the most."""
    weights, _ = exact_storage(model.SerializeToString())
    session = ort.InferenceSession(weights, providers=["CPUExecutionProvider"])
    return list(session.run(["y1", "y2"], {"x": x}))


def _exact(model: Any, x: Any) -> list[Any]:
    """y1 and y2 in float64 on the model's own dequantized weights: no activation rounding."""
    initializers = {i.name: i for i in model.graph.initializer}
    products = {p.input[1]: p for site in outliers.sites(model) for p in site.products}
    w1 = outliers.dequantized(initializers, products["W1_quantized"]).astype(np.float64)
    w2 = outliers.dequantized(initializers, products["W2_quantized"]).astype(np.float64)
    bias = numpy_helper.to_array(initializers["bias"])
    return [x @ w1 + bias, x @ w2]


def _error(model: Any, x: Any, tokens: slice = slice(None)) -> float:
    pairs = zip(_run(model, x), _exact(model, x), strict=True)
    return max(float(np.abs(got - want)[:, tokens].max()) for got, want in pairs)


def test_the_quantizer_writes_what_outliers_reads(tmp_path: Path) -> None:
    model = _quantized(tmp_path)
    (site,) = outliers.sites(model)
    assert site.tensor == "x"
    assert sorted(p.input[1] for p in site.products) == ["W1_quantized", "W2_quantized"]


def test_float_products_is_the_model_without_activation_rounding(tmp_path: Path) -> None:
    model = _quantized(tmp_path)
    x = _inputs()
    plain = outliers.float_products(model)
    integer = ("MatMulInteger", "DynamicQuantizeLinear")
    assert not any(node.op_type in integer for node in plain.graph.node)
    for got, want in zip(_run(plain, x), _exact(model, x), strict=True):
        np.testing.assert_allclose(got, want, atol=1e-4)
    assert _error(model, x) > 0.05  # while the int8 model rounds the activations coarsely


def test_separating_the_outlier_channel_removes_most_of_the_rounding(tmp_path: Path) -> None:
    model = _quantized(tmp_path)
    weights_before = {i.name: i.SerializeToString() for i in model.graph.initializer}
    x = _inputs()
    plain_error = _error(model, x)
    separated = onnx.ModelProto()
    separated.CopyFrom(model)
    assert outliers.separate(separated, {"x": [OUTLIER]}) == 1
    onnx.checker.check_model(separated)
    assert _error(separated, x) < plain_error / 5
    for other_seed in (2, 3):  # on inputs it was not chosen on, too
        other = _inputs(other_seed)
        assert _error(separated, other) < _error(model, other) / 5
    # The integer weights are the exporter's, unchanged; the outlier rows are added in float.
    after = {i.name: i.SerializeToString() for i in separated.graph.initializer}
    assert all(after[name] == blob for name, blob in weights_before.items())
    rows = numpy_helper.to_array(_initializer(separated, "W1_quantized" + outliers.ROWS))
    initializers = {i.name: i for i in model.graph.initializer}
    products = {p.input[1]: p for site in outliers.sites(model) for p in site.products}
    np.testing.assert_array_equal(
        rows, outliers.dequantized(initializers, products["W1_quantized"])[[OUTLIER]]
    )


def _initializer(model: Any, name: str) -> Any:
    (found,) = [i for i in model.graph.initializer if i.name == name]
    return found


def test_separating_twice_or_outside_the_tensor_is_refused(tmp_path: Path) -> None:
    model = _quantized(tmp_path)
    with pytest.raises(ValueError, match="outside"):
        outliers.separate(model, {"x": [WIDTH]})
    outliers.separate(model, {"x": [OUTLIER]})
    assert outliers.separated(model)
    with pytest.raises(ValueError, match="already"):
        outliers.separate(model, {"x": [0]})
    with pytest.raises(ValueError, match="separated already"):
        outliers.float_products(model)
    with pytest.raises(ValueError, match="separated already"):
        outliers.scale_per_token(model)


def _token_outlier(seed: int = 1) -> Any:
    """Inputs whose first token (as [CLS] in the stance model) reaches 30 times the others in
    every channel."""
    x = np.random.default_rng(seed).normal(0, 1, (1, TOKENS, WIDTH)).astype(np.float32)
    x[:, 0] *= 30
    return x


def test_a_scale_per_token_removes_most_of_the_rounding_of_an_outlier_token(
    tmp_path: Path,
) -> None:
    model = _quantized(tmp_path)
    weights_before = {i.name: i.SerializeToString() for i in model.graph.initializer}
    rewritten = onnx.ModelProto()
    rewritten.CopyFrom(model)
    assert outliers.scale_per_token(rewritten) == 1
    onnx.checker.check_model(rewritten)
    assert outliers.per_token(rewritten) and not outliers.per_token(model)
    others = slice(1, None)  # the tokens the outlier token's scale leaves a few levels
    for seed in (1, 2, 3):
        x = _token_outlier(seed)
        assert _error(rewritten, x, others) < _error(model, x, others) / 5
    # Where no token stands out it rounds no worse than one scale for the tensor.
    even = np.random.default_rng(4).normal(0, 1, (1, TOKENS, WIDTH)).astype(np.float32)
    assert _error(rewritten, even) <= _error(model, even) * 1.2
    after = {i.name: i.SerializeToString() for i in rewritten.graph.initializer}
    assert all(after[name] == blob for name, blob in weights_before.items())


def test_a_scale_per_token_keeps_a_row_of_zeros_zero(tmp_path: Path) -> None:
    model = _quantized(tmp_path)
    outliers.scale_per_token(model)
    x = _token_outlier()
    x[:, 3] = 0.0
    y1, y2 = _run(model, x)
    assert np.isfinite(y1).all() and np.isfinite(y2).all()
    np.testing.assert_array_equal(y2[:, 3], 0.0)  # no bias on y2: exactly zero
    np.testing.assert_allclose(y1[:, 3], _exact(model, x)[0][:, 3], atol=1e-6)


def test_a_model_gets_one_rewrite_of_its_rounding(tmp_path: Path) -> None:
    model = _quantized(tmp_path)
    outliers.scale_per_token(model)
    with pytest.raises(ValueError, match="per token already"):
        outliers.scale_per_token(model)
    with pytest.raises(ValueError, match="per token already"):
        outliers.separate(model, {"x": [OUTLIER]})
    with pytest.raises(ValueError, match="per token already"):
        outliers.float_products(model)


def test_outlier_channels_are_the_few_far_above_the_median() -> None:
    ranges = {
        "ln": np.array([2.0, 2.2, 28.0, 1.9, 14.0, 11.0, 2.1]),
        "even": np.array([2.0, 3.0, 2.5, 4.0]),
    }
    assert outliers.outlier_channels(ranges, ratio=6.0, most=2) == {"ln": [2, 4]}
    assert outliers.outlier_channels(ranges, ratio=6.0, most=1) == {"ln": [2]}
    assert outliers.outlier_channels(ranges, ratio=1.4, most=4) == {"ln": [2, 4, 5], "even": [3]}


def test_distance_is_total_variation() -> None:
    same = np.array([[0.7, 0.1, 0.1, 0.1]])
    assert outliers.distance(same, same) == 0.0
    assert outliers.distance(same, np.array([[0.1, 0.7, 0.1, 0.1]])) == pytest.approx(0.6)
    assert outliers.distance(np.eye(4)[:1], np.eye(4)[1:2]) == pytest.approx(1.0)


def _rewritten_copy(
    directory: Path, shared_data: Path, rewrite: Callable[[Path, dict[str, Any], Any, Any], Any]
) -> Path:
    """A copy of the shipped model in `directory`, rewritten by `rewrite(copy, card, fit, dev)`
    as export does, its card updated."""
    copy = directory / "model"
    shutil.copytree(MODEL, copy)
    card = json.loads((copy / "model.json").read_text(encoding="utf-8"))
    fit, dev = split_train(load(require_shared(shared_data / "fnc1"), "train"))
    assert rewrite(copy, card, fit, dev)
    assert card["onnx_sha256"] == hashlib.sha256((copy / "model.onnx").read_bytes()).hexdigest()
    (copy / "model.json").write_text(json.dumps(card), encoding="utf-8")
    return copy


@pytest.fixture(scope="module")
def separated_copy(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """The shipped model exported with its outlier channels in float, as `export
    --separate-outliers` does (ranges measured on 40 training pairs), its card updated."""
    return _rewritten_copy(
        tmp_path_factory.mktemp("separated"),
        shared_data,
        lambda copy, card, fit, dev: export.separate_outliers(copy, card, fit, dev, count=40),
    )


def test_the_shipped_model_separated_answers_closer_to_float_activations(
    separated_copy: Path,
) -> None:

    record = json.loads((separated_copy / "model.json").read_text(encoding="utf-8"))["outliers"]
    assert record["pairs"] == {"ranges": 40, "distance": 40}
    assert 0 < sum(len(c) for c in record["channels"].values()) <= outliers.MOST * 26
    assert record["distance_to_float"]["separated"] < record["distance_to_float"]["int8"]
    before, after = _own_sample_distances(separated_copy)
    assert after < before / 2


def _own_sample_distances(rewritten: Path) -> tuple[float, float]:
    """The distance to float activations of the shipped model and of `rewritten`, on pairs the
    export never saw: the project's own sample."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(MODEL / "tokenizer.json"))
    tokenizer.no_padding()
    encodings = tokenizer.encode_batch(list(export.OWN_SAMPLE))
    shipped = onnx.load(str(MODEL / "model.onnx"))
    reference = outliers.probabilities(outliers.float_products(shipped), encodings)
    before = outliers.distance(outliers.probabilities(shipped, encodings), reference)
    model = onnx.load(str(rewritten / "model.onnx"))
    return before, outliers.distance(outliers.probabilities(model, encodings), reference)


@pytest.mark.parametrize("rewritten", ["separated_copy", "per_token_copy"])
def test_a_rewritten_model_reads_back_the_same_weights(
    rewritten: str, request: pytest.FixtureRequest
) -> None:
    """Training can start from a rewritten model (`weights.from_onnx`): the float copies of the
    outlier rows and the tokens' scales are left out, and every weight is the one the model had
    before."""
    from monitor.stance.training import weights

    before, _ = weights.from_onnx(MODEL)
    after, _ = weights.from_onnx(request.getfixturevalue(rewritten))
    assert after.keys() == before.keys()
    for name, value in before.items():
        np.testing.assert_array_equal(after[name], value, err_msg=name)


def test_exporting_a_separated_model_again_leaves_it_as_it_is(
    separated_copy: Path, shared_data: Path
) -> None:
    """`export --from-model --separate-outliers` on a separated model (to calibrate it again)
    must not separate its channels a second time: the ranges it would measure are those of the
    tensors already split."""
    card = json.loads((separated_copy / "model.json").read_text(encoding="utf-8"))
    fit, dev = split_train(load(require_shared(shared_data / "fnc1"), "train"))
    unchanged = json.loads(json.dumps(card))
    assert not export.separate_outliers(separated_copy, card, fit, dev, count=40)
    assert card == unchanged
    digest = hashlib.sha256((separated_copy / "model.onnx").read_bytes()).hexdigest()
    assert digest == card["onnx_sha256"]


@pytest.fixture(scope="module")
def per_token_copy(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """The shipped model exported with a scale per token, as `export --scale-per-token` does,
    its card updated."""
    return _rewritten_copy(
        tmp_path_factory.mktemp("per-token"),
        shared_data,
        lambda copy, card, _, dev: export.scale_per_token(copy, card, dev, count=40),
    )


def test_the_shipped_model_with_a_scale_per_token_answers_closer_to_float_activations(
    per_token_copy: Path,
) -> None:

    card = json.loads((per_token_copy / "model.json").read_text(encoding="utf-8"))
    record = card["activation_scales"]
    assert record["per"] == "token" and record["activations"] == 26 and record["pairs"] == 40
    assert record["distance_to_float"]["per_token"] < record["distance_to_float"]["int8"] / 2
    assert "outliers" not in card
    before, after = _own_sample_distances(per_token_copy)
    assert after < before / 2


def test_a_rewritten_model_is_not_rewritten_again(per_token_copy: Path, shared_data: Path) -> None:
    """`export --from-model` with either option on a model rewritten already leaves it as it is."""
    card = json.loads((per_token_copy / "model.json").read_text(encoding="utf-8"))
    fit, dev = split_train(load(require_shared(shared_data / "fnc1"), "train"))
    unchanged = json.loads(json.dumps(card))
    assert not export.scale_per_token(per_token_copy, card, dev, count=40)
    assert not export.separate_outliers(per_token_copy, card, fit, dev, count=40)
    assert card == unchanged
    digest = hashlib.sha256((per_token_copy / "model.onnx").read_bytes()).hexdigest()
    assert digest == card["onnx_sha256"]

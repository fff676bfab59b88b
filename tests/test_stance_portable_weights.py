"""The stance model's integer weights are stored so that every x86 CPU computes the same numbers
(`export.unsigned_weights`): a real ONNX graph run by onnxruntime, and the shipped model."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

from monitor.stance.encoder import packaged_model_dir
from monitor.stance.training.export import unsigned_weights

ROWS, DEPTH, COLUMNS = 8, 384, 16  # DEPTH as in MiniLM's hidden layers


def integer_product_model(path: Path, weights: np.ndarray) -> None:
    """Y = (A - 0) x (W - 0) in int32: A uint8 in, W int8 stored, zero points per column as
    `onnxruntime.quantization.quantize_dynamic(per_channel=True)` writes them."""
    node = helper.make_node("MatMulInteger", ["A", "W", "a_zero", "w_zero"], ["Y"])
    graph = helper.make_graph(
        [node],
        "product",
        [helper.make_tensor_value_info("A", TensorProto.UINT8, [ROWS, DEPTH])],
        [helper.make_tensor_value_info("Y", TensorProto.INT32, [ROWS, COLUMNS])],
        initializer=[
            numpy_helper.from_array(weights, "W"),
            numpy_helper.from_array(np.uint8(0), "a_zero"),
            numpy_helper.from_array(np.zeros(COLUMNS, dtype=np.int8), "w_zero"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))


def run(path: Path, activations: np.ndarray) -> np.ndarray:
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (result,) = session.run(None, {"A": activations})
    return np.asarray(result)


def test_converted_weights_give_the_exact_integer_product_on_this_cpu(tmp_path: Path) -> None:
    # Extreme values, as a quantized layer's largest activations and weights are: 255 x 127
    # twice overflows a 16-bit lane (64,770), which is where an AVX2-only CPU saturated.
    generator = np.random.default_rng(7)
    activations = generator.choice(np.array([0, 200, 255], dtype=np.uint8), size=(ROWS, DEPTH))
    weights = generator.choice(np.array([-127, -90, 90, 127], dtype=np.int8), (DEPTH, COLUMNS))
    exact = activations.astype(np.int64) @ weights.astype(np.int64)
    path = tmp_path / "product.onnx"
    integer_product_model(path, weights)

    assert unsigned_weights(path) == 1
    stored = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(path)).graph.initializer}
    assert stored["W"].dtype == np.uint8
    assert stored["w_zero"].tolist() == [128] * COLUMNS
    # The same numbers: uint8 minus its zero point is the int8 weight.
    assert np.array_equal(stored["W"].astype(np.int16) - 128, weights)
    assert np.array_equal(run(path, activations), exact)


def test_converting_again_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "product.onnx"
    integer_product_model(path, np.full((DEPTH, COLUMNS), -3, dtype=np.int8))
    assert unsigned_weights(path) == 1
    before = path.read_bytes()
    assert unsigned_weights(path) == 0
    assert path.read_bytes() == before


def test_the_shipped_model_has_no_signed_integer_weights_left(tmp_path: Path) -> None:
    copy = tmp_path / "model.onnx"
    shutil.copyfile(packaged_model_dir() / "model.onnx", copy)
    graph = onnx.load(str(copy)).graph
    assert sum(node.op_type == "MatMulInteger" for node in graph.node) == 38
    assert unsigned_weights(copy) == 0

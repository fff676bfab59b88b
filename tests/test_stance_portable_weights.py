"""The stance model's integer weights are stored so that every x86 CPU computes the same numbers
(`export.unsigned_weights`), and loaded on the CPU's fastest exact kernel (`kernels`): real ONNX
graphs run by onnxruntime, and the shipped model."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper

from monitor.stance import kernels
from monitor.stance.encoder import ModelCard, _Runtime, packaged_model_dir
from monitor.stance.kernels import cpu_flags, exact_signed_kernel, exact_storage, retype
from monitor.stance.training.export import OWN_SAMPLE, unsigned_weights

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


def run(path: Path | bytes, activations: np.ndarray) -> np.ndarray:
    model = str(path) if isinstance(path, Path) else path
    session = onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"])
    (result,) = session.run(None, {"A": activations})
    return np.asarray(result)


@pytest.fixture(autouse=True)
def fresh_kernel_choice() -> Iterator[None]:
    exact_signed_kernel.cache_clear()  # it reads $MONITOR_STANCE_KERNEL once per process
    yield
    exact_signed_kernel.cache_clear()


def extremes() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Activations, int8 weights and their exact product, with extreme values as a quantized
    layer's largest are: 255 x 127 twice overflows a 16-bit lane (64,770), which is where an
    AVX2-only CPU saturated."""
    generator = np.random.default_rng(7)
    activations = generator.choice(np.array([0, 200, 255], dtype=np.uint8), size=(ROWS, DEPTH))
    weights = generator.choice(np.array([-127, -90, 90, 127], dtype=np.int8), (DEPTH, COLUMNS))
    return activations, weights, activations.astype(np.int64) @ weights.astype(np.int64)


def test_converted_weights_give_the_exact_integer_product_on_this_cpu(tmp_path: Path) -> None:
    activations, weights, exact = extremes()
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


def test_the_runtime_storage_gives_the_exact_integer_product_on_this_cpu(tmp_path: Path) -> None:
    # Whatever this CPU is: int8 weights where it reports VNNI (32-bit sums), else uint8.
    activations, weights, exact = extremes()
    path = tmp_path / "product.onnx"
    integer_product_model(path, weights)
    unsigned_weights(path)
    stored, kernel = exact_storage(path.read_bytes())
    assert kernel == ("vnni" if cpu_flags() & kernels.VNNI_FLAGS else "portable")
    types = {i.name: i.data_type for i in onnx.load_model_from_string(stored).graph.initializer}
    assert types["W"] == (TensorProto.INT8 if kernel == "vnni" else TensorProto.UINT8)
    assert np.array_equal(run(stored, activations), exact)


def test_retyping_both_ways_gives_back_the_same_bytes(tmp_path: Path) -> None:
    path = tmp_path / "product.onnx"
    integer_product_model(path, extremes()[1])
    model = onnx.load(str(path))
    original = model.SerializeToString()
    assert retype(model, signed=False) == 1
    assert retype(model, signed=True) == 1
    assert retype(model, signed=True) == 0
    assert model.SerializeToString() == original


def test_portable_storage_is_kept_when_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "product.onnx"
    integer_product_model(path, extremes()[1])
    unsigned_weights(path)
    monkeypatch.setenv(kernels.KERNEL_ENV, "portable")
    assert exact_storage(path.read_bytes()) == (path.read_bytes(), "portable")


def test_a_mistyped_kernel_setting_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(kernels.KERNEL_ENV, "fastest")
    with pytest.raises(ValueError, match="MONITOR_STANCE_KERNEL must be 'auto' or 'portable'"):
        exact_signed_kernel()


def test_cpu_flags_are_read_from_the_first_processor(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        "processor\t: 0\nflags\t\t: fpu avx2 avx512_vnni\n\nprocessor\t: 1\nflags\t\t: fpu\n",
        encoding="ascii",
    )
    assert cpu_flags(cpuinfo) == {"fpu", "avx2", "avx512_vnni"}
    assert cpu_flags(tmp_path / "missing") == frozenset()


def test_the_shipped_model_gives_the_same_numbers_on_both_storages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    card = ModelCard.read(packaged_model_dir())
    fast = _Runtime(packaged_model_dir(), card, 1)
    monkeypatch.setenv(kernels.KERNEL_ENV, "portable")
    exact_signed_kernel.cache_clear()
    portable = _Runtime(packaged_model_dir(), card, 1)
    assert portable.kernel == "portable"
    assert np.array_equal(fast.probabilities(OWN_SAMPLE), portable.probabilities(OWN_SAMPLE))


def test_loading_the_model_logs_its_version_and_kernel(caplog: pytest.LogCaptureFixture) -> None:
    card = ModelCard.read(packaged_model_dir())
    with caplog.at_level(logging.INFO, logger="monitor.stance.encoder"):
        runtime = _Runtime(packaged_model_dir(), card, 2)
    (record,) = [r for r in caplog.records if r.getMessage() == "stance model loaded"]
    assert (record.model, record.kernel, record.threads) == (card.version, runtime.kernel, 2)  # type: ignore[attr-defined]

"""Export rounds a model trained on from a shipped one off the shipped model's int8 grid."""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

from monitor.stance.training.export import CONTINUED_LEVELS, FULL_LEVELS, regrid
from monitor.stance.training.outliers import dequantize

ROWS, COLUMNS = 384, 64


def _model(**arrays: np.ndarray[Any, Any]) -> onnx.ModelProto:
    initializers = [numpy_helper.from_array(value, name) for name, value in arrays.items()]
    graph = helper.make_graph([], "weights", [], [], initializer=initializers)
    return helper.make_model(graph)


def _arrays(model: onnx.ModelProto) -> dict[str, np.ndarray[Any, Any]]:
    return {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}


def _continued() -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """A matrix on a shipped model's grid (127 steps a side per column), and the same matrix
    after a short run moved each weight by under a quarter of a step."""
    rng = np.random.default_rng(5)
    step = rng.uniform(0.001, 0.003, COLUMNS).astype(np.float32)
    start = rng.integers(-60, 61, (ROWS, COLUMNS)).astype(np.float32) * step
    start[0] = 127 * step  # each column's largest |weight| sets its scale
    change = rng.uniform(-0.24, 0.24, (ROWS, COLUMNS)).astype(np.float32) * step
    change[0] = 0.0
    return start, start + change


def _rounded(weights: np.ndarray[Any, Any], levels: float) -> np.ndarray[Any, Any]:
    """The matrix as `regrid` stores it, read back as floats."""
    shipped = _model(
        w_quantized=np.zeros(weights.shape, dtype=np.int8),
        w_scale=np.ones(COLUMNS, dtype=np.float32),
        w_zero_point=np.zeros(COLUMNS, dtype=np.int8),
    )
    assert regrid(shipped, _model(w=weights), levels) == 1
    stored = _arrays(shipped)
    assert stored["w_quantized"].dtype == np.int8
    return dequantize(stored, "w")


def _kept(start: np.ndarray[Any, Any], trained: np.ndarray[Any, Any], levels: float) -> float:
    """How much of the run's change the rounded matrix keeps: the least-squares slope of
    (rounded - start) on (trained - start); 1 keeps it all on average, 0 undoes it."""
    change = (trained - start).ravel()
    kept = (_rounded(trained, levels) - start).ravel()
    return float(change @ kept / (change @ change))


def test_the_shipped_grid_undoes_a_short_run_and_another_grid_keeps_it() -> None:
    start, trained = _continued()
    assert np.allclose(_rounded(trained, FULL_LEVELS), start, rtol=1e-6, atol=0)  # all undone
    assert abs(_kept(start, trained, FULL_LEVELS)) < 1e-6
    assert 0.8 < _kept(start, trained, CONTINUED_LEVELS) < 1.2


def test_a_matrix_is_rounded_within_half_a_step_of_its_column() -> None:
    _, trained = _continued()
    step = np.abs(trained).max(axis=0) / CONTINUED_LEVELS
    error = np.abs(_rounded(trained, CONTINUED_LEVELS) - trained)
    assert (error <= step / 2 + 1e-7).all()


def test_an_embedding_table_keeps_one_asymmetric_scale_and_an_exact_zero() -> None:
    rng = np.random.default_rng(7)
    table = rng.normal(0.02, 0.05, (50, 16)).astype(np.float32)
    table[3, 3] = 0.0
    shipped = _model(
        e_quantized=np.zeros(table.shape, dtype=np.uint8),
        e_scale=np.array(1.0, dtype=np.float32),
        e_zero_point=np.array(0, dtype=np.uint8),
    )
    assert regrid(shipped, _model(e=table, bias=np.ones(16, dtype=np.float32)), 113.3) == 1
    stored = _arrays(shipped)
    scale = float(stored["e_scale"])
    assert stored["e_scale"].shape == () and stored["e_zero_point"].dtype == np.uint8
    assert scale == np.float32((table.max() - table.min()) / (2 * 113.3))
    back = dequantize(stored, "e")
    assert np.abs(back - table).max() <= scale / 2 + 1e-7
    assert back[3, 3] == 0.0
    assert stored["e_quantized"].max() <= 2 * 113.3 + 1  # a narrower grid than 255 steps

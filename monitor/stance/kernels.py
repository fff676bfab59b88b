"""Which integer kernel the stance model's matrix products run on, and the weight storage that
picks it. Reads /proc/cpuinfo once.

The model is dynamically quantized: activations are uint8, and every `MatMulInteger` weight
matrix is stored either as int8 or as uint8 with its zero point moved by 128. Both hold the same
numbers (uint8 - 128 = int8), so the exact integer products are the same; what differs is the
kernel onnxruntime picks for each on x86:

- uint8 x int8 on a CPU with VNNI (`vpdpbusd`, AVX-512 VNNI or AVX-VNNI): 32-bit sums, exact,
  and the fastest (1.5 times uint8 x uint8 on the shipped model, measured on a Zen 4 EPYC);
- uint8 x int8 on a CPU without VNNI: pairs of products added in saturating 16-bit lanes
  (255 x 127 x 2 > 32,767), not exact: minilm-fnc1-v3.1 moved a confidence by 0.41 there;
- uint8 x uint8: widened to 16 bits before adding, exact on every x86 CPU.

The model ships with uint8 weights (`retype(model, signed=False)`, at export), so it computes
the same numbers everywhere; on a CPU that reports VNNI the runtime stores them as int8 in
memory before loading (`exact_storage`), which changes the speed and not one number. A model
exported with int8 weights is stored as uint8 in memory on other CPUs, the same way.
`MONITOR_STANCE_KERNEL=portable` keeps the shipped storage on any CPU.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

VNNI_FLAGS = frozenset({"avx512_vnni", "avx_vnni"})
KERNEL_ENV = "MONITOR_STANCE_KERNEL"  # "auto" (the default) or "portable"


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The first processor's flags, as Linux reports them (empty elsewhere or unreadable)."""
    try:
        text = cpuinfo.read_text(encoding="ascii", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == "flags":
            return frozenset(value.split())
    return frozenset()


@cache
def exact_signed_kernel() -> bool:
    """Whether onnxruntime's uint8 x int8 kernel adds in 32 bits on this CPU (it has VNNI),
    unless $MONITOR_STANCE_KERNEL asks for the portable storage."""
    setting = os.environ.get(KERNEL_ENV, "auto").strip().lower()
    if setting not in ("auto", "portable"):
        raise ValueError(f"${KERNEL_ENV} must be 'auto' or 'portable', not {setting!r}")
    return setting == "auto" and bool(cpu_flags() & VNNI_FLAGS)


def retype(model: Any, *, signed: bool) -> int:
    """Store every `MatMulInteger` weight matrix of `model` (an onnx.ModelProto, changed in
    place) as int8 (`signed`) or as uint8, with its zero point moved to match: the same
    numbers. Returns how many matrices changed (0 when all are stored so already)."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    source, target, shift = (
        (onnx.TensorProto.UINT8, np.int8, -128)
        if signed
        else (onnx.TensorProto.INT8, np.uint8, 128)
    )
    initializers = {i.name: i for i in model.graph.initializer}
    changed = 0
    for node in model.graph.node:
        if node.op_type != "MatMulInteger" or len(node.input) < 4:
            continue
        weights, zero_point = (initializers.get(name) for name in (node.input[1], node.input[3]))
        if weights is None or zero_point is None or weights.data_type != source:
            continue
        for tensor in (weights, zero_point):
            values = numpy_helper.to_array(tensor).astype(np.int16) + shift
            tensor.CopyFrom(numpy_helper.from_array(values.astype(target), tensor.name))
        changed += 1
    return changed


def exact_storage(weights: bytes) -> tuple[bytes, str]:
    """The model bytes to load on this CPU, with every weight matrix stored for an exact kernel,
    and the kernel's name: "vnni" (int8 weights, where the CPU adds their products in 32 bits)
    or "portable" (uint8 weights). Unchanged bytes when they are stored so already."""
    import onnx

    signed = exact_signed_kernel()
    model = onnx.load_model_from_string(weights)
    if retype(model, signed=signed):
        weights = model.SerializeToString()
    return weights, "vnni" if signed else "portable"

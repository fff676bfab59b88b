"""Outlier channels of the activations that the int8 model rounds, computed in float instead
(the mixed-precision decomposition of LLM.int8(), Dettmers et al., NeurIPS 2022), applied to an
exported model file.

Dynamic quantization rounds each activation tensor to uint8 with one scale for the whole
tensor. In this model one or two channels of some tensors reach ten times the others (measured
on training pairs: the attention output's layer norm reaches 28 where its median channel
reaches 2.2, and so does one GELU output), so they set the scale and the other channels keep a
handful of levels. For each such tensor x and each integer product x W reading it,
`separate` rewrites the graph as

    round(x with the outlier channels zeroed) W  +  x[outliers] W[outliers, :]

The first term is the same integer product (a zeroed channel is exactly the zero point, so
it adds nothing); the second is a small float product, [tokens, k] x [k, out], on rows of the
same dequantized weights. No weight changes, so the model multiplies by the numbers it was
exported with and `weights.from_onnx` reads them back as before. An outlier channel is one
whose largest value on the measured pairs is at least `RATIO` times the tensor's median
channel's; at most `MOST` per tensor.

Outliers run along the other axis too: one token sets the scale for the others. In v3.4 the
[CLS] token's largest |value| is 6 to 9 times the median token's in the attention output's
layer norm of layers 0 to 4 and in the GELU output of layers 0 to 3 (20 dev pairs; the median
of the ratios), so every other token keeps a fraction of the levels.
`scale_per_token` gives every token (every row of the activation) a scale of its own:

    round(x / m) W  x  m,  m[t] = max_j |x[t, j]|

The rows divided by their largest |value| all lie in [-1, 1], so the quantizer's one scale
serves each of them; each row of the product's float result is multiplied back by m[t]. The
quantizer and the integer product are the shipped ones (onnxruntime fuses MatMulInteger, Cast
and the scale's Mul into one kernel, which takes one activation scale), and nothing is measured
beforehand. A model gets one of the two rewrites, not both.

`float_products` rewrites a model so that every quantized product runs in float on its
dequantized weights: the model without activation rounding, which `distance` compares with.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

RATIO = 6.0
MOST = 2
# Names of the tensors `separate` adds, after the activation's own name.
INLIERS, INDEX, ROWS = "_inliers", "_outlier_index", "_outlier_rows"
# The name of each token's scale (`scale_per_token`), after the activation's name.
ROW_SCALE = "_row_scale"


@dataclass(frozen=True)
class Site:
    """A float tensor that `quantize` rounds to uint8 for the integer `products` reading it."""

    tensor: str
    quantize: Any  # onnx.NodeProto (DynamicQuantizeLinear)
    products: tuple[Any, ...]  # onnx.NodeProto (MatMulInteger), weights as initializers


def sites(model: Any) -> list[Site]:
    """Every dynamically quantized activation of `model` (an onnx.ModelProto) and its products."""
    products: dict[str, list[Any]] = {}
    for node in model.graph.node:
        if node.op_type == "MatMulInteger":
            products.setdefault(node.input[0], []).append(node)
    return [
        Site(node.input[0], node, tuple(products.get(node.output[0], ())))
        for node in model.graph.node
        if node.op_type == "DynamicQuantizeLinear"
    ]


def separated(model: Any) -> bool:
    return any(i.name.endswith(INDEX) for i in model.graph.initializer)


def per_token(model: Any) -> bool:
    return any(ROW_SCALE in n.output[0] for n in model.graph.node if n.output)


def _refuse_rewritten(model: Any, what: str) -> None:
    if separated(model):
        raise ValueError(f"{what}: the model's outlier channels are separated already")
    if per_token(model):
        raise ValueError(f"{what}: the model's activations are scaled per token already")


def _array(initializer: Any) -> np.ndarray[Any, Any]:
    from onnx import numpy_helper

    return numpy_helper.to_array(initializer)


def dequantize(arrays: Mapping[str, Any], prefix: str) -> np.ndarray[Any, Any]:
    """The int8 matrix the exporter stores as `<prefix>_quantized`, `<prefix>_zero_point` and
    `<prefix>_scale` (per output channel) in float32: (q - zero point) x scale."""
    q = arrays[prefix + "_quantized"].astype(np.int32)
    zero = arrays[prefix + "_zero_point"].astype(np.int32)
    result: np.ndarray[Any, Any] = ((q - zero) * arrays[prefix + "_scale"]).astype(np.float32)
    return result


def dequantized(initializers: dict[str, Any], product: Any) -> np.ndarray[Any, Any]:
    """The weights a `MatMulInteger` of the exported graph multiplies by, as float32 [in, out]."""
    prefix = product.input[1].removesuffix("_quantized")
    parts = (prefix + part for part in ("_quantized", "_zero_point", "_scale"))
    return dequantize({name: _array(initializers[name]) for name in parts}, prefix)


def _readers(model: Any) -> dict[str, list[Any]]:
    readers: dict[str, list[Any]] = {}
    for node in model.graph.node:
        for name in node.input:
            readers.setdefault(name, []).append(node)
    return readers


def _rescale(readers: dict[str, list[Any]], product: Any) -> Any:
    """The node that turns a product's int32 result into its float result: the exporter writes
    MatMulInteger -> Cast -> Mul (by the activation's scale times the weights')."""
    (cast,) = readers[product.output[0]]
    (rescale,) = readers[cast.output[0]]
    return rescale


def run_pairs(model: Any, encodings: Sequence[Any], names: Sequence[str]) -> list[list[Any]]:
    """`names` of `model` for each tokenized pair, each pair alone as the product runs them, on
    this CPU's exact integer kernel (`kernels`), one thread per pair."""
    import onnxruntime

    from monitor.stance.encoder import model_feed
    from monitor.stance.kernels import exact_signed_kernel, retype

    copy = type(model)()
    copy.CopyFrom(model)
    retype(copy, signed=exact_signed_kernel())
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        copy.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    inputs = {i.name for i in session.get_inputs()}

    def one(encoding: Any) -> list[Any]:
        return list(session.run(list(names), model_feed(encoding, inputs)))

    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        return list(pool.map(one, encodings))


def activation_ranges(model: Any, encodings: Sequence[Any]) -> dict[str, np.ndarray[Any, Any]]:
    """max |x_j| of every channel j of every quantized activation, over every token of the
    tokenized pairs."""
    import onnx
    from onnx import helper

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    names = [site.tensor for site in sites(model) if site.products]
    for name in names:
        probe.graph.output.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    ranges: dict[str, np.ndarray[Any, Any]] = {}
    for outputs in run_pairs(probe, encodings, names):
        for name, value in zip(names, outputs, strict=True):
            top = np.abs(value.reshape(-1, value.shape[-1])).max(axis=0)
            ranges[name] = np.maximum(ranges[name], top) if name in ranges else top
    return ranges


def outlier_channels(
    ranges: dict[str, np.ndarray[Any, Any]], ratio: float = RATIO, most: int = MOST
) -> dict[str, list[int]]:
    """For each activation, its channels whose range is at least `ratio` times its median
    channel's, the largest first, at most `most` of them (activations without any left out)."""
    chosen = {}
    for name, top in ranges.items():
        floor = ratio * float(np.median(top))
        channels = [int(j) for j in np.argsort(-top, kind="stable")[:most] if top[j] >= floor]
        if channels:
            chosen[name] = channels
    return chosen


def separate(model: Any, channels: dict[str, list[int]]) -> int:
    """Compute the `channels` of each activation of `model` (changed in place) in float, the
    rest in int8 as before. Returns how many activations changed. A model separated already is
    refused: its quantized tensors are not the ones measured."""
    from onnx import helper, numpy_helper

    _refuse_rewritten(model, "separate")
    initializers = {i.name: i for i in model.graph.initializer}
    readers = _readers(model)
    before: dict[str, list[Any]] = {}  # nodes are named by their first output here
    after: dict[str, list[Any]] = {}
    for site in sites(model):
        picked = channels.get(site.tensor)
        if not picked or not site.products:
            continue
        x = site.tensor
        width = dequantized(initializers, site.products[0]).shape[0]
        if max(picked) >= width or min(picked) < 0:
            raise ValueError(f"{x}: channels {picked} outside its {width}")
        keep = np.ones(width, dtype=np.float32)
        keep[picked] = 0.0
        model.graph.initializer.extend(
            [
                numpy_helper.from_array(keep, x + INLIERS),
                numpy_helper.from_array(np.array(picked, dtype=np.int64), x + INDEX),
            ]
        )
        before[site.quantize.output[0]] = [
            helper.make_node("Mul", [x, x + INLIERS], [x + "_inlier_values"], name=x + INLIERS),
            helper.make_node("Gather", [x, x + INDEX], [x + "_outlier_values"], axis=-1),
        ]
        site.quantize.input[0] = x + "_inlier_values"
        for product in site.products:
            rows = product.input[1] + ROWS
            model.graph.initializer.append(
                numpy_helper.from_array(dequantized(initializers, product)[picked], rows)
            )
            rescale = _rescale(readers, product)
            result = rescale.output[0]
            inlier_part, outlier_part = result + "_inlier_part", result + "_outlier_part"
            rescale.output[0] = inlier_part
            after[inlier_part] = [
                helper.make_node("MatMul", [x + "_outlier_values", rows], [outlier_part]),
                helper.make_node("Add", [inlier_part, outlier_part], [result]),
            ]
    _splice(model, before, after)
    return len(before)


def _splice(model: Any, before: dict[str, list[Any]], after: dict[str, list[Any]]) -> None:
    """Put the new nodes into `model`'s graph, each list right before or after the node whose
    first output names it, the graph's order kept."""
    nodes = []
    for node in model.graph.node:
        nodes += [*before.get(node.output[0], ()), node, *after.get(node.output[0], ())]
    del model.graph.node[:]
    model.graph.node.extend(nodes)


def scale_per_token(model: Any) -> int:
    """Give each token of each quantized activation of `model` (changed in place) a scale of its
    own: the activation is divided by each row's largest |value| before it is quantized, and
    each row of the product's float result multiplied back by it. The weights are not touched.
    Returns how many activations changed."""
    from onnx import helper, numpy_helper

    _refuse_rewritten(model, "scale_per_token")
    readers = _readers(model)
    before: dict[str, list[Any]] = {}  # nodes are named by their first output here
    after: dict[str, list[Any]] = {}
    for site in sites(model):
        if not site.products:
            continue
        x = site.tensor
        scale = x + ROW_SCALE
        least = numpy_helper.from_array(np.array(1e-12, np.float32), scale + "_least")
        model.graph.initializer.append(least)  # an all-zero row stays zero
        before[site.quantize.output[0]] = [
            helper.make_node("Abs", [x], [scale + "_abs"]),
            helper.make_node("ReduceMax", [scale + "_abs"], [scale + "_max"], axes=[-1]),
            helper.make_node("Max", [scale + "_max", least.name], [scale]),
            helper.make_node("Div", [x, scale], [scale + "_normalized"]),
        ]
        site.quantize.input[0] = scale + "_normalized"
        for product in site.products:
            rescale = _rescale(readers, product)
            result = rescale.output[0]
            rescale.output[0] = result + "_per_unit"
            after[rescale.output[0]] = [
                helper.make_node("Mul", [result + "_per_unit", scale], [result])
            ]
    _splice(model, before, after)
    return len(before)


def float_products(model: Any) -> Any:
    """A copy of `model` (not separated) whose quantized products all run in float on their
    dequantized weights: the same weights without the activations' rounding."""
    import onnx
    from onnx import helper, numpy_helper

    _refuse_rewritten(model, "float_products")
    result = onnx.ModelProto()
    result.CopyFrom(model)
    graph = result.graph
    initializers = {i.name: i for i in graph.initializer}
    readers = _readers(result)
    dropped: set[str] = set()  # nodes are named by their first output here
    replaced: dict[str, Any] = {}
    for site in sites(result):
        if not site.products:
            continue
        dropped.add(site.quantize.output[0])
        for product in site.products:
            rescale = _rescale(readers, product)
            name = product.input[1] + "_float"
            graph.initializer.append(
                numpy_helper.from_array(dequantized(initializers, product), name)
            )
            replaced[product.output[0]] = helper.make_node(
                "MatMul", [site.tensor, name], [rescale.output[0]], name=name
            )
            (cast,) = readers[product.output[0]]
            dropped.update({cast.output[0], rescale.output[0], rescale.input[1]})
    nodes = [replaced.get(n.output[0], n) for n in graph.node if n.output[0] not in dropped]
    used = {name for node in nodes for name in node.input}
    kept = [i for i in graph.initializer if i.name in used]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend(kept)
    return result


def probabilities(model: Any, encodings: Sequence[Any]) -> np.ndarray[Any, Any]:
    """Label probabilities of each tokenized pair, in float64."""
    logits = np.stack([row[0][0] for row in run_pairs(model, encodings, ["logits"])])
    shifted = np.exp(logits.astype(np.float64) - logits.max(axis=1, keepdims=True))
    result: np.ndarray[Any, Any] = shifted / shifted.sum(axis=1, keepdims=True)
    return result


def distance(first: np.ndarray[Any, Any], second: np.ndarray[Any, Any]) -> float:
    """Mean total-variation distance between two models' label probabilities on the same pairs:
    0 when they answer alike, 1 when they put their weight on different labels."""
    return float(np.abs(first - second).sum(axis=1).mean() / 2)

"""Moving weights to and from a training machine: the base model as an fp16 copy, the fine-tuned
weights as fp16 parts, and joining them back into a checkpoint that `export` reads; and reading
a shipped model's int8 weights back as floats (`from_onnx`), so that training can go on from it.

    python -m monitor.stance.training.weights pack --out carry/base
    python -m monitor.stance.training.weights join --parts OUT --out build/stance/checkpoint

Why: the accelerator machine is reached through a 64 MiB working tree and returns files of at
most 16 MiB. The fp32 base (91 MB) goes as fp16 (46 MB; training keeps fp32 master weights and
the int8 export is far coarser than fp16), with a manifest of sha256 sums tying it to the
verified original; the fine-tuned weights come back as fp16 in 15 MiB parts with their sha256.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

PART_BYTES = 15 * 1024 * 1024
WEIGHTS = "weights-fp16.safetensors"
_BASE_FILES = ("config.json", "tokenizer.json")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pack(out: Path) -> None:
    """Write the verified base model's fp16 copy, its config, tokenizer and manifest to `out`."""
    from safetensors.torch import load_file, save_file

    from monitor.stance.training.train import BASE_SHA256, base_model_dir

    source = base_model_dir()
    out.mkdir(parents=True, exist_ok=True)
    tensors = load_file(str(source / "model.safetensors"))
    half = {k: v.half() if v.is_floating_point() else v for k, v in tensors.items()}
    save_file(half, str(out / "model.safetensors"))
    for name in _BASE_FILES:
        shutil.copyfile(source / name, out / name)
    manifest = {
        "what": "fp16 copy of the base model's weights; config and tokenizer unchanged",
        "source_sha256": BASE_SHA256,
        "sha256": {n: _sha256(out / n) for n in ("model.safetensors", *_BASE_FILES)},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def verify_base(directory: Path) -> dict[str, Any]:
    """Check a base model directory (the original or a `pack` copy); say which it is."""
    from monitor.stance.training.train import BASE_SHA256

    manifest_path = directory / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("source_sha256") != BASE_SHA256:
            raise SystemExit(f"{directory}: packed from another base model")
        expected, note = manifest["sha256"], "fp16 copy (weights pack)"
    else:
        expected, note = BASE_SHA256, "original"
    for name, digest in expected.items():
        actual = _sha256(directory / name)
        if actual != digest:
            raise SystemExit(f"base model {directory / name}: sha256 {actual}, expected {digest}")
    return {"weights": note, "sha256": expected}


def save(state: dict[str, Any], config: Any, out: Path, summary: dict[str, Any]) -> None:
    """The fine-tuned weights as fp16 parts, the model config and training.json in `out`."""
    from safetensors.torch import save_file

    whole = out / WEIGHTS
    save_file({k: v.half() if v.is_floating_point() else v for k, v in state.items()}, str(whole))
    data = whole.read_bytes()
    whole.unlink()
    config.save_pretrained(str(out))
    summary = {**summary, "weights": write_parts(data, out)}
    (out / "training.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")


def write_parts(data: bytes, out: Path) -> dict[str, Any]:
    """`data` as files of at most PART_BYTES in `out`; their names and the whole's sha256."""
    names = []
    for n, start in enumerate(range(0, len(data), PART_BYTES)):
        name = f"{WEIGHTS}.{n:02d}"
        (out / name).write_bytes(data[start : start + PART_BYTES])
        names.append(name)
    return {"parts": names, "sha256": hashlib.sha256(data).hexdigest()}


def read_parts(directory: Path, written: dict[str, Any]) -> bytes:
    """The bytes `write_parts` split, checked against its sha256."""
    missing = [name for name in written["parts"] if not (directory / name).is_file()]
    if missing:
        raise SystemExit(f"{directory}: weight parts missing: {', '.join(missing)}")
    data = b"".join((directory / name).read_bytes() for name in written["parts"])
    digest = hashlib.sha256(data).hexdigest()
    if digest != written["sha256"]:
        raise SystemExit(
            f"{directory}: joined weights sha256 {digest}, expected {written['sha256']} "
            "(a part is damaged)"
        )
    return data


def join(parts: Path, out: Path) -> None:
    """Rebuild a checkpoint (fp32 model, config, tokenizer) from `save`'s files in `parts`;
    training.json goes beside it, where `export` looks for it."""
    import torch
    from safetensors.torch import load
    from transformers import AutoConfig, AutoModelForSequenceClassification

    from monitor.stance.training.train import base_model_dir

    summary = json.loads((parts / "training.json").read_text(encoding="utf-8"))
    data = read_parts(parts, summary["weights"])
    config = AutoConfig.from_pretrained(str(parts))
    model = AutoModelForSequenceClassification.from_config(config)
    model.load_state_dict({k: v.float() for k, v in load(data).items()}, strict=True)
    model = model.to(torch.float32)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    base = base_model_dir()
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        if (base / name).exists():
            shutil.copyfile(base / name, out / name)
    if parts.resolve() != out.parent.resolve():
        shutil.copyfile(parts / "training.json", out.parent / "training.json")


def from_onnx(directory: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """A shipped model's weights as float32 numpy arrays under the transformers BERT names
    (`bert.encoder.layer.0.attention.self.query.weight`, ..., `classifier.bias`), with a note of
    where they came from. model.onnx's sha256 is checked against its card. Each int8 matrix
    comes back as (q - zero point) x scale, per output channel, in the [out, in] layout of a
    torch Linear; float initializers (biases, layer norms) are taken as they are. These are the
    numbers the shipped model multiplies by, so a model built from them reads as it does, but
    for the activations' rounding, which onnxruntime adds and torch does not. The float copies
    of outlier rows (`outliers.separate`) are the same numbers again, and are left out."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    from monitor.stance.training import outliers

    card = json.loads((directory / "model.json").read_text(encoding="utf-8"))
    data = (directory / "model.onnx").read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != card["onnx_sha256"]:
        raise SystemExit(f"{directory}/model.onnx: sha256 {digest}, expected {card['onnx_sha256']}")
    graph = onnx.load_model_from_string(data).graph
    tensors = {i.name: numpy_helper.to_array(i) for i in graph.initializer}

    added = ("_scale", outliers.INLIERS, outliers.ROWS)  # the quantizer's and `outliers`'
    state: dict[str, Any] = {
        name: value.astype(np.float32)
        for name, value in tensors.items()
        if value.dtype == np.float32 and value.ndim > 0 and not name.endswith(added)
    }
    for name in tensors:  # the embeddings: one scale each, rows gathered as they are
        if name.startswith("bert.embeddings.") and name.endswith(".weight_quantized"):
            prefix = name.removesuffix("_quantized")
            state[prefix] = outliers.dequantize(tensors, prefix)
    for node in graph.node:  # the matrix products: [in, out] with a scale per output column
        if node.op_type != "MatMulInteger":
            continue
        prefix = node.input[1].removesuffix("_quantized")
        state[f"{_linear_name(node.output[0])}.weight"] = np.ascontiguousarray(
            outliers.dequantize(tensors, prefix).T
        )
    note = {"model": card["version"], "onnx_sha256": digest}
    return state, note


def _linear_name(product: str) -> str:
    """The torch module a quantized matrix product of the exported graph belongs to, from its
    output's name: "/bert/encoder/layer.0/attention/self/query/MatMul_output_0_output_quantized"
    is bert.encoder.layer.0.attention.self.query; the classifier's is "logits_MatMul...".
    """
    if product.startswith("logits_"):
        return "classifier"
    path = product.strip("/").split("/")
    if len(path) < 3 or not path[-1].startswith(("MatMul", "Gemm")):
        raise ValueError(f"not a linear layer's product: {product!r}")
    return ".".join(path[:-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("pack", "join"))
    parser.add_argument("--parts", type=Path, help="join: the directory fit wrote")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.step == "pack":
        pack(args.out)
    else:
        if args.parts is None:
            parser.error("join needs --parts")
        join(args.parts, args.out)


if __name__ == "__main__":
    main()

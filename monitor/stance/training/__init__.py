"""Training the stance cross-encoder (needs the `train` extra: torch, transformers, onnx)."""

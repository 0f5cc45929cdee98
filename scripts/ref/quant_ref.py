#!/usr/bin/env python3
"""Reference data for the CPU kernel tests (tests/cpu_kernels): a few blocks per
weight type and the floats the `gguf` package's dequantizer makes of them.

Venv: python3 -m venv /opt/plume-ref && /opt/plume-ref/bin/pip install gguf numpy
Run:  /opt/plume-ref/bin/python scripts/ref/quant_ref.py [MODEL.gguf] [OUTDIR]

Writes OUTDIR/<type>.bin (raw blocks) and OUTDIR/<type>.f32 (expected floats,
little-endian f32). Q4_1, Q8_0 and F32 blocks come from the real model file;
Q4_0, Q5_0, Q5_1, F16, BF16 from gguf.quants.quantize of random data; the
K-quants (no quantizer in the package) from random bytes with finite fp16 scales.
Also writes q8_0_act.{f32,bin}: random activations and gguf's Q8_0 quantization
of them (round half away from zero, id = 1/d: may differ from llama.cpp's x86
quantizer by one unit on a few values; the test bounds that).
"""
import os
import sys

import numpy as np
from gguf import GGUFReader, GGMLQuantizationType as T
from gguf import quants

MODEL = os.path.expanduser("~/.cache/plume/models/SmolLM2-135M-Instruct.Q4_1.gguf")
rng = np.random.default_rng(1234)


def write(outdir, name, raw, expect):
    raw = np.ascontiguousarray(raw).view(np.uint8)
    with open(os.path.join(outdir, name + ".bin"), "wb") as f:
        f.write(raw.tobytes())
    with open(os.path.join(outdir, name + ".f32"), "wb") as f:
        f.write(np.asarray(expect, dtype="<f4").tobytes())


def real_blocks(reader, qtype, n_blocks):
    """n_blocks consecutive blocks from the middle of the first tensor of qtype."""
    for t in reader.tensors:
        if t.tensor_type != qtype:
            continue
        bs, ts = quants.GGML_QUANT_SIZES[qtype]
        raw = np.asarray(t.data).view(np.uint8).reshape(-1)
        start = (raw.size // ts // 2) * ts
        return raw[start:start + n_blocks * ts].copy()
    raise SystemExit(f"no {qtype.name} tensor in model")


def finite_f16(n, lo, hi):
    return rng.uniform(lo, hi, n).astype(np.float16).view(np.uint8).reshape(n, 2)


def random_k_blocks(qtype, n_blocks):
    _, ts = quants.GGML_QUANT_SIZES[qtype]
    b = rng.integers(0, 256, (n_blocks, ts), dtype=np.uint8)
    # positions of the fp16 fields: (offset, lo, hi)
    fields = {T.Q2_K: [(80, 1e-3, 0.1), (82, 1e-3, 0.1)], T.Q3_K: [(108, 1e-3, 0.1)],
              T.Q4_K: [(0, 1e-3, 0.1), (2, 1e-3, 0.1)], T.Q5_K: [(0, 1e-3, 0.1), (2, 1e-3, 0.1)],
              T.Q6_K: [(208, -0.1, 0.1)]}[qtype]
    for off, lo, hi in fields:
        b[:, off:off + 2] = finite_f16(n_blocks, lo, hi)
    return b.reshape(-1)


def main():
    model = sys.argv[1] if len(sys.argv) > 1 else MODEL
    outdir = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        os.path.dirname(__file__), "..", "..", "tests", "data", "quant")
    os.makedirs(outdir, exist_ok=True)
    reader = GGUFReader(model)
    for qt, nb in ((T.Q4_1, 16), (T.Q8_0, 16), (T.F32, 256)):
        raw = real_blocks(reader, qt, nb)
        write(outdir, qt.name.lower(), raw, quants.dequantize(raw, qt).reshape(-1))
    for qt in (T.Q4_0, T.Q5_0, T.Q5_1, T.F16, T.BF16):
        x = (rng.standard_normal(512) * 0.05).astype(np.float32)
        x[:32] = 0.0  # one all-zero block
        raw = quants.quantize(x.reshape(1, -1), qt).reshape(-1).view(np.uint8)
        write(outdir, qt.name.lower(), raw, quants.dequantize(raw, qt).reshape(-1))
    for qt in (T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K):
        raw = random_k_blocks(qt, 4)
        write(outdir, qt.name.lower(), raw, quants.dequantize(raw, qt).reshape(-1))
    x = (rng.standard_normal(1024) * 3.0).astype(np.float32)
    raw = quants.quantize(x.reshape(1, -1), T.Q8_0).reshape(-1).view(np.uint8)
    with open(os.path.join(outdir, "q8_0_act.f32"), "wb") as f:
        f.write(x.astype("<f4").tobytes())
    with open(os.path.join(outdir, "q8_0_act.bin"), "wb") as f:
        f.write(raw.tobytes())


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Reference data for the CPU kernel tests (tests/cpu_kernels): a few blocks per
weight type and the floats the `gguf` package's dequantizer makes of them.

Venv: python3 -m venv /opt/plume-ref && /opt/plume-ref/bin/pip install gguf numpy
Run:  /opt/plume-ref/bin/python scripts/ref/quant_ref.py [MODEL.gguf] [OUTDIR]

Writes OUTDIR/<type>.bin (raw blocks) and OUTDIR/<type>.f32 (expected floats,
little-endian f32). Q4_1, Q8_0 and F32 blocks come from the real model file;
Q4_0, Q5_0, Q5_1, F16, BF16 from gguf.quants.quantize of random data; the
K-quants (no quantizer in the package) from random bytes with finite fp16 scales.
Also writes ggml_<type>.bin: llama.cpp's own activation quantization and
vec_dot result (its shared library, called through ctypes; see below), and
q8_0_act.{f32,bin}: random activations and gguf's Q8_0 quantization
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



# ---- llama.cpp's own CPU kernels, through its shared library -------------
# For each weight type: activations x (1024 f32), a random valid weight row,
# llama.cpp's quantization of x to the vec_dot type (from_float) and its
# vec_dot result; written to OUTDIR/ggml_<type>.bin as
#   x (1024 f32) | weight row | activation row | result (f32).
# The library is the one llama-cpp-python ships (built for this machine's CPU).
import ctypes  # noqa: E402

N_GGML = 1024
VEC_DOT_TYPE = {T.F32: T.F32, T.F16: T.F16, T.BF16: T.BF16, T.Q4_0: T.Q8_0, T.Q4_1: T.Q8_1,
                T.Q5_0: T.Q8_0, T.Q5_1: T.Q8_1, T.Q8_0: T.Q8_0}
ROW_BYTES = {T.F32: 4, T.F16: 2, T.BF16: 2, T.Q8_1: 36 / 32, T.Q8_K: 292 / 256}


class TraitsCpu(ctypes.Structure):
    _fields_ = [("from_float", ctypes.c_void_p), ("vec_dot", ctypes.c_void_p),
                ("vec_dot_type", ctypes.c_int), ("nrows", ctypes.c_int64)]


def ggml_lib():
    import llama_cpp
    libdir = os.path.join(os.path.dirname(llama_cpp.__file__), "lib")
    ctypes.CDLL(os.path.join(libdir, "libggml-base.so"), mode=ctypes.RTLD_GLOBAL)
    lib = ctypes.CDLL(os.path.join(libdir, "libggml-cpu.so"), mode=ctypes.RTLD_GLOBAL)
    lib.ggml_cpu_init.restype = None
    lib.ggml_cpu_init()
    lib.ggml_get_type_traits_cpu.restype = ctypes.POINTER(TraitsCpu)
    lib.ggml_get_type_traits_cpu.argtypes = [ctypes.c_int]
    return lib


def row_bytes(qt, n):
    if qt in ROW_BYTES:
        return int(n * ROW_BYTES[qt])
    bs, ts = quants.GGML_QUANT_SIZES[qt]
    return n // bs * ts


def random_row(qt, n):
    if qt in (T.F32, T.F16, T.BF16):
        x = rng.uniform(-1, 1, n).astype(np.float32)
        if qt == T.F32:
            return x.view(np.uint8)
        return quants.quantize(x.reshape(1, -1), qt).reshape(-1).view(np.uint8)
    if qt in (T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K):
        return random_k_blocks(qt, n // 256)
    _, ts = quants.GGML_QUANT_SIZES[qt]
    b = rng.integers(0, 256, (n // 32, ts), dtype=np.uint8)
    b[:, 0:2] = finite_f16(n // 32, 1e-3, 0.05)
    if qt in (T.Q4_1, T.Q5_1):
        b[:, 2:4] = finite_f16(n // 32, -0.05, 0.05)
    return b.reshape(-1)


def ggml_vec_dots(outdir):
    lib = ggml_lib()
    fn_quant = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64)
    fn_dot = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p,
                              ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    for qt in (T.F32, T.F16, T.BF16, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0,
               T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K):
        tr = lib.ggml_get_type_traits_cpu(int(qt)).contents
        at = T(tr.vec_dot_type)
        assert at == VEC_DOT_TYPE.get(qt, T.Q8_K), (qt, at)
        x = (rng.standard_normal(N_GGML) * rng.uniform(0.1, 10, N_GGML)).astype(np.float32)
        x[:32] = 0.0
        w = np.ascontiguousarray(random_row(qt, N_GGML))
        assert w.size == row_bytes(qt, N_GGML)
        act = np.zeros(row_bytes(at, N_GGML), dtype=np.uint8)
        res = np.zeros(1, dtype=np.float32)
        if at == T.F32:
            act[:] = x.view(np.uint8)
        else:
            # the vec_dot type's own from_float (the weight type's quantizes to itself)
            at_from_float = lib.ggml_get_type_traits_cpu(int(at)).contents.from_float
            fn_quant(at_from_float)(x.ctypes.data, act.ctypes.data, N_GGML)
        fn_dot(tr.vec_dot)(N_GGML, res.ctypes.data, 0, w.ctypes.data, 0, act.ctypes.data, 0, 1)
        with open(os.path.join(outdir, "ggml_" + qt.name.lower() + ".bin"), "wb") as f:
            f.write(x.astype("<f4").tobytes() + w.tobytes() + act.tobytes() +
                    res.astype("<f4").tobytes())


if __name__ == "__main__":
    main()
    ggml_vec_dots(sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        os.path.dirname(__file__), "..", "..", "tests", "data", "quant"))

#!/usr/bin/env python3
"""Tokenizer reference for tests/bpe: a corpus of strings and llama.cpp's ids
for them on the default model's vocabulary (through llama-cpp-python).

    /opt/plume-ref/bin/python scripts/ref/tokenizer_ref.py > tests/data/tokenizer/smollm2_ref.txt

    /opt/plume-ref/bin/python scripts/ref/tokenizer_ref.py --pre | gzip -9n > tests/data/tokenizer/smollm2_pre_ref.txt.gz

(venv as in scripts/ref/make_golden.py). For each string: its bytes (hex),
the ids without and with special-token parsing (no BOS/EOS), and the
detokenized text of the first (hex). With --pre: the same vocabulary with
tokenizer.ggml.pre replaced by each of PRES (a vocabulary-only copy of the
file in /tmp): per string, the ids (no special
parsing) and llama_detokenize's whole-sequence text (clean_spaces applies).
"""
import ctypes
import os
import random
import struct
import sys

import llama_cpp

MODEL = os.path.join(os.environ.get("PLUME_MODEL_DIR", os.path.expanduser("~/.cache/plume/models")),
                     "SmolLM2-135M-Instruct.Q4_1.gguf")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tok_corpus  # noqa: E402
from tok_corpus import BASE, INVALID  # noqa: E402  (the shared corpus's first strings)


def generated(rng, n):
    pieces = ["the", " cat", "2", "99", " ", "  ", "\n", ",", ".", "'s", "é", "中", "🙂", "<|im_end|>",
              "Hello", "x", "_", "-", "\t", "ß", "Ω", "٣", "..."]
    out = []
    for _ in range(n):
        out.append("".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))))
    return out


SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}


def skip_value(d, o, t):
    if t == 8:
        return o + 8 + struct.unpack_from("<Q", d, o)[0]
    if t == 9:
        et, n = struct.unpack_from("<IQ", d, o)
        o += 12
        if et in SIZES:
            return o + n * SIZES[et]
        for _ in range(n):
            o = skip_value(d, o, et)
        return o
    return o + SIZES[t]


def vocab_copy(pre):
    """The metadata of MODEL, no tensors, tokenizer.ggml.pre = pre."""
    d = open(MODEL, "rb").read()
    magic, ver, n_t, n_kv = struct.unpack_from("<IIQQ", d, 0)
    o, out = 24, []
    for _ in range(n_kv):
        start = o
        kl = struct.unpack_from("<Q", d, o)[0]
        key = d[o + 8:o + 8 + kl].decode()
        t = struct.unpack_from("<I", d, o + 8 + kl)[0]
        o = skip_value(d, o + 12 + kl, t)
        if key == "tokenizer.ggml.pre":
            k = key.encode()
            out.append(struct.pack("<Q", len(k)) + k + struct.pack("<IQ", 8, len(pre)) + pre.encode())
        else:
            out.append(d[start:o])
    path = "/tmp/plume-vocab-%s.gguf" % pre
    with open(path, "wb") as f:
        f.write(struct.pack("<IIQQ", magic, ver, 0, n_kv) + b"".join(out))
    return path


def detokenize(llm, ids):
    arr = (llama_cpp.llama_token * max(1, len(ids)))(*ids)
    buf = ctypes.create_string_buffer(1 << 16)
    n = llama_cpp.llama_detokenize(llm._model.vocab, arr, len(ids), buf, 1 << 16, False, False)
    assert n >= 0
    return buf.raw[:n]


# Pre-tokenizers checked on this vocabulary (the others also have a vocabulary
# of their own in tests/tok_corpus).
PRES = ["default", "gpt-2", "llama-bpe", "qwen2", "falcon", "deepseek-llm", "deepseek-coder", "qwen35",
        "bloom", "poro-chat", "viking", "minicpm5", "stablelm2", "chatglm-bpe", "dbrx", "command-r",
        "gpt-4o", "tekken", "deepseek-v3"]


def main_pre():
    print("# plume pre-tokenizer reference: llama.cpp (llama-cpp-python %s), %s's vocabulary with"
          " tokenizer.ggml.pre replaced" % (llama_cpp.__version__, os.path.basename(MODEL)))
    print("# regenerate: scripts/ref/tokenizer_ref.py --pre")
    # the whole shared corpus (~830 strings) and a few clean_spaces cases
    strings = tok_corpus.corpus(seed=3) + ["Hello , world . It ' s ok 's", "a ' . b", "x ' ' y 're 've 'll"]
    for pre in PRES:
        llm = llama_cpp.Llama(model_path=vocab_copy(pre), vocab_only=True, verbose=False)
        print("pre " + pre)
        for s in strings:
            b = s if isinstance(s, bytes) else s.encode()
            ids = llm.tokenize(b, add_bos=False, special=False)
            print("s " + b.hex())
            print("ids " + " ".join(map(str, ids)))
            print("detok " + detokenize(llm, ids).hex())


def main():
    llm = llama_cpp.Llama(model_path=MODEL, vocab_only=True, verbose=False)
    corpus = BASE + generated(random.Random(7), 120)
    print("# plume tokenizer reference: llama.cpp (llama-cpp-python %s) on %s" %
          (llama_cpp.__version__, os.path.basename(MODEL)))
    print("# regenerate: scripts/ref/tokenizer_ref.py; %d strings" % (len(corpus) + len(INVALID)))
    for s in corpus + INVALID:
        b = s if isinstance(s, bytes) else s.encode()
        ids = llm.tokenize(b, add_bos=False, special=False)
        ids_sp = llm.tokenize(b, add_bos=False, special=True)
        detok = llm.detokenize(ids)
        print("s " + b.hex())
        print("ids " + " ".join(map(str, ids)))
        print("ids_special " + " ".join(map(str, ids_sp)))
        print("detok " + detok.hex())


if "--pre" in sys.argv:
    main_pre()
else:
    main()

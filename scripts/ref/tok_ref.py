#!/usr/bin/env python3
"""Tokenizer corpus references from llama.cpp (llama-cpp-python, vocab_only)
for tests/tok_corpus: one gzipped text file per vocabulary in tests/data/tok/.

    /opt/plume-ref/bin/python scripts/ref/tok_ref.py [NAME ...]

Vocabularies: every ggml-vocab-*.gguf that scripts/fetch-test-data puts in
$PLUME_CACHE/vocab (BERT-style ones aside), plus SmolLM2-135M and Gemma 3
270M from $PLUME_CACHE/models (scripts/fetch-model smollm2-135m,
gemma3-270m). Strings: scripts/ref/tok_corpus.py with the vocabulary's own
special tokens and token texts mixed in (seeded by the name, so reruns give
the same file).

File format (one record per string, all text as hex since the corpus holds
invalid UTF-8):
    file <path relative to the cache dir>
    s <hex>              the string
    ids <ids>            llama_tokenize(add_special=true, parse_special=false)
    ids_sp <ids> | =     the same with parse_special=true ("=": same ids)
    detok <hex>          llama_detokenize(ids, remove_special=false, unparse_special=false)
    detok_sp <hex> | =   llama_detokenize(ids_sp, false, unparse_special=true)
"""
import ctypes
import gzip
import os
import sys
import zlib

import gguf
import llama_cpp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tok_corpus  # noqa: E402

CACHE = os.environ.get("PLUME_CACHE") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "plume")
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "data", "tok")
SKIP = ("bert-bge", "nomic-bert-moe")


def vocabularies():
    """name -> path relative to CACHE"""
    out = {}
    d = os.path.join(CACHE, "vocab")
    for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        if f.startswith("ggml-vocab-") and f.endswith(".gguf"):
            name = f[len("ggml-vocab-"):-len(".gguf")]
            if name not in SKIP:
                out[name] = "vocab/" + f
    out["smollm2-135m"] = "models/SmolLM2-135M-Instruct.Q4_1.gguf"
    out["gemma3-270m"] = "models/gemma-3-270m-q4_k_m.gguf"
    return out


def tokens_of(path):
    r = gguf.GGUFReader(path)
    tf, yf = r.fields["tokenizer.ggml.tokens"], r.fields.get("tokenizer.ggml.token_type")
    texts = [bytes(tf.parts[i]).decode("utf-8", "replace") for i in tf.data]
    types = [int(yf.parts[i][0]) for i in yf.data] if yf else [1] * len(texts)
    return list(zip(texts, types))


def detokenize(llm, ids, unparse):
    arr = (llama_cpp.llama_token * max(1, len(ids)))(*ids)
    cap = 1 << 16
    while True:
        buf = ctypes.create_string_buffer(cap)
        n = llama_cpp.llama_detokenize(llm._model.vocab, arr, len(ids), buf, cap, False, unparse)
        if n >= 0:
            return buf.raw[:n]
        cap = -n + 16


def generate(name, rel):
    path = os.path.join(CACHE, rel)
    if not os.path.exists(path):
        print("SKIPPED: %s: %s missing" % (name, path), file=sys.stderr)
        return
    strings = tok_corpus.corpus(tokens_of(path), seed=zlib.crc32(name.encode()))
    llm = llama_cpp.Llama(model_path=path, vocab_only=True, verbose=False)
    lines = ["# plume tokenizer corpus: llama.cpp (llama-cpp-python %s), %d strings"
             % (llama_cpp.__version__, len(strings)),
             "# regenerate: /opt/plume-ref/bin/python scripts/ref/tok_ref.py " + name,
             "file " + rel]
    for b in strings:
        ids = llm.tokenize(b, add_bos=True, special=False)
        ids_sp = llm.tokenize(b, add_bos=True, special=True)
        det = detokenize(llm, ids, False)
        det_sp = detokenize(llm, ids_sp, True)
        lines += ["s " + b.hex(), "ids " + " ".join(map(str, ids)),
                  "ids_sp " + ("=" if ids_sp == ids else " ".join(map(str, ids_sp))),
                  "detok " + det.hex(), "detok_sp " + ("=" if det_sp == det else det_sp.hex())]
    os.makedirs(OUT, exist_ok=True)
    with gzip.GzipFile(os.path.join(OUT, name + ".txt.gz"), "wb", compresslevel=9, mtime=0) as f:
        f.write(("\n".join(lines) + "\n").encode())
    print("%-16s %4d strings" % (name, len(strings)), file=sys.stderr)


def main():
    want = sys.argv[1:]
    for name, rel in vocabularies().items():
        if not want or name in want:
            generate(name, rel)


if __name__ == "__main__":
    main()

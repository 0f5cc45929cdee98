#!/usr/bin/env python3
"""Write the GGUF fuzz seeds (tests/fuzz/corpus/gguf/*.gguf): small valid
files covering every metadata type, a vocabulary, and a tensor table with
data, so mutations start from inputs that get past the header checks.
Standard library only: python3 tests/fuzz/make_gguf_seeds.py"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "gguf")


def s(x):
    b = x.encode()
    return struct.pack("<Q", len(b)) + b


def kv(key, typ, payload):
    return s(key) + struct.pack("<I", typ) + payload


def arr(elem_type, items):
    return struct.pack("<IQ", elem_type, len(items)) + b"".join(items)


def gguf(kvs, tensors=(), align=32):
    """tensors: (name, dims, type, data bytes)"""
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs)) + b"".join(kvs)
    infos, blob = b"", b""
    for name, dims, typ, data in tensors:
        pad = (-len(blob)) % align
        blob += b"\0" * pad
        infos += s(name) + struct.pack("<I", len(dims)) + b"".join(
            struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", typ, len(blob))
        blob += data
    body = head + infos
    body += b"\0" * ((-len(body)) % align)
    return body + blob


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


os.makedirs(OUT, exist_ok=True)
write("empty.gguf", gguf([]))
write("all_types.gguf", gguf([
    kv("u8", 0, struct.pack("<B", 7)), kv("i8", 1, struct.pack("<b", -7)),
    kv("u16", 2, struct.pack("<H", 700)), kv("i16", 3, struct.pack("<h", -700)),
    kv("u32", 4, struct.pack("<I", 70000)), kv("i32", 5, struct.pack("<i", -70000)),
    kv("f32", 6, struct.pack("<f", 0.5)), kv("bool", 7, b"\1"),
    kv("str", 8, s("hello")), kv("u64", 10, struct.pack("<Q", 1 << 40)),
    kv("i64", 11, struct.pack("<q", -(1 << 40))), kv("f64", 12, struct.pack("<d", 0.25)),
    kv("arr.i32", 9, arr(5, [struct.pack("<i", i) for i in range(4)])),
    kv("arr.str", 9, arr(8, [s("a"), s("bc"), s("")])),
    kv("general.alignment", 4, struct.pack("<I", 64)),
], align=64))
toks = ["<unk>", "<s>", "</s>", "a", "b", "ab", "\u0120", "\u0120a", "<|im_end|>"]
write("vocab.gguf", gguf([
    kv("general.architecture", 8, s("llama")),
    kv("tokenizer.ggml.model", 8, s("gpt2")),
    kv("tokenizer.ggml.pre", 8, s("smollm")),
    kv("tokenizer.ggml.tokens", 9, arr(8, [s(t) for t in toks])),
    kv("tokenizer.ggml.token_type", 9, arr(5, [struct.pack("<i", t) for t in
                                                [2, 3, 3, 1, 1, 1, 1, 1, 3]])),
    kv("tokenizer.ggml.scores", 9, arr(6, [struct.pack("<f", -i) for i in range(len(toks))])),
    kv("tokenizer.ggml.merges", 9, arr(8, [s("a b"), s("\u0120 a")])),
    kv("tokenizer.ggml.bos_token_id", 4, struct.pack("<I", 1)),
    kv("tokenizer.ggml.eos_token_id", 4, struct.pack("<I", 2)),
    kv("tokenizer.chat_template", 8, s("{% for m in messages %}{{m.content}}{% endfor %}")),
]))
# a tiny llama: 1 layer, n_embd 8, n_head 2, n_ff 16, vocab 9 (F32 weights)
E, F, V = 8, 16, len(toks)


def f32(n):
    return struct.pack("<%df" % n, *[0.01 * (i % 7) for i in range(n)])


tensors = [("token_embd.weight", [E, V], 0, f32(E * V)),
           ("output_norm.weight", [E], 0, f32(E)),
           ("blk.0.attn_norm.weight", [E], 0, f32(E)),
           ("blk.0.attn_q.weight", [E, E], 0, f32(E * E)),
           ("blk.0.attn_k.weight", [E, E], 0, f32(E * E)),
           ("blk.0.attn_v.weight", [E, E], 0, f32(E * E)),
           ("blk.0.attn_output.weight", [E, E], 0, f32(E * E)),
           ("blk.0.ffn_norm.weight", [E], 0, f32(E)),
           ("blk.0.ffn_gate.weight", [E, F], 0, f32(E * F)),
           ("blk.0.ffn_up.weight", [E, F], 0, f32(E * F)),
           ("blk.0.ffn_down.weight", [F, E], 1, b"\0" * (2 * E * F))]
write("tiny_llama.gguf", gguf([
    kv("general.architecture", 8, s("llama")),
    kv("llama.block_count", 4, struct.pack("<I", 1)),
    kv("llama.context_length", 4, struct.pack("<I", 64)),
    kv("llama.embedding_length", 4, struct.pack("<I", E)),
    kv("llama.feed_forward_length", 4, struct.pack("<I", F)),
    kv("llama.attention.head_count", 4, struct.pack("<I", 2)),
    kv("llama.attention.head_count_kv", 4, struct.pack("<I", 2)),
    kv("llama.attention.layer_norm_rms_epsilon", 6, struct.pack("<f", 1e-5)),
    kv("llama.rope.freq_base", 6, struct.pack("<f", 10000.0)),
    kv("tokenizer.ggml.model", 8, s("gpt2")),
    kv("tokenizer.ggml.tokens", 9, arr(8, [s(t) for t in toks])),
], tensors))

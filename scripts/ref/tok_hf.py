#!/usr/bin/env python3
"""Cross-check of the tokenizer corpus against Hugging Face `tokenizers`:
for each byte-level BPE vocabulary in tests/data/tok/, build a
tokenizers.Tokenizer from the GGUF file's own tokens and merges (pre-tokenizer:
the regex list llama.cpp uses for tokenizer.ggml.pre, in the original
Unicode-aware spelling, as a Sequence of isolated Splits, then ByteLevel
without its own regex), encode every valid-UTF-8 string of the corpus with
and without special-token parsing, and compare with llama.cpp's ids from
the data file (BOS removed). Prints per vocabulary how many strings agree
and the first disagreements. Needs only `tokenizers` (a separate venv:
python3 -m venv /tmp/hf-venv && /tmp/hf-venv/bin/pip install tokenizers).

    /tmp/hf-venv/bin/python scripts/ref/tok_hf.py [NAME ...]
"""
import gzip
import os
import struct
import sys

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers

CACHE = os.environ.get("PLUME_CACHE") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "plume")
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "data", "tok")

GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
L3 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
Q2 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
Q35 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
# deepseek-llm's letter class (the ranges of llama.cpp's regex, as in tokenizers/bpe/pretok_seq.c)
DS_LLM_LETTERS = "".join(chr(a) if a == b else chr(a) + "-" + chr(b) for a, b in [
    (0x41, 0x5A), (0x61, 0x7A), (0xB5, 0xB5), (0xC0, 0xD6), (0xD8, 0xF6), (0xF8, 0x1BA), (0x1BC, 0x1BF),
    (0x1C4, 0x293), (0x295, 0x2AF), (0x370, 0x373), (0x376, 0x377), (0x37B, 0x37D), (0x37F, 0x37F), (0x386, 0x386),
    (0x388, 0x38A), (0x38C, 0x38C), (0x38E, 0x3A1), (0x3A3, 0x3F5), (0x3F7, 0x481), (0x48A, 0x52F), (0x531, 0x556),
    (0x10A0, 0x10C5), (0x13A0, 0x13F5), (0x13F8, 0x13FD), (0x1C90, 0x1CBA), (0x1CBD, 0x1CBF), (0x1D00, 0x1D2B), (0x1D6B, 0x1D77),
    (0x1D79, 0x1D9A), (0x1E00, 0x1F15), (0x1F18, 0x1F1D), (0x1F20, 0x1F45), (0x1F48, 0x1F4D), (0x1F50, 0x1F57), (0x1F59, 0x1F59),
    (0x1F5B, 0x1F5B), (0x1F5D, 0x1F5D), (0x1F5F, 0x1F7D), (0x1F80, 0x1FB4), (0x1FB6, 0x1FBC), (0x1FBE, 0x1FBE), (0x1FC2, 0x1FC4),
    (0x1FC6, 0x1FCC), (0x1FD0, 0x1FD3), (0x1FD6, 0x1FDB), (0x1FE0, 0x1FEC), (0x1FF2, 0x1FF4), (0x1FF6, 0x1FFC), (0x2102, 0x2102),
    (0x2107, 0x2107), (0x210A, 0x2113), (0x2115, 0x2115), (0x2119, 0x211D), (0x2124, 0x2124), (0x2126, 0x2126), (0x2128, 0x2128),
    (0x212A, 0x212D), (0x212F, 0x2134), (0x2139, 0x2139), (0x213C, 0x213F), (0x2145, 0x2149), (0x214E, 0x214E), (0x2183, 0x2184),
    (0x2C00, 0x2C7B), (0x2C7E, 0x2CE4), (0x2CEB, 0x2CEE), (0x2CF2, 0x2CF3), (0xA640, 0xA66D), (0xA680, 0xA69B), (0xA722, 0xA76F),
    (0xA771, 0xA787), (0xA78B, 0xA78E), (0xAB70, 0xABBF), (0xFB00, 0xFB06), (0xFB13, 0xFB17), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A),
    (0x10400, 0x1044F), (0x104B0, 0x104D3), (0x104D8, 0x104FB), (0x10C80, 0x10CB2), (0x10CC0, 0x10CF2), (0x118A0, 0x118DF), (0x1E900, 0x1E943),
])
DEFAULT = [r"[\p{P}\$\+<=>\^~\|]+", GPT2, r"\p{N}+", r"[0-9][0-9][0-9]"]
PRE = {
    None: DEFAULT, "default": DEFAULT,
    "gpt-2": [GPT2], "mpt": [GPT2],
    "smollm": [r"\p{N}", GPT2], "starcoder": [r"\p{N}", GPT2], "refact": [r"\p{N}", GPT2], "command-r": [r"\p{N}", GPT2],
    "llama-bpe": [L3], "qwen2": [Q2], "qwen35": [Q35],
    "falcon": [r"[\p{P}\$\+<=>\^~\|`]+", GPT2, r"[0-9][0-9][0-9]"],
    "deepseek-llm": [r"[\r\n]", r"\s?[" + DS_LLM_LETTERS + r"]+", r"\s?[!-/:-~！-／：-～‘-‟　-。]+", r"\s+$",
                     r"[一-龥ࠀ-一가-퟿]+", r"\p{N}+"],
    "deepseek-coder": [r"[\r\n]", r"\s?\p{L}+", r"\s?\p{P}+", r"[一-龥ࠀ-一가-퟿]+", r"\p{N}"],
}
IGNORE_MERGES = {"llama-bpe"}


def read_gguf(path):
    """The tokenizer.* metadata of a GGUF file: {key: value}."""
    with open(path, "rb") as f:
        d = f.read(64 << 20)
    _, _, _, n_kv = struct.unpack_from("<IIQQ", d, 0)
    o, out = 24, {}
    scal = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}

    def val(o, t):
        if t == 8:
            n = struct.unpack_from("<Q", d, o)[0]
            return d[o + 8:o + 8 + n].decode("utf-8", "replace"), o + 8 + n
        if t == 9:
            et, n = struct.unpack_from("<IQ", d, o)
            o += 12
            arr = []
            for _ in range(n):
                v, o = val(o, et)
                arr.append(v)
            return arr, o
        fmt = "<" + scal[t]
        return struct.unpack_from(fmt, d, o)[0], o + struct.calcsize(fmt)

    for _ in range(n_kv):
        kl = struct.unpack_from("<Q", d, o)[0]
        key = d[o + 8:o + 8 + kl].decode()
        t = struct.unpack_from("<I", d, o + 8 + kl)[0]
        v, o = val(o + 12 + kl, t)
        if key.startswith("tokenizer.ggml") or key == "general.architecture":
            out[key] = v
    return out


def build(meta):
    pre = meta.get("tokenizer.ggml.pre")
    tokens, types = meta["tokenizer.ggml.tokens"], meta.get("tokenizer.ggml.token_type")
    vocab = {}
    for i, t in enumerate(tokens):
        vocab.setdefault(t, i)
    merges = [tuple(m.split(" ", 1)) for m in meta["tokenizer.ggml.merges"]]
    tok = Tokenizer(models.BPE(vocab, merges, ignore_merges=pre in IGNORE_MERGES))
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Split(Regex(r), behavior="isolated") for r in PRE[pre]] +
        [pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    if types:
        tok.add_special_tokens([AddedToken(tokens[i], special=True, normalized=False)
                                for i, ty in enumerate(types) if ty in (2, 3)])
        tok.add_tokens([AddedToken(tokens[i], special=False, normalized=False)
                        for i, ty in enumerate(types) if ty == 4])
    return tok, pre


def spm_merges(tokens, scores, types):
    """Merges for a SentencePiece vocabulary as transformers' converter
    derives them: every split of a normal token into two tokens, ranked by
    the merged token's score (higher first), then by the parts' ids."""
    vocab = {}
    for i, t in enumerate(tokens):
        vocab.setdefault(t, i)
    merges = []
    for i, t in enumerate(tokens):
        if types[i] != 1 or len(t) < 2:
            continue
        local = [(t[:k], t[k:]) for k in range(1, len(t)) if t[:k] in vocab and t[k:] in vocab]
        local.sort(key=lambda lr: (vocab[lr[0]], vocab[lr[1]]))
        merges += [(lr, scores[i]) for lr in local]
    merges.sort(key=lambda m: -m[1])
    return vocab, [m[0] for m in merges]


def build_spm(meta):
    """SentencePiece-style vocabularies (llama, gemma4) as HF runs them: BPE
    with byte fallback; spaces as U+2581 (a leading one added for llama
    vocabularies with add_space_prefix)."""
    tokens, types = meta["tokenizer.ggml.tokens"], meta.get("tokenizer.ggml.token_type")
    if meta["tokenizer.ggml.model"] == "gemma4":
        vocab = {}
        for i, t in enumerate(tokens):
            vocab.setdefault(t, i)
        merges = [tuple(m.split(" ", 1)) for m in meta["tokenizer.ggml.merges"]]
        norm = normalizers.Replace(" ", "\u2581")
        tok = Tokenizer(models.BPE(vocab, merges, byte_fallback=True))
        tok.pre_tokenizer = pre_tokenizers.Split(Regex(r"[^\n]+|[\n]+"), behavior="isolated")
    else:
        vocab, merges = spm_merges(tokens, meta["tokenizer.ggml.scores"], types)
        prefix = meta.get("tokenizer.ggml.add_space_prefix", True)
        norm = normalizers.Sequence(([normalizers.Prepend("\u2581")] if prefix else []) +
                                    [normalizers.Replace(" ", "\u2581")])
        tok = Tokenizer(models.BPE(vocab, merges, byte_fallback=True, fuse_unk=True,
                                   unk_token=tokens[meta.get("tokenizer.ggml.unknown_token_id", 0)]))
    tok.normalizer = norm
    tok.add_special_tokens([AddedToken(tokens[i], special=True, normalized=False)
                            for i, ty in enumerate(types) if ty in (2, 3)])
    tok.add_tokens([AddedToken(tokens[i], special=False, normalized=False)
                    for i, ty in enumerate(types) if ty == 4])
    return tok, meta["tokenizer.ggml.model"]


def records(path):
    rec, rel = {}, None
    with gzip.open(path, "rt") as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition(" ")
            if k == "file":
                rel = v
            elif k == "s":
                rec = {"s": bytes.fromhex(v)}
            elif k == "ids":
                rec["ids"] = [int(x) for x in v.split()]
            elif k == "ids_sp":
                rec["ids_sp"] = rec["ids"] if v == "=" else [int(x) for x in v.split()]
                yield rel, rec


def check(name):
    path = os.path.join(DATA, name + ".txt.gz")
    recs = list(records(path))
    rel = recs[0][0]
    meta = read_gguf(os.path.join(CACHE, rel))
    model = meta.get("tokenizer.ggml.model")
    if model in ("llama", "gemma4"):
        tok, pre = build_spm(meta)
    elif model != "gpt2" or meta.get("tokenizer.ggml.pre") not in PRE:
        print("%-14s not cross-checked (model %s, pre %s)" % (name, model, meta.get("tokenizer.ggml.pre")))
        return
    else:
        tok, pre = build(meta)
    bos_ids = [r["ids"] for _, r in recs if r["s"] == b""][0]  # llama.cpp's ids for "": the BOS, if added
    n, n_invalid, agree, agree_sp, shown = 0, 0, 0, 0, 0
    for _, r in recs:
        try:
            s = r["s"].decode("utf-8")
        except UnicodeDecodeError:
            n_invalid += 1
            continue
        n += 1
        ref, ref_sp = r["ids"][len(bos_ids):], r["ids_sp"][len(bos_ids):]
        tok.encode_special_tokens = True
        a = tok.encode(s, add_special_tokens=False).ids
        tok.encode_special_tokens = False
        b = tok.encode(s, add_special_tokens=False).ids
        agree += a == ref
        agree_sp += b == ref_sp
        if (a != ref or b != ref_sp) and shown < 4:
            shown += 1
            which = "ids" if a != ref else "ids special"
            print("   %s: %s %r: HF %s, llama.cpp %s" % (name, which, s[:50], (a if a != ref else b)[:16],
                                                       (ref if a != ref else ref_sp)[:16]))
    print("%-14s pre %-15s %4d valid strings (%d invalid UTF-8 skipped): ids agree %d, special-parsed ids agree %d"
          % (name, pre, n, n_invalid, agree, agree_sp))


def main():
    names = sys.argv[1:] or sorted(f[:-7] for f in os.listdir(DATA) if f.endswith(".txt.gz"))
    for name in names:
        check(name)


if __name__ == "__main__":
    main()

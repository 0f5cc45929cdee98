#!/usr/bin/env python3
"""Reference data for the golden greedy test (tests/golden): llama.cpp's
greedy output on the default model, through llama-cpp-python.

Regenerate (needs the model from scripts/fetch-model; builds llama.cpp):
    python3 -m venv /opt/plume-ref
    /opt/plume-ref/bin/pip install llama-cpp-python==0.3.36 jinja2
    /opt/plume-ref/bin/python scripts/ref/make_golden.py > tests/data/golden/smollm2_q4_1.txt

For every prompt: the prompt ids as llama.cpp's command line makes them
(BOS per metadata, special-token text parsed), up to 64 greedy tokens (an
end-of-generation token ends it and is kept), the top-1/top-2 logit gap at
each generated position, then the whole sequence teacher-forced in one
evaluation: argmax, gap and top logit at every position.
Output: a line-based text file the C test reads (hex for texts).
"""
import hashlib
import os
import sys

import jinja2
import llama_cpp
import numpy as np

MODEL = os.path.join(os.environ.get("PLUME_MODEL_DIR", os.path.expanduser("~/.cache/plume/models")),
                     "SmolLM2-135M-Instruct.Q4_1.gguf")
N_GEN = 64

PROMPTS = [
    (0, "The capital of France is"),
    (0, "Once upon a time, in a land far away,"),
    (0, 'def fibonacci(n):\n    """Return the n-th Fibonacci number."""\n'),
    (0, "Q: What is 17 * 23?\nA:"),
    (0, "1, 2, 3, 5, 8, 13,"),
    (0, "La tour Eiffel est"),
    (0, "東京は日本の首都で、"),
    (0, "Москва — столица"),
    (0, "Here is a list of fruits:\n1."),
    (0, "I love pizza 🍕 because"),
    (1, "Write a haiku about the sea"),
    (1, "What is the boiling point of water in Fahrenheit?"),
]


def main():
    llm = llama_cpp.Llama(model_path=MODEL, n_ctx=1024, n_threads=2, flash_attn=False,
                          logits_all=True, seed=0, verbose=False)
    meta = llm.metadata
    tmpl = jinja2.Environment(loader=jinja2.BaseLoader()).from_string(meta["tokenizer.chat_template"])
    eog = {i for i in range(llm.n_vocab()) if llama_cpp.llama_vocab_is_eog(llm._model.vocab, i)}
    with open(MODEL, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    out = sys.stdout.write
    out("# plume golden reference: llama.cpp greedy on %s\n" % os.path.basename(MODEL))
    out("# sha256 %s, llama-cpp-python %s, n_threads 2, flash_attn off\n" % (sha, llama_cpp.__version__))
    out("# regenerate: scripts/ref/make_golden.py (see its header)\n")
    out("eog %s\n" % " ".join(map(str, sorted(eog))))
    for n, (chat, text) in enumerate(PROMPTS):
        full = tmpl.render(messages=[{"role": "user", "content": text}],
                           add_generation_prompt=True) if chat else text
        ids = llm.tokenize(full.encode(), add_bos=bool(meta.get("tokenizer.ggml.add_bos_token") == "true"),
                           special=True)
        llm.reset()
        llm.eval(ids)
        gen, gaps = [], []
        for _ in range(N_GEN):
            lg = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)
            order = np.argsort(-lg, kind="stable")
            tok = int(order[0])
            gen.append(tok)
            gaps.append(float(lg[order[0]] - lg[order[1]]))
            if tok in eog:
                break
            llm.eval([tok])
        seq = ids + gen
        llm.reset()
        llm.eval(seq)
        tf_arg, tf_gap, tf_top = [], [], []
        for i in range(len(seq)):
            lg = np.array(llm.scores[i], dtype=np.float32)
            order = np.argsort(-lg, kind="stable")
            tf_arg.append(int(order[0]))
            tf_gap.append(float(lg[order[0]] - lg[order[1]]))
            tf_top.append(float(lg[order[0]]))
        out("prompt %d\nchat %d\ntext %s\n" % (n, chat, text.encode().hex()))
        out("prompt_ids %s\n" % " ".join(map(str, ids)))
        out("gen_ids %s\n" % " ".join(map(str, gen)))
        out("gen_gap %s\n" % " ".join("%.5f" % g for g in gaps))
        out("tf_argmax %s\n" % " ".join(map(str, tf_arg)))
        out("tf_gap %s\n" % " ".join("%.5f" % g for g in tf_gap))
        out("tf_top %s\n" % " ".join("%.5f" % g for g in tf_top))
        out("end\n")
        sys.stderr.write("prompt %d: %d prompt ids, %d generated, min gap %.3f\n"
                         % (n, len(ids), len(gen), min(gaps)))


main()

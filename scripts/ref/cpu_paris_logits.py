#!/usr/bin/env python3
"""llama.cpp's logits for "The capital of France is" on the default model, for
the CPU backend suite (tests/cpu_backend/test_smollm.c).

Venv: python3 -m venv /opt/plume-ref && /opt/plume-ref/bin/pip install \
      gguf numpy llama-cpp-python==0.3.36
Run:  /opt/plume-ref/bin/python scripts/ref/cpu_paris_logits.py \
      [MODEL.gguf] [--full OUT.f32]
Writes tests/data/cpu_backend/paris_top.txt: the prompt ids, then the 20
largest last-token logits as "id value" lines. --full also writes all
last-token logits as raw little-endian float32 (development comparison).
"""
import os
import sys

import numpy as np
from llama_cpp import Llama

here = os.path.dirname(os.path.abspath(__file__))
model = os.path.expanduser("~/.cache/plume/models/SmolLM2-135M-Instruct.Q4_1.gguf")
args = sys.argv[1:]
full = None
if "--full" in args:
    i = args.index("--full")
    full = args[i + 1]
    del args[i:i + 2]
if args:
    model = args[0]

llm = Llama(model_path=model, logits_all=True, flash_attn=False, n_threads=2, n_ctx=512,
            verbose=False)
ids = llm.tokenize(b"The capital of France is", add_bos=False, special=False)
llm.eval(ids)
last = np.array(llm.scores[len(ids) - 1], dtype=np.float32)
top = np.argsort(-last)[:20]
out = os.path.join(here, "..", "..", "tests", "data", "cpu_backend", "paris_top.txt")
os.makedirs(os.path.dirname(out), exist_ok=True)
with open(out, "w") as f:
    f.write("# llama-cpp-python 0.3.36, flash_attn=False, n_threads=2: "
            "last-token logits of 'The capital of France is'\n")
    f.write("prompt_ids " + " ".join(str(i) for i in ids) + "\n")
    for t in top:
        f.write("%d %.6f\n" % (t, last[t]))
if full:
    last.tofile(full)
print("ids", ids, "argmax", int(top[0]), "->", out)

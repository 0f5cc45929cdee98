#!/usr/bin/env python3
"""Reference data for the golden greedy test (tests/golden): llama.cpp's
greedy output on a model plume names, through llama-cpp-python.

Regenerate (needs the model from scripts/fetch-model; pip builds llama.cpp):
    python3 -m venv /opt/plume-ref
    /opt/plume-ref/bin/pip install llama-cpp-python==0.3.36 numpy jinja2
    /opt/plume-ref/bin/python scripts/ref/make_golden.py tests/data/golden/smollm2_q4_1.json
    /opt/plume-ref/bin/python scripts/ref/make_golden.py --model gemma3-270m \
        tests/data/golden/gemma3_270m_q4_k_m.json

For every prompt: the prompt ids as llama.cpp's command line makes them
(BOS per metadata, special-token text parsed; chat prompts rendered from the
GGUF's tokenizer.chat_template with add_generation_prompt), up to 64 greedy
tokens (an end-of-generation token ends it and is kept) with the top-1/top-2
logit gap at each generated position, then the whole sequence teacher-forced
in one evaluation: top-8 (id, logit) and the top-1/top-2 gap at every position.
"""
import hashlib
import json
import os
import sys

import jinja2
import llama_cpp
import numpy as np

MODEL_DIR = os.environ.get("PLUME_MODEL_DIR", os.path.expanduser("~/.cache/plume/models"))
N_GEN = 64
N_TOP = 8
N_CTX = 1024

PROMPTS = [
    (False, "Once upon a time, in a land far away, there lived"),            # English prose
    (False, "Q: Why is the sky blue?\nA:"),                                  # a question
    (False, 'def fibonacci(n):\n    """Return the n-th Fibonacci number."""\n'),  # code
    (False, "Q: What is 17 * 23?\nA: 17 * 23 ="),                            # arithmetic
    (False, "1, 2, 3, 5, 8, 13,"),                                           # numbers
    (False, "Here is a list of fruits:\n1."),                                # a list
    (False, "La tour Eiffel est"),                                           # French
    (False, "Der schnellste Weg nach Berlin ist"),                           # German
    (False, "東京は日本の首都で、"),                                           # Japanese
    (False, "Москва — столица"),                                             # Russian
    (False, "I love pizza 🍕 and tacos 🌮 because"),                         # emoji
    (True, "Write a haiku about the sea."),                                  # chat
    (True, "What is the boiling point of water in Fahrenheit?"),             # chat
]

# Two long prompts for the sliding-window model (window 512): one whose
# generation crosses the window during decode, one whose prompt alone is
# longer than the window (prefill past the window).
LONG_TEXT = (
    "The history of the lighthouse is a history of coastlines, trade and weather. "
    "Ancient harbours kept fires burning on hills so that ships returning at dusk could find "
    "the entrance; the Pharos of Alexandria, finished in the third century BC, rose more than "
    "a hundred metres and was counted among the wonders of the world. Roman engineers built "
    "towers at Ostia, Dover and A Coruña, where the Tower of Hercules still stands. In the "
    "Middle Ages monks and guilds tended lights on dangerous headlands, and port towns charged "
    "passing ships a fee for the service. The modern lighthouse began in the eighteenth century "
    "with better lamps and reflectors: Argand's oil lamp of 1780 gave a steady bright flame, and "
    "parabolic mirrors gathered its light into a beam. In 1822 Augustin Fresnel showed how a "
    "lens made of concentric rings of glass prisms could capture almost all of a lamp's light "
    "while staying thin enough to build; his lenses were graded by order, from the great first "
    "order lenses of ocean coasts to the small sixth order lenses of harbour piers. Keepers "
    "lived at the stations with their families, trimming wicks, winding the clockwork that "
    "turned the lens, polishing brass and logging the weather every few hours. Storms tested "
    "them: at Eddystone, off Plymouth, the first two towers were destroyed, one by a great "
    "storm in 1703 and one by fire, before John Smeaton's granite tower of 1759 set the pattern "
    "for rock lighthouses with dovetailed stone courses. Electricity arrived at the end of the "
    "nineteenth century, then automatic gas mantles, sun valves that lit the lamp at dusk, and "
    "finally radio beacons and satellite navigation. Today most lights run without keepers, "
    "and many old towers are museums, but ships still use them, and every light has its own "
    "character, a pattern of flashes and eclipses printed on the charts so that a navigator "
    "who counts the seconds can tell which headland lies ahead. ")

LONG_PROMPTS = [
    (False, LONG_TEXT + LONG_TEXT[:480] + "\n\nIn summary, lighthouses"),
    (False, LONG_TEXT + LONG_TEXT[:1200] + "\n\nQuestion: who built the 1759 tower? Answer:"),
]

GEMMA_PROMPTS = [
    (False, "The capital of France is"),
    (False, "Once upon a time, in a land far away, there lived"),
    (False, "Q: Why is the sky blue?\nA:"),
    (False, 'def fibonacci(n):\n    """Return the n-th Fibonacci number."""\n'),
    (False, "1, 2, 3, 5, 8, 13,"),
    (False, "La tour Eiffel est"),
    (False, "東京は日本の首都で、"),
    (False, "Москва — столица"),
    (False, "I love pizza 🍕 and tacos 🌮 because"),
] + LONG_PROMPTS

MODELS = {
    "smollm2-135m": ("SmolLM2-135M-Instruct.Q4_1.gguf", PROMPTS),
    "gemma3-270m": ("gemma-3-270m-q4_k_m.gguf", GEMMA_PROMPTS),
}


def top_k(lg, k):
    """Indices of the k largest logits, largest first (ties: lower id first)."""
    order = np.argsort(-lg, kind="stable")
    return order[:k]


def main():
    args = sys.argv[1:]
    name = "smollm2-135m"
    if len(args) == 3 and args[0] == "--model":
        name, args = args[1], args[2:]
    if len(args) != 1 or name not in MODELS:
        sys.exit("usage: make_golden.py [--model smollm2-135m|gemma3-270m] OUT.json")
    model_file, prompts = MODELS[name]
    model = os.path.join(MODEL_DIR, model_file)
    llm = llama_cpp.Llama(model_path=model, n_ctx=N_CTX, n_threads=2, flash_attn=False,
                          logits_all=True, seed=0, verbose=False)
    meta = llm.metadata
    add_bos = meta.get("tokenizer.ggml.add_bos_token") == "true"
    tmpl = None
    if "tokenizer.chat_template" in meta:
        tmpl = jinja2.Environment(loader=jinja2.BaseLoader()).from_string(
            meta["tokenizer.chat_template"])
    eog = sorted(i for i in range(llm.n_vocab())
                 if llama_cpp.llama_vocab_is_eog(llm._model.vocab, i))
    with open(model, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    out = {
        "model": model_file,
        "model_sha256": sha,
        "llama_cpp_python": llama_cpp.__version__,
        "settings": {"n_ctx": N_CTX, "n_threads": 2, "flash_attn": False, "seed": 0,
                     "max_tokens": N_GEN, "top": N_TOP, "add_bos": add_bos,
                     "parse_special": True},
        "eog_ids": eog,
        "prompts": [],
    }
    for n, (chat, text) in enumerate(prompts):
        full = tmpl.render(messages=[{"role": "user", "content": text}],
                           add_generation_prompt=True) if chat else text
        ids = llm.tokenize(full.encode(), add_bos=add_bos, special=True)
        llm.reset()
        llm.eval(ids)
        gen, gaps = [], []
        for _ in range(N_GEN):
            lg = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)
            a, b = top_k(lg, 2)
            gen.append(int(a))
            gaps.append(round(float(lg[a] - lg[b]), 5))
            if int(a) in eog:
                break
            llm.eval([int(a)])
        seq = ids + gen
        llm.reset()
        llm.eval(seq)
        positions = []
        for i in range(len(seq)):
            lg = np.array(llm.scores[i], dtype=np.float32)
            top = top_k(lg, N_TOP)
            positions.append({"top": [[int(t), round(float(lg[t]), 5)] for t in top],
                              "gap": round(float(lg[top[0]] - lg[top[1]]), 5)})
        out["prompts"].append({"text": text, "chat": chat, "rendered": full, "prompt_ids": ids,
                               "generated_ids": gen, "gen_gaps": gaps,
                               "teacher_forced": positions})
        sys.stderr.write("prompt %d: %d prompt ids, %d generated, min gap %.3f\n"
                         % (n, len(ids), len(gen), min(gaps)))
    with open(args[0], "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


main()

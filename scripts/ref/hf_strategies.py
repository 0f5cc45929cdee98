#!/usr/bin/env python3
"""Reference outputs of Hugging Face transformers 4.47.1 for plume's decoding
strategies, on the float32 copy of the default model
(scripts/ref/make_f32_gguf.py): greedy, beam search (beams 2 and 4, length
penalties 1.0 and 2.0, early_stopping True / False / "never",
num_return_sequences = beams) and contrastive search (top_k 4 and 6,
penalty_alpha 0.6) on 8 prompts, 24 new tokens. Writes
tests/data/hf/strategies.json, which tests/strategies_hf compares plume with.

Also the fidelity model: the full last-position logits of prompts 0 and 4
are written as raw little-endian float32 (tests/data/hf/logits_p{0,4}.f32);
tests/strategies_hf compares plume's with them (relative error
max|plume - hf| / max|hf| <= 1e-4). With --plume BUILD/plume the 64 largest
logits at every position of every prompt (`plume eval --top 64`, with
model.kv_type = f32: an f16 KV cache alone costs ~1e-3) are compared too and
the largest relative error is recorded in the JSON. About 20 minutes on one
CPU thread.

Needs a separate venv with torch (never used by CI):
    python3 -m venv /opt/plume-hf
    /opt/plume-hf/bin/pip install transformers==4.47.1 torch accelerate gguf numpy
    /opt/plume-hf/bin/python scripts/ref/hf_strategies.py --plume build/plume
"""
import argparse
import json
import os
import subprocess
import sys

import torch
import transformers
from transformers import AutoModelForCausalLM, AutoTokenizer

# plume's end-of-generation set for this vocabulary (tokenizers/common:
# eos 2 "<|im_end|>", then "<|endoftext|>" 0 and "<reponame>" 4 by text);
# passed to HF so both stop on the same tokens. HF's legacy beam output
# writes eos_token_id[0] at the end of a finished hypothesis.
EOS = [2, 0, 4]
PAD = 2
N_NEW = 24

PLAIN = [
    "The capital of France is",
    "Once upon a time, in a small village by the sea, there lived",
    "The best way to learn a new language is",
    "def fibonacci(n):",
]
CHAT = [
    "What is 2 + 2?",
    "Name three colours.",
    "Write a haiku about the sea.",
    "Say hello in French.",
]


def chat(q):
    return f"<|im_start|>user\n{q}<|im_end|>\n<|im_start|>assistant\n"


def gen_part(seq, n_prompt):
    out = []
    for t in seq[n_prompt:].tolist():
        out.append(t)
        if t in EOS:
            break
    return out


def main():
    ap = argparse.ArgumentParser()
    mdir = os.environ.get("PLUME_MODEL_DIR", os.path.expanduser("~/.cache/plume/models"))
    ap.add_argument("--model", default=os.path.join(mdir, "SmolLM2-135M-Instruct.F32.gguf"))
    ap.add_argument("--plume", help="plume binary: measure the logit error against it")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..",
                                                  "tests", "data", "hf", "strategies.json"))
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    assert transformers.__version__ == "4.47.1", transformers.__version__
    torch.set_num_threads(a.threads)
    d, f = os.path.split(os.path.abspath(a.model))
    tok = AutoTokenizer.from_pretrained(d, gguf_file=f)
    model = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, torch_dtype=torch.float32)
    model.eval()
    prompts = PLAIN + [chat(q) for q in CHAT]
    ids = [tok(p, add_special_tokens=False)["input_ids"] for p in prompts]

    report = {"transformers": transformers.__version__, "torch": torch.__version__,
              "model": f, "eos": EOS, "max_new_tokens": N_NEW, "prompts": []}

    # Fidelity: full logits at every position.
    worst = 0.0
    if a.plume:
        for p, pid in zip(prompts, ids):
            with torch.no_grad():
                hf = model(torch.tensor([pid])).logits[0].float()
            r = subprocess.run([a.plume, "eval", "-c", "conf/default.ini", "-m", a.model, "-t", "2",
                                "--top", "64", "--json", "-p", p, "--set", "model.kv_type=f32"],
                               capture_output=True, text=True, check=True,
                               cwd=os.path.join(os.path.dirname(__file__), "..", ".."))
            pos = json.loads(r.stdout)["positions"]
            assert len(pos) == len(pid), (len(pos), len(pid))
            for i, row in enumerate(pos):
                err = max(abs(v - hf[i, t].item()) for t, v in row["top"]) / hf[i].abs().max().item()
                worst = max(worst, err)
        report["logits_top64_max_rel_err"] = worst
        print(f"logits: max relative error plume vs transformers = {worst:.3g}", file=sys.stderr)

    for p, pid in zip(prompts, ids):
        x = torch.tensor([pid])
        entry = {"text": p, "prompt_ids": pid, "cases": []}
        with torch.no_grad():
            hf = model(x).logits[0, -1].float()
        top = torch.topk(hf, 16)
        entry["last_logits_top"] = [[int(i), float(v)] for v, i in zip(top.values, top.indices)]
        entry["last_logits_absmax"] = float(hf.abs().max())
        if len(report["prompts"]) in (0, 4):
            name = f"logits_p{len(report['prompts'])}.f32"
            hf.numpy().astype("<f4").tofile(os.path.join(os.path.dirname(a.out), name))
            entry["last_logits_file"] = name
        common = dict(max_new_tokens=N_NEW, eos_token_id=EOS, pad_token_id=PAD, do_sample=False)
        with torch.no_grad():
            o = model.generate(x, num_beams=1, **common)
        entry["cases"].append({"strategy": "greedy", "hyps": [{"ids": gen_part(o[0], len(pid))}]})
        for k in (4, 6):
            with torch.no_grad():
                o = model.generate(x, penalty_alpha=0.6, top_k=k, **common)
            entry["cases"].append({"strategy": "contrastive", "top_k": k, "alpha": 0.6,
                                   "hyps": [{"ids": gen_part(o[0], len(pid))}]})
        for beams in (2, 4):
            for lp in (1.0, 2.0):
                for es in (True, False, "never"):
                    with torch.no_grad():
                        o = model.generate(x, num_beams=beams, length_penalty=lp, early_stopping=es,
                                           num_return_sequences=beams, output_scores=True,
                                           return_dict_in_generate=True, **common)
                    hyps = [{"ids": gen_part(o.sequences[i], len(pid)),
                             "score": float(o.sequences_scores[i])} for i in range(beams)]
                    entry["cases"].append({"strategy": "beam", "beams": beams, "length_penalty": lp,
                                           "early_stopping": str(es).lower(), "hyps": hyps})
        report["prompts"].append(entry)
        print(f"done: {p!r}", file=sys.stderr)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as fh:
        json.dump(report, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()

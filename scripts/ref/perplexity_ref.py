#!/usr/bin/env python3
"""Reference perplexity for `plume perplexity` (tests/ab): llama.cpp's number
through llama-cpp-python, with the rule of llama.cpp's perplexity tool
(tools/perplexity/perplexity.cpp, default mode) reproduced here:

  tokens = tokenize(text, add_bos=True, special=False)
  n_chunk = len(tokens) // n_ctx  (optionally capped by --chunks)
  each chunk: a fresh cache, tokens[k*n_ctx:(k+1)*n_ctx] with the first
  replaced by BOS, all logits kept; positions n_ctx//2 .. n_ctx-2 score the
  next token: nll = -(logit[t] - max - log(sum(expf(logit - max))))
  ppl = exp(mean nll), stderr = ppl * sqrt((mean nll^2 - mean^2) / (count-1))

Venv: /opt/plume-ref (llama-cpp-python, numpy)
Run:  /opt/plume-ref/bin/python scripts/ref/perplexity_ref.py MODEL TEXT N_CTX [CHUNKS]
Prints one JSON object: {"ppl", "ppl_stderr", "chunks", "n_ctx", "tokens"}.
"""
import json
import math
import sys

import numpy as np
from llama_cpp import Llama


def main():
    model, path, n_ctx = sys.argv[1], sys.argv[2], int(sys.argv[3])
    max_chunks = int(sys.argv[4]) if len(sys.argv) > 4 else None
    llm = Llama(model_path=model, n_ctx=n_ctx, n_batch=n_ctx, n_ubatch=n_ctx, logits_all=True,
                n_threads=2, verbose=False)
    text = open(path, "rb").read()
    tokens = llm.tokenize(text, add_bos=True, special=False)
    add_bos = llm.tokenize(b"", add_bos=True, special=False) != []
    n_chunk = len(tokens) // n_ctx
    if max_chunks:
        n_chunk = min(n_chunk, max_chunks)
    first = n_ctx // 2
    nll = nll2 = 0.0
    count = 0
    for k in range(n_chunk):
        chunk = list(tokens[k * n_ctx:(k + 1) * n_ctx])
        if add_bos:
            chunk[0] = llm.token_bos()
        llm.reset()
        llm.eval(chunk)
        scores = np.asarray(llm.scores[:n_ctx], dtype=np.float32)
        for pos in range(first, n_ctx - 1):
            row = scores[pos]
            mx = row.max()
            s = float(np.exp(row - mx, dtype=np.float32).astype(np.float64).sum())
            v = -(float(row[chunk[pos + 1]] - mx) - math.log(s))
            nll += v
            nll2 += v * v
            count += 1
        print(f"chunk {k + 1}/{n_chunk}: ppl {math.exp(nll / count):.4f}", file=sys.stderr)
    mean = nll / count
    var = nll2 / count - mean * mean
    ppl = math.exp(mean)
    print(json.dumps({"ppl": round(ppl, 6), "ppl_stderr": round(math.sqrt(var / (count - 1)) * ppl, 6),
                      "chunks": n_chunk, "n_ctx": n_ctx, "tokens": len(tokens)}))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Write a float32 copy of a GGUF model: every tensor dequantized with the
`gguf` package, the metadata copied key by key (types kept), general.file_type
set to 0 (all F32). The copy is the fidelity model of tests/strategies_hf
(plume and Hugging Face transformers run the same float32 weights); it is
generated, never committed.

    python3 scripts/ref/make_f32_gguf.py [SRC.gguf [DST.gguf]]

Defaults: $PLUME_MODEL_DIR (else ~/.cache/plume/models)
/SmolLM2-135M-Instruct.Q4_1.gguf -> .../SmolLM2-135M-Instruct.F32.gguf.
Needs: pip install gguf numpy (the /opt/plume-ref venv has them)."""
import os
import sys

import numpy as np
import gguf
from gguf import GGUFReader, GGUFWriter, GGUFValueType, GGMLQuantizationType

SKIP = {"general.architecture", "GGUF.version", "GGUF.tensor_count", "GGUF.kv_count"}


def main():
    mdir = os.environ.get("PLUME_MODEL_DIR",
                          os.path.join(os.path.expanduser("~"), ".cache", "plume", "models"))
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(mdir, "SmolLM2-135M-Instruct.Q4_1.gguf")
    dst = sys.argv[2] if len(sys.argv) > 2 else os.path.join(mdir, "SmolLM2-135M-Instruct.F32.gguf")
    r = GGUFReader(src)
    arch = r.fields["general.architecture"].contents()
    tmp = dst + ".tmp"
    w = GGUFWriter(tmp, arch)
    for key, f in r.fields.items():
        if key in SKIP or key.startswith("GGUF."):
            continue
        vtype = f.types[0]
        if key == "general.file_type":
            w.add_key_value(key, 0, vtype)  # LLAMA_FTYPE_ALL_F32
        elif vtype == GGUFValueType.ARRAY:
            w.add_key_value(key, f.contents(), vtype, sub_type=f.types[-1])
        else:
            w.add_key_value(key, f.contents(), vtype)
    for t in r.tensors:
        data = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32)
        ne = [int(x) for x in t.shape]  # ne0 first
        data = data.reshape(list(reversed(ne)))
        w.add_tensor(t.name, data, raw_dtype=GGMLQuantizationType.F32)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    os.replace(tmp, dst)
    print(f"make_f32_gguf: {dst} ({os.path.getsize(dst) / 2**20:.0f} MiB, {len(r.tensors)} tensors)")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""llama.cpp's last-position logits of the real-model fixture prompts, evaluated as llama.cpp
usually is: logits requested for the last position only (llama-cli, llama-server, and
llama-cpp-python's default logits_all=False). llama.cpp then drops the other rows after the last
layer's attention, so that layer's MLP kernels see one row, not the whole prompt; the existing
fixtures (tools/make_model_fixtures.py) request every position. Both are recorded here as CRC-32
of the full float32 logit vector, for a bit-for-bit check of Numerics::LlamaCpp in both regimes.

Writes tests/fixtures/models/real/<model>.last_logits.json for the two cached real models.

Run with the reference environment:
  /root/.cache/knowscope/pyref/bin/python tools/make_llama_cpp_last_logits_fixtures.py
"""

import json
import sys
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "fixtures" / "models" / "real"
MODELS = Path.home() / ".cache" / "knowscope" / "models"
FILES = {
    "gemma-3-270m": "gemma-3-270m-q4_k_m.gguf",
    "smollm2-135m-instruct": "SmolLM2-135M-Instruct.Q4_1.gguf",
}
N_CTX = 192  # as the real-model fixtures (llama.cpp pads the cache to 256)


def crc(v: np.ndarray) -> int:
    return zlib.crc32(np.ascontiguousarray(v, dtype=np.float32).tobytes())


def open_llama(path: Path, logits_all: bool):
    import llama_cpp
    from llama_cpp import Llama

    return Llama(model_path=str(path), n_ctx=N_CTX, n_batch=N_CTX, n_ubatch=N_CTX, n_threads=2,
                 n_threads_batch=2, n_gpu_layers=0, logits_all=logits_all, flash_attn=False,
                 verbose=False, type_k=llama_cpp.GGML_TYPE_F16, type_v=llama_cpp.GGML_TYPE_F16)


def main() -> int:
    import llama_cpp

    for name, file in FILES.items():
        path = MODELS / file
        if not path.exists():
            print(f"missing {path}", file=sys.stderr)
            return 1
        manifest = json.loads((REAL / f"{name}.json").read_text())
        last_only = open_llama(path, logits_all=False)
        every = open_llama(path, logits_all=True)
        entries = []
        n_differ = 0
        for p in manifest["prompts"]:
            ids = p["input_ids"]
            rows = {}
            for regime, llm in (("last_only", last_only), ("every_position", every)):
                llm.reset()
                llm.eval(ids)
                # llama.cpp's own buffer: llama-cpp-python keeps no scores without logits_all.
                last = llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1)
                rows[regime] = np.ctypeslib.as_array(last, shape=(llm.n_vocab(),)).copy()
            top = np.argsort(-rows["last_only"], kind="stable")[:10]
            differ = not np.array_equal(rows["last_only"], rows["every_position"])
            n_differ += differ
            entries.append({
                "name": p["name"],
                "input_ids": ids,
                "crc32_last_only": crc(rows["last_only"]),
                "crc32_every_position": crc(rows["every_position"]),
                "regimes_differ": bool(differ),
                "top_ids_last_only": [int(i) for i in top],
                "top_logits_last_only": [float(rows["last_only"][i]) for i in top],
            })
        out = {
            "generator": "tools/make_llama_cpp_last_logits_fixtures.py",
            "llama_cpp_python": llama_cpp.__version__,
            "model_file": file,
            "settings": {"n_ctx": N_CTX, "n_threads": 2, "flash_attn": False,
                         "kv_cache": "f16"},
            "doc": "CRC-32 of llama.cpp's float32 logits at the last prompt position: "
                   "last_only = only that position's logits requested; every_position = all "
                   "requested (as in <model>.json)",
            "prompts": entries,
        }
        (REAL / f"{name}.last_logits.json").write_text(json.dumps(out, indent=1) + "\n")
        print(f"{name}: {len(entries)} prompts, the two regimes differ in {n_differ}")
        del last_only, every
    return 0


if __name__ == "__main__":
    sys.exit(main())

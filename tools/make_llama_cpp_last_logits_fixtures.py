#!/usr/bin/env python3
"""llama.cpp's last-position logits of the real-model fixture prompts, evaluated as llama.cpp
usually is: logits requested for the last position only (llama-cli, llama-server, and
llama-cpp-python's default logits_all=False). llama.cpp then drops the other rows after the last
layer's attention, so that layer's MLP kernels see one row, not the whole prompt; the existing
fixtures (tools/make_model_fixtures.py) request every position. Both are recorded here as CRC-32
of the full float32 logit vector and of the last layer's output row (where the dropped rows
change the sums), for a bit-for-bit check of Numerics::LlamaCpp in both regimes.

Writes tests/fixtures/models/real/<model>.last_logits.json for the two cached real models.

Run with the reference environment:
  /root/.cache/knowscope/pyref/bin/python tools/make_llama_cpp_last_logits_fixtures.py
"""

import json
import sys
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from trace_llama_cpp import decode_with_tensors  # noqa: E402

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


def evaluate(model, ids: list[int], last_only: bool, last_layer: int):
    """One llama.cpp decode of the prompt (f16 cache, flash attention off, a fresh context):
    the last position's logits and the last layer's output row of that position, read through
    its eval callback."""
    import llama_cpp

    want = f"l_out-{last_layer}"
    dumps, logits = decode_with_tensors(model, ids, N_CTX, llama_cpp.GGML_TYPE_F16, last_only,
                                        names={want})
    return logits, dumps[want].reshape(-1, dumps[want].shape[-1])[-1]


def main() -> int:
    import llama_cpp
    from llama_cpp import Llama

    for name, file in FILES.items():
        path = MODELS / file
        if not path.exists():
            print(f"missing {path}", file=sys.stderr)
            return 1
        manifest = json.loads((REAL / f"{name}.json").read_text())
        llm = Llama(model_path=str(path), n_ctx=N_CTX, n_gpu_layers=0, verbose=False)
        last_layer = llama_cpp.llama_model_n_layer(llm.model) - 1
        entries = []
        n_differ = n_rows_differ = 0
        for p in manifest["prompts"]:
            ids = p["input_ids"]
            logits_last, row_last = evaluate(llm.model, ids, True, last_layer)
            logits_every, row_every = evaluate(llm.model, ids, False, last_layer)
            top = np.argsort(-logits_last, kind="stable")[:10]
            differ = not np.array_equal(logits_last, logits_every)
            rows_differ = not np.array_equal(row_last, row_every)
            n_differ += differ
            n_rows_differ += rows_differ
            entries.append({
                "name": p["name"],
                "input_ids": ids,
                "crc32_last_only": crc(logits_last),
                "crc32_every_position": crc(logits_every),
                "regimes_differ": bool(differ),
                "crc32_last_layer_row_last_only": crc(row_last),
                "crc32_last_layer_row_every_position": crc(row_every),
                "last_layer_rows_differ": bool(rows_differ),
                "top_ids_last_only": [int(i) for i in top],
                "top_logits_last_only": [float(logits_last[i]) for i in top],
            })
        out = {
            "generator": "tools/make_llama_cpp_last_logits_fixtures.py",
            "llama_cpp_python": llama_cpp.__version__,
            "model_file": file,
            "settings": {"n_ctx": N_CTX, "n_threads": 2, "flash_attn": False,
                         "kv_cache": "f16"},
            "doc": "CRC-32 of llama.cpp's float32 logits at the last prompt position, and of the "
                   f"last layer's output row there (l_out-{last_layer}): last_only = only that "
                   "position's logits requested; every_position = all requested (as in "
                   "<model>.json)",
            "prompts": entries,
        }
        (REAL / f"{name}.last_logits.json").write_text(json.dumps(out, indent=1) + "\n")
        print(f"{name}: {len(entries)} prompts; the two regimes differ in the logits of "
              f"{n_differ}, in the last layer's row of {n_rows_differ}")
        del llm
    return 0


if __name__ == "__main__":
    sys.exit(main())

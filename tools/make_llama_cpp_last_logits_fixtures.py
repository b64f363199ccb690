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
    import ctypes

    import llama_cpp

    base = ctypes.CDLL(str(Path(llama_cpp.__file__).parent / "lib" / "libggml-base.so"))
    base.ggml_get_name.restype = ctypes.c_char_p
    base.ggml_get_name.argtypes = [ctypes.c_void_p]
    base.ggml_nbytes.restype = ctypes.c_size_t
    base.ggml_nbytes.argtypes = [ctypes.c_void_p]
    base.ggml_backend_tensor_get.argtypes = [
        ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t]
    want = f"l_out-{last_layer}"
    dumped = {}

    # struct ggml_tensor starts with: int32 type; (pad); void* buffer; int64 ne[4]; size_t nb[4].
    @llama_cpp.ggml_backend_sched_eval_callback
    def callback(t, ask, _user):
        name = base.ggml_get_name(t).decode()
        if ask:
            return name == want
        if name == want and want not in dumped:
            ne = [ctypes.c_int64.from_address(t + 16 + 8 * i).value for i in range(4)]
            n = base.ggml_nbytes(t)
            buf = (ctypes.c_char * n)()
            base.ggml_backend_tensor_get(t, buf, 0, n)
            dumped[want] = np.frombuffer(buf, dtype=np.float32).reshape(-1, ne[0]).copy()
        return True

    params = llama_cpp.llama_context_default_params()
    params.n_ctx = params.n_batch = params.n_ubatch = N_CTX
    params.n_threads = params.n_threads_batch = 2
    params.cb_eval = callback
    params.flash_attn_type = llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED
    params.type_k = params.type_v = llama_cpp.GGML_TYPE_F16
    ctx = llama_cpp.llama_init_from_model(model, params)
    batch = llama_cpp.llama_batch_init(len(ids), 0, 1)
    batch.n_tokens = len(ids)
    for i, tok in enumerate(ids):
        batch.token[i], batch.pos[i], batch.n_seq_id[i] = tok, i, 1
        batch.seq_id[i][0] = 0
        batch.logits[i] = 1 if (not last_only or i == len(ids) - 1) else 0
    if llama_cpp.llama_decode(ctx, batch) != 0:
        raise RuntimeError("llama_decode failed")
    n_vocab = llama_cpp.llama_vocab_n_tokens(llama_cpp.llama_model_get_vocab(model))
    logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx, -1), shape=(n_vocab,)).copy()
    llama_cpp.llama_batch_free(batch)
    llama_cpp.llama_free(ctx)
    return logits, dumped[want][-1]


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

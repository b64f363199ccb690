#!/usr/bin/env python3
"""Reference outputs of llama.cpp's own CPU kernels (libggml-cpu from llama-cpp-python), called
through ctypes, for knowscope's bit-for-bit emulation of them (core/ggml_kernels.h).

Writes
  tests/fixtures/quant/ggml_kernels.json      what each kernel returned, float32 values
  tests/fixtures/quant/ggml_kernels_act.f32   the activation rows (float32 LE, rows x n_max)

The weights are the raw rows of tests/fixtures/quant (tools/make_quant_fixtures.py: real rows of
the two models and random valid blocks). For each weight type ggml's matmul reads:
  - the activation rows quantized by ggml's from_float (quantize_row_q8_0 / _q8_1 / _q8_K): the
    block scales and codes;
  - every weight row . every activation row by ggml's vec_dot for that pair of types.
And ggml_vec_dot_f16 on seeded f16 vectors of lengths that do and do not fill its 64-wide steps.
The kernels are those of the library's build (here x86 AVX-512, GCC 12); the emulation is of
that build.

Run with the reference environment:
  /root/.cache/knowscope/pyref/bin/python tools/make_ggml_kernel_fixtures.py
"""

import ctypes
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
QUANT = ROOT / "tests" / "fixtures" / "quant"

# Weight type -> (its vec_dot, the activation format, that format's from_float, bytes per block
# of the activation format, elements per block).
KERNELS = {
    "Q4_0": ("ggml_vec_dot_q4_0_q8_0", "Q8_0", "quantize_row_q8_0", 34, 32),
    "Q8_0": ("ggml_vec_dot_q8_0_q8_0", "Q8_0", "quantize_row_q8_0", 34, 32),
    "Q5_0": ("ggml_vec_dot_q5_0_q8_0", "Q8_0", "quantize_row_q8_0", 34, 32),
    "Q4_1": ("ggml_vec_dot_q4_1_q8_1", "Q8_1", "quantize_row_q8_1", 36, 32),
    "Q5_1": ("ggml_vec_dot_q5_1_q8_1", "Q8_1", "quantize_row_q8_1", 36, 32),
    "Q3_K": ("ggml_vec_dot_q3_K_q8_K", "Q8_K", "quantize_row_q8_K", 292, 256),
    "Q5_K": ("ggml_vec_dot_q5_K_q8_K", "Q8_K", "quantize_row_q8_K", 292, 256),
    "Q6_K": ("ggml_vec_dot_q6_K_q8_K", "Q8_K", "quantize_row_q8_K", 292, 256),
}
N_ACT_ROWS = 3
F16_LENGTHS = [64, 100, 256, 320]


def load_ggml():
    import llama_cpp

    lib = ctypes.CDLL(str(Path(llama_cpp.__file__).parent / "lib" / "libggml-cpu.so"))
    lib.ggml_cpu_init()  # fills the f16 conversion tables the kernels read
    return lib


def activation_rows(n_max: int) -> np.ndarray:
    """Row 0: the quant fixtures' x (tiled to n_max); rows 1-2: seeded normal rows, row 2 with a
    block whose largest magnitude occurs with both signs (the Q8_K sign rule)."""
    x = np.fromfile(QUANT / "x.f32", dtype=np.float32)
    rng = np.random.default_rng(20261127)
    rows = np.empty((N_ACT_ROWS, n_max), dtype=np.float32)
    rows[0] = np.resize(x, n_max)
    rows[1] = rng.normal(0.0, 1.0, n_max).astype(np.float32)
    rows[2] = (rng.normal(0.0, 3.0, n_max) * rng.uniform(0.1, 2.0, n_max)).astype(np.float32)
    rows[2, :256] = np.clip(rows[2, :256], -9.0, 9.0)
    rows[2, 5] = 9.5
    rows[2, 17] = -9.5
    return rows


def f32(v) -> float:
    return float(np.float32(v))


def quantize(lib, fn: str, row: np.ndarray, block_bytes: int, block_len: int) -> bytes:
    n = row.size
    out = ctypes.create_string_buffer(n // block_len * block_bytes)
    src = np.ascontiguousarray(row, dtype=np.float32)
    getattr(lib, fn)(src.ctypes.data_as(ctypes.c_void_p), out, ctypes.c_int64(n))
    return out.raw


def describe_quantized(fmt: str, raw: bytes, n: int) -> dict:
    """The block scales (as float) and codes of an activation row in ggml's layout."""
    if fmt == "Q8_K":
        blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f4"), ("qs", "i1", 256),
                                                     ("bsums", "<i2", 16)]))
        return {"d": [f32(v) for v in blocks["d"]],
                "q": blocks["qs"].reshape(-1).astype(int).tolist()}
    if fmt == "Q8_1":
        blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("s", "<f2"), ("qs", "i1", 32)]))
        return {"d": [f32(v) for v in blocks["d"].astype(np.float32)],
                "s": [f32(v) for v in blocks["s"].astype(np.float32)],
                "q": blocks["qs"].reshape(-1).astype(int).tolist()}
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "i1", 32)]))
    return {"d": [f32(v) for v in blocks["d"].astype(np.float32)],
            "q": blocks["qs"].reshape(-1).astype(int).tolist()}


def main() -> int:
    lib = load_ggml()
    for fn, _fmt, q, _b, _l in KERNELS.values():
        for name in (fn, q):
            getattr(lib, name).restype = None
    lib.ggml_vec_dot_f16.restype = None

    manifest = json.loads((QUANT / "manifest.json").read_text())
    sets = {t: manifest["types"][t] for t in KERNELS}
    n_max = max(s["n"] for t in sets for s in sets[t])
    acts = activation_rows(n_max)
    acts.tofile(QUANT / "ggml_kernels_act.f32")

    out = {
        "generator": "tools/make_ggml_kernel_fixtures.py (ctypes on llama-cpp-python's "
                     "libggml-cpu.so)",
        "activations": {"file": "ggml_kernels_act.f32", "rows": N_ACT_ROWS, "n_max": n_max,
                        "doc": "row r of a set of length n: the first n values of row r"},
        "dots": [],
        "quantized": {},
        "f16": [],
    }
    s_out = ctypes.c_float()
    for wtype, (vec_dot, fmt, from_float, bbytes, blen) in KERNELS.items():
        for s in sets[wtype]:
            n, rows, row_bytes = s["n"], s["rows"], s["row_bytes"]
            raw = (QUANT / s["raw"]).read_bytes()
            qa = [quantize(lib, from_float, acts[r, :n], bbytes, blen) for r in range(N_ACT_ROWS)]
            if fmt not in out["quantized"] or out["quantized"][fmt]["n"] < n:
                out["quantized"][fmt] = {"n": n, "rows": [describe_quantized(fmt, q, n) for q in qa]}
            vals = []
            for o in range(rows):
                w = ctypes.create_string_buffer(raw[o * row_bytes:(o + 1) * row_bytes], row_bytes)
                row = []
                for r in range(N_ACT_ROWS):
                    a = ctypes.create_string_buffer(qa[r], len(qa[r]))
                    getattr(lib, vec_dot)(ctypes.c_int(n), ctypes.byref(s_out), ctypes.c_size_t(0),
                                          w, ctypes.c_size_t(0), a, ctypes.c_size_t(0),
                                          ctypes.c_int(1))
                    row.append(f32(s_out.value))
                vals.append(row)
            out["dots"].append({"type": wtype, "raw": s["raw"], "n": n, "rows": rows,
                                "kernel": vec_dot, "out": vals})

    rng = np.random.default_rng(7)
    for n in F16_LENGTHS:
        x = rng.normal(0.0, 1.0, n).astype(np.float16)
        y = rng.normal(0.0, 1.0, n).astype(np.float16)
        lib.ggml_vec_dot_f16(ctypes.c_int(n), ctypes.byref(s_out), ctypes.c_size_t(0),
                             x.ctypes.data_as(ctypes.c_void_p), ctypes.c_size_t(0),
                             y.ctypes.data_as(ctypes.c_void_p), ctypes.c_size_t(0), ctypes.c_int(1))
        out["f16"].append({"n": n, "x": [f32(v) for v in x.astype(np.float32)],
                           "y": [f32(v) for v in y.astype(np.float32)], "dot": f32(s_out.value)})

    (QUANT / "ggml_kernels.json").write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"wrote {QUANT / 'ggml_kernels.json'}: {len(out['dots'])} weight sets, "
          f"{len(out['f16'])} f16 dots")
    return 0


if __name__ == "__main__":
    sys.exit(main())

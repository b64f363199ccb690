#!/usr/bin/env python3
"""Reference fixtures for knowscope's GGUF reader and quantized kernels, made with the `gguf`
Python package (gguf-py, from the llama.cpp project), which nobody on this project wrote.

Writes
  tests/fixtures/quant/manifest.json   per type: row length, rows, where the rows came from, the
                                       float64 reference dots and sum |w x| for tolerances
  tests/fixtures/quant/<TYPE>.raw      raw blocks (rows x row bytes)
  tests/fixtures/quant/<TYPE>.f32      gguf.quants.dequantize of those rows (float32 LE)
  tests/fixtures/quant/x.f32           activation vector used for the dots
  tests/fixtures/quant/quantize_src.f32, quantize_<TYPE>.raw
                                       gguf.quants.quantize output for the types gguf-py quantizes
  tests/fixtures/io/st_*.safetensors, st_sharded/, safetensors_expected.json
                                       files written by the `safetensors` library (torch API), with
                                       every dtype, metadata, a sharded folder with its index, and
                                       the values each tensor must read back as
  tests/fixtures/io/gguf_writer_all_types.gguf, gguf_writer_all_types.json
                                       a small file written by gguf.GGUFWriter: every metadata
                                       value type, nested arrays, alignment 64, several tensor
                                       types and ranks; and what each entry holds
  tests/fixtures/io/<model>.tensors.json
                                       GGUFReader's view of each real model: header, metadata
                                       summary, tensor table, and per-tensor checksums of the
                                       dequantized values (sum, sum of squares, sum |v| in float64,
                                       CRC-32 of the float32 bytes)

Run with the reference environment:
  /root/.cache/knowscope/pyref/bin/python tools/make_quant_fixtures.py
Real rows come from the two cached models (~/.cache/knowscope/models); the script fails if they
are missing. Everything else is seeded and deterministic.
"""

import json
import os
import sys
import zlib

import numpy as np
import gguf
from gguf import GGMLQuantizationType as QT
from gguf import quants

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUANT_DIR = os.path.join(ROOT, "tests", "fixtures", "quant")
IO_DIR = os.path.join(ROOT, "tests", "fixtures", "io")
MODELS = os.path.join(os.environ.get("KNOWSCOPE_HOME", os.path.expanduser("~/.cache/knowscope")),
                      "models")
GEMMA = os.path.join(MODELS, "gemma-3-270m-q4_k_m.gguf")
SMOL = os.path.join(MODELS, "SmolLM2-135M-Instruct.Q4_1.gguf")

# Types of include/knowscope/core/quant.h. Byte offsets of the f16 (or f32) scale fields in one
# block, so that random blocks get finite, sane scales (random bytes there would give inf/NaN).
F16_FIELDS = {
    "Q4_0": [0], "Q4_1": [0, 2], "Q5_0": [0], "Q5_1": [0, 2], "Q8_0": [0],
    "Q2_K": [80, 82], "Q3_K": [108], "Q4_K": [0, 2], "Q5_K": [0, 2], "Q6_K": [208],
}
ALL_TYPES = ["F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0",
             "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K"]
# Real tensors to take rows from: type -> (model file, tensor name).
REAL_SOURCES = {
    "F32": (GEMMA, "blk.0.attn_norm.weight"),
    "Q8_0": (GEMMA, "blk.0.attn_v.weight"),
    "Q5_0": (GEMMA, "blk.0.attn_q.weight"),
    "Q4_K": (GEMMA, "blk.0.attn_output.weight"),
    "Q6_K": (GEMMA, "blk.0.ffn_down.weight"),
    "Q4_1": (SMOL, "blk.0.ffn_down.weight"),
}
RANDOM_N = 512          # row length of random rows (a multiple of 256)
RANDOM_ROWS = 3
REAL_ROWS = 3
X_LEN = 2048
QUANTIZE_TYPES = ["F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0"]

rng = np.random.default_rng(20240607)


def sane_f16(count):
    """Random f16 scales of both signs over several decades, as little-endian bytes."""
    mag = 10.0 ** rng.uniform(-4, 0, size=count)
    sign = rng.choice([-1.0, 1.0], size=count)
    return (mag * sign).astype(np.float16).view(np.uint8).reshape(count, 2)


def random_rows(tname, n, rows):
    qt = QT[tname]
    if tname == "F32":
        return rng.standard_normal((rows, n)).astype(np.float32).view(np.uint8)
    if tname == "F16":
        return (rng.standard_normal((rows, n)) * 3).astype(np.float16).view(np.uint8)
    if tname == "BF16":
        v = (rng.standard_normal((rows, n)) * 3).astype(np.float32)
        return (v.view(np.uint32) >> 16).astype(np.uint16).view(np.uint8).reshape(rows, 2 * n)
    block, size = gguf.GGML_QUANT_SIZES[qt]
    nb = rows * n // block
    blocks = rng.integers(0, 256, size=(nb, size), dtype=np.uint8)
    if tname == "Q8_K":
        d = (10.0 ** rng.uniform(-4, 0, size=nb)).astype(np.float32).view(np.uint8)
        blocks[:, 0:4] = d.reshape(nb, 4)
    else:
        for off in F16_FIELDS[tname]:
            blocks[:, off:off + 2] = sane_f16(nb)
    return blocks.reshape(rows, n // block * size)


def dequant_reference(tname, raw, n):
    """Dequantized float32 rows. Q8_K is absent from gguf-py: its one formula, y = d * q with an
    f32 d in front of 256 int8 quants (ggml's dequantize_row_q8_K), is spelled out here."""
    rows = raw.shape[0]
    if tname == "Q8_K":
        b = raw.reshape(-1, 292)
        d = b[:, 0:4].copy().view(np.float32)
        q = b[:, 4:260].view(np.int8).astype(np.float32)
        return (d * q).astype(np.float32).reshape(rows, n)
    if tname == "BF16":
        return quants.dequantize(raw.reshape(rows, -1), QT.BF16).reshape(rows, n)
    if tname == "F32":
        return raw.copy().view(np.float32).reshape(rows, n)
    if tname == "F16":
        return raw.copy().view(np.float16).astype(np.float32).reshape(rows, n)
    return quants.dequantize(raw, QT[tname]).reshape(rows, n)


def real_rows(tname):
    path, name = REAL_SOURCES[tname]
    r = gguf.GGUFReader(path)
    t = next(t for t in r.tensors if t.name == name)
    assert t.tensor_type.name == tname, (name, t.tensor_type.name)
    n = int(t.shape[0])
    data = np.asarray(t.data)
    if tname == "F32":  # 1-D norm weights: one row, repeated pieces are fine
        raw = data.reshape(1, -1).view(np.uint8)
        return raw, n, f"{os.path.basename(path)} {name} (1 row)"
    # rows spread over the matrix
    idx = np.linspace(0, data.shape[0] - 1, REAL_ROWS).astype(int)
    raw = np.ascontiguousarray(data[idx]).view(np.uint8)
    return raw, n, f"{os.path.basename(path)} {name} rows {idx.tolist()}"


def write(path, arr):
    with open(path, "wb") as f:
        f.write(np.ascontiguousarray(arr).tobytes())


def make_quant_fixtures():
    global rng
    rng = np.random.default_rng(20240607)
    os.makedirs(QUANT_DIR, exist_ok=True)
    x = rng.standard_normal(X_LEN).astype(np.float32)
    write(os.path.join(QUANT_DIR, "x.f32"), x)
    manifest = {"generator": "tools/make_quant_fixtures.py", "gguf_version": gguf_version(),
                "x": "x.f32", "x_len": X_LEN, "types": {}, "quantize": {}}
    for tname in ALL_TYPES:
        sets = []
        if tname in REAL_SOURCES:
            sets.append(real_rows(tname))
        sets.append((random_rows(tname, RANDOM_N, RANDOM_ROWS), RANDOM_N,
                     f"random valid blocks (seeded), {RANDOM_ROWS} rows"))
        entries = []
        for k, (raw, n, source) in enumerate(sets):
            deq = dequant_reference(tname, raw, n)
            assert deq.dtype == np.float32 and deq.shape == (raw.shape[0], n)
            # float64 reference dots with x[0..n), and sum |w x| for the error bound
            w = deq.astype(np.float64)
            xs = x[:n].astype(np.float64)
            dots = (w @ xs).tolist()
            abs_dots = (np.abs(w) @ np.abs(xs)).tolist()
            stem = f"{tname}_{k}"
            write(os.path.join(QUANT_DIR, stem + ".raw"), raw)
            write(os.path.join(QUANT_DIR, stem + ".f32"), deq)
            entries.append({"raw": stem + ".raw", "dequant": stem + ".f32", "n": n,
                            "rows": int(raw.shape[0]), "row_bytes": int(raw.shape[1]),
                            "source": source, "dot": dots, "abs_dot": abs_dots})
        manifest["types"][tname] = entries

    # Quantizer inputs: normal rows, rows with outliers, a zero block, a constant block, ties.
    n = 256
    src = rng.standard_normal((4, n)).astype(np.float32)
    src[1, ::17] *= 40.0
    src[2, 0:32] = 0.0
    src[2, 32:64] = 0.75
    src[3] = (np.round(rng.standard_normal(n) * 8) / 8).astype(np.float32)
    write(os.path.join(QUANT_DIR, "quantize_src.f32"), src)
    for tname in QUANTIZE_TYPES:
        q = quants.quantize(src, QT[tname])
        write(os.path.join(QUANT_DIR, f"quantize_{tname}.raw"), q.view(np.uint8))
        manifest["quantize"][tname] = {"src": "quantize_src.f32", "out": f"quantize_{tname}.raw",
                                       "n": n, "rows": 4, "bytes": int(q.view(np.uint8).size)}
    with open(os.path.join(QUANT_DIR, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


def gguf_version():
    try:
        from importlib.metadata import version
        return version("gguf")
    except Exception:
        return "unknown"


def value_summary(field):
    """Type and a checkable digest of one metadata value as GGUFReader decodes it."""
    types = [t.name for t in field.types]
    out = {"type": types[0]}
    if types[0] != "ARRAY":
        v = field.contents()
        if isinstance(v, float):
            v = float(np.float32(v)) if types[0] == "FLOAT32" else v
        out["value"] = v
        return out
    out["elem_type"] = types[1] if len(types) > 1 else "UINT8"
    items = field.contents()
    out["length"] = len(items)
    if out["elem_type"] == "STRING":
        out["first"] = items[:3]
        out["crc32"] = zlib.crc32(b"\0".join(s.encode("utf-8") for s in items))
    elif out["elem_type"] != "ARRAY":
        arr = np.asarray(items, dtype=np.float64)
        out["sum"] = float(arr.sum())
        out["first"] = [float(a) for a in arr[:3]]
    return out


def model_table(path, out_name):
    r = gguf.GGUFReader(path)
    meta = {}
    for key, field in r.fields.items():
        if key.startswith("GGUF."):
            continue
        meta[key] = value_summary(field)
    tensors = []
    for t in r.tensors:
        ne = [int(d) for d in t.shape]
        shape = list(reversed(ne))
        data = np.asarray(t.data)
        rows = data.reshape(-1, data.shape[-1]) if data.ndim > 1 else data.reshape(1, -1)
        s = ss = sa = 0.0
        crc = 0
        step = max(1, (1 << 22) // max(1, rows.shape[1]))
        for i in range(0, rows.shape[0], step):
            chunk = rows[i:i + step]
            if t.tensor_type in (QT.F32, QT.F16):
                deq = np.asarray(chunk).view(np.float16 if t.tensor_type == QT.F16 else np.float32)
                deq = deq.astype(np.float32)
            else:
                deq = quants.dequantize(np.asarray(chunk), t.tensor_type)
            deq = np.ascontiguousarray(deq, dtype=np.float32)
            d64 = deq.astype(np.float64)
            s += float(d64.sum())
            ss += float((d64 * d64).sum())
            sa += float(np.abs(d64).sum())
            crc = zlib.crc32(deq.tobytes(), crc)
        tensors.append({"name": t.name, "type": t.tensor_type.name, "shape": shape,
                        "offset": int(t.data_offset - r.data_offset), "nbytes": int(t.n_bytes),
                        "sum": s, "sumsq": ss, "sumabs": sa, "crc32": crc})
    doc = {"generator": "tools/make_quant_fixtures.py (gguf.GGUFReader, gguf.quants.dequantize)",
           "gguf_version": gguf_version(), "file": os.path.basename(path),
           "file_size": os.path.getsize(path), "version": int(r.fields["GGUF.version"].contents()),
           "alignment": int(r.alignment), "data_offset": int(r.data_offset),
           "metadata": meta, "tensors": tensors}
    os.makedirs(IO_DIR, exist_ok=True)
    with open(os.path.join(IO_DIR, out_name), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def make_safetensors_fixtures():
    import torch
    from safetensors.torch import save_file

    g = torch.Generator().manual_seed(7)

    def vals(shape, scale=8):
        # small multiples of 1/8: exact in every float dtype, and integral after * scale
        return torch.randint(-64, 64, shape, generator=g).double() / scale

    tensors = {
        "f64": vals((2, 3)) + 1e-12,  # not representable in float32: must come back as float64
        "f32": torch.randn((3, 5), generator=g).float(),
        "f16": vals((4,)).half(),
        "bf16": vals((2, 2, 2)).bfloat16(),
        "i64": torch.tensor([[-(2 ** 40), 3], [7, 2 ** 50]], dtype=torch.int64),
        "i32": torch.tensor([-7, 0, 2 ** 30], dtype=torch.int32),
        "i16": torch.tensor([-300, 300], dtype=torch.int16),
        "i8": torch.tensor([[-128, 127, 5]], dtype=torch.int8),
        "scalar": torch.tensor(2.5, dtype=torch.float32),
        "empty": torch.zeros((0, 4), dtype=torch.float32),
        "u8": torch.tensor([0, 200, 255], dtype=torch.uint8),
        "mask": torch.tensor([True, False], dtype=torch.bool),
    }
    os.makedirs(IO_DIR, exist_ok=True)
    save_file(tensors, os.path.join(IO_DIR, "st_all_dtypes.safetensors"),
              metadata={"format": "pt", "note": "made by tools/make_quant_fixtures.py"})
    expected = {"st_all_dtypes.safetensors": {
        "metadata": {"format": "pt", "note": "made by tools/make_quant_fixtures.py"},
        "tensors": {}, "unsupported": {"u8": "U8", "mask": "BOOL"}}}
    names = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16",
             torch.bfloat16: "BF16", torch.int64: "I64", torch.int32: "I32", torch.int16: "I16",
             torch.int8: "I8"}
    for k, t in tensors.items():
        if t.dtype not in names:
            continue
        flat = t.reshape(-1)
        values = [int(v) for v in flat.tolist()] if not t.is_floating_point() else \
            [float(v) for v in flat.double().tolist()]
        expected["st_all_dtypes.safetensors"]["tensors"][k] = {
            "dtype": names[t.dtype], "shape": list(t.shape), "values": values}

    # A sharded checkpoint as transformers writes it: shards plus an index with a weight_map.
    shard_dir = os.path.join(IO_DIR, "st_sharded")
    os.makedirs(shard_dir, exist_ok=True)
    shards = {"model-00001-of-00002.safetensors": {"a.weight": vals((2, 4)).float(),
                                                    "b.bias": vals((3,)).bfloat16()},
              "model-00002-of-00002.safetensors": {"c.weight": vals((1, 2)).half()}}
    weight_map = {}
    sharded = {}
    for fname, ts in shards.items():
        save_file(ts, os.path.join(shard_dir, fname), metadata={"format": "pt"})
        for k, t in ts.items():
            weight_map[k] = fname
            sharded[k] = {"dtype": names[t.dtype], "shape": list(t.shape),
                          "values": [float(v) for v in t.reshape(-1).double().tolist()]}
    with open(os.path.join(shard_dir, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f, indent=1)
    expected["st_sharded"] = {"tensors": sharded}
    for root, _, files in os.walk(IO_DIR):  # save_file makes 0600 files
        for fn in files:
            if fn.endswith(".safetensors"):
                os.chmod(os.path.join(root, fn), 0o644)
    with open(os.path.join(IO_DIR, "safetensors_expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


def make_gguf_writer_fixture():
    from gguf import GGUFValueType as VT
    global rng
    rng = np.random.default_rng(11)
    path = os.path.join(IO_DIR, "gguf_writer_all_types.gguf")
    w = gguf.GGUFWriter(path, arch="testarch")
    w.add_custom_alignment(64)
    kv = [("t.u8", 200, VT.UINT8), ("t.i8", -100, VT.INT8), ("t.u16", 60000, VT.UINT16),
          ("t.i16", -30000, VT.INT16), ("t.u32", 4000000000, VT.UINT32),
          ("t.i32", -2000000000, VT.INT32), ("t.u64", 2 ** 63 + 5, VT.UINT64),
          ("t.i64", -(2 ** 62), VT.INT64), ("t.f32", 0.1, VT.FLOAT32), ("t.f64", 0.1, VT.FLOAT64),
          ("t.bool", True, VT.BOOL), ("t.str", "h\u00e9llo", VT.STRING)]
    expected_kv = {"general.architecture": {"type": "STRING", "value": "testarch"},
                   "general.alignment": {"type": "UINT32", "value": 64}}
    for key, val, vt in kv:
        w.add_key_value(key, val, vt)
        expected_kv[key] = {"type": vt.name,
                            "value": float(np.float32(val)) if vt == VT.FLOAT32 else val}
    arrays = [("t.strs", ["a", "", "ccc"], "STRING"), ("t.f32s", [1.5, -2.25], "FLOAT32"),
              ("t.i32s", [1, -2, 3], "INT32"), ("t.bools", [True, False], "BOOL")]
    for key, val, et in arrays:
        w.add_key_value(key, val, VT.ARRAY, sub_type=VT[et])
        expected_kv[key] = {"type": "ARRAY", "elem_type": et, "value": val}
    w.add_array("t.nested", [[1, 2], [3], [[4, 5]]])  # element types chosen by gguf-py
    expected_kv["t.nested"] = {"type": "ARRAY", "elem_type": "ARRAY",
                               "value": [[1, 2], [3], [[4, 5]]]}

    tensors = []
    f32 = rng.standard_normal((3, 5)).astype(np.float32)
    w.add_tensor("f32.2d", f32)
    tensors.append(("f32.2d", "F32", [3, 5], f32.view(np.uint8)))
    f16 = rng.standard_normal((2, 3, 4)).astype(np.float16)
    w.add_tensor("f16.3d", f16)
    tensors.append(("f16.3d", "F16", [2, 3, 4], f16.view(np.uint8)))
    one = rng.standard_normal(7).astype(np.float32)
    w.add_tensor("f32.1d", one)
    tensors.append(("f32.1d", "F32", [7], one.view(np.uint8)))
    q8 = quants.quantize(rng.standard_normal((2, 64)).astype(np.float32), QT.Q8_0)
    w.add_tensor("q8_0", q8, raw_dtype=QT.Q8_0)
    tensors.append(("q8_0", "Q8_0", [2, 64], q8))
    q4k = random_rows("Q4_K", 256, 2)
    w.add_tensor("q4_k", q4k, raw_dtype=QT.Q4_K)
    tensors.append(("q4_k", "Q4_K", [2, 256], q4k))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    r = gguf.GGUFReader(path)
    offsets = {t.name: (int(t.data_offset - r.data_offset), int(t.n_bytes)) for t in r.tensors}
    doc = {"generator": "tools/make_quant_fixtures.py (gguf.GGUFWriter)",
           "gguf_version": gguf_version(), "version": int(r.fields["GGUF.version"].contents()),
           "alignment": 64, "data_offset": int(r.data_offset), "metadata": expected_kv,
           "tensors": [{"name": n, "type": t, "shape": shp, "offset": offsets[n][0],
                        "nbytes": offsets[n][1], "crc32": zlib.crc32(np.ascontiguousarray(b).tobytes())}
                       for n, t, shp, b in tensors]}
    with open(os.path.join(IO_DIR, "gguf_writer_all_types.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def main():
    if sys.argv[1:] == ["--small-io-only"]:  # skips the slow model tables and quant fixtures
        make_safetensors_fixtures()
        make_gguf_writer_fixture()
        return
    for p in (GEMMA, SMOL):
        if not os.path.exists(p):
            sys.exit(f"missing model {p}: fetch it first (scripts/)")
    make_quant_fixtures()
    make_safetensors_fixtures()
    make_gguf_writer_fixture()
    model_table(GEMMA, "gemma-3-270m.tensors.json")
    model_table(SMOL, "smollm2-135m-instruct.tensors.json")


if __name__ == "__main__":
    main()

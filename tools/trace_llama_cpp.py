#!/usr/bin/env python3
"""Layer-by-layer comparison of knowscope with llama.cpp on one prompt (docs/engine.md, "Against
llama.cpp").

llama.cpp's intermediate tensors come from its eval callback (llama-cpp-python's cb_eval); ours from
`knowscope capture --numerics ...`. For every layer the script prints, per prompt row, the relative
difference of the residual stream after the block, ||ours - llama.cpp|| / ||llama.cpp||, and at the
end the largest logit difference per row.

  python3 tools/trace_llama_cpp.py -m ~/.cache/knowscope/models/gemma-3-270m-q4_k_m.gguf \\
      --prompt "The capital of France is" --numerics llama.cpp

Needs llama-cpp-python (0.3.36 was used) and build/knowscope. Debugging aid: nothing here feeds a
test fixture.
"""

import argparse
import ctypes
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def decode_with_tensors(model, ids: list[int], n_ctx: int, kv_type: int, last_only: bool = False,
                        names=None) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """One llama.cpp decode of the prompt in a fresh context (flash attention off, 2 threads):
    its intermediate float32 tensors read through the eval callback (every contiguous one, or
    those in `names`; first occurrence of each name) and the last position's logits. `model` is
    a loaded llama model; `last_only` asks for the last position's logits only."""
    import llama_cpp

    base = ctypes.CDLL(str(Path(llama_cpp.__file__).parent / "lib" / "libggml-base.so"))
    base.ggml_get_name.restype = ctypes.c_char_p
    base.ggml_get_name.argtypes = [ctypes.c_void_p]
    base.ggml_nbytes.restype = ctypes.c_size_t
    base.ggml_nbytes.argtypes = [ctypes.c_void_p]
    base.ggml_backend_tensor_get.argtypes = [
        ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t]
    dumps: dict[str, np.ndarray] = {}

    # struct ggml_tensor starts with: int32 type; (pad); void* buffer; int64 ne[4]; size_t nb[4].
    @llama_cpp.ggml_backend_sched_eval_callback
    def callback(t, ask, _user):
        name = base.ggml_get_name(t).decode()
        if ask:
            return names is None or name in names
        ttype = ctypes.c_int32.from_address(t).value
        ne = [ctypes.c_int64.from_address(t + 16 + 8 * i).value for i in range(4)]
        nb = [ctypes.c_uint64.from_address(t + 48 + 8 * i).value for i in range(4)]
        wanted = names is None or name in names
        if wanted and ttype == 0 and nb[0] == 4 and nb[1] == 4 * ne[0] and name not in dumps:
            n = base.ggml_nbytes(t)
            buf = (ctypes.c_char * n)()
            base.ggml_backend_tensor_get(t, buf, 0, n)
            a = np.frombuffer(buf, dtype=np.float32)[: int(np.prod(ne))]
            dumps[name] = a.reshape(ne[::-1]).copy()
        return True

    params = llama_cpp.llama_context_default_params()
    params.n_ctx = params.n_batch = params.n_ubatch = n_ctx
    params.n_threads = params.n_threads_batch = 2
    params.cb_eval = callback
    params.flash_attn_type = llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED
    params.type_k = params.type_v = kv_type
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
    return dumps, logits


def llama_cpp_tensors(model: str, ids: list[int], kv_f32: bool) -> dict[str, np.ndarray]:
    import llama_cpp
    from llama_cpp import Llama

    llm = Llama(model_path=model, n_ctx=256, n_gpu_layers=0, verbose=False)
    kv = llama_cpp.GGML_TYPE_F32 if kv_f32 else llama_cpp.GGML_TYPE_F16
    return decode_with_tensors(llm.model, ids, 256, kv)[0]


def read_capture(folder: Path, hook: str) -> tuple[np.ndarray, np.ndarray]:
    from safetensors.numpy import load_file

    shard = load_file(str(folder / hook / "shard_00000.safetensors"))
    return shard["activations"].astype(np.float32), shard["token_ids"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-m", "--model", required=True, help="GGUF file")
    ap.add_argument("--prompt", required=True)
    ap.add_argument("--numerics", default="llama.cpp",
                    choices=["exact", "llama.cpp", "llama.cpp-f32-cache"])
    ap.add_argument("--knowscope", default=str(ROOT / "build" / "knowscope"))
    args = ap.parse_args()

    from llama_cpp import Llama

    vocab = Llama(model_path=args.model, vocab_only=True, verbose=False)
    ids = vocab.tokenize(args.prompt.encode(), add_bos=True, special=True)
    meta = json.loads(subprocess.run(
        [args.knowscope, "info", "-m", args.model, "--json"], check=True, capture_output=True,
        text=True).stdout)["metadata"]
    n_layers = int(meta[meta["general.architecture"] + ".block_count"])
    ref = llama_cpp_tensors(args.model, ids, args.numerics == "llama.cpp-f32-cache")

    with tempfile.TemporaryDirectory() as tmp:
        hooks = [f"blocks.{layer}.hook_resid_post" for layer in range(n_layers)]
        cmd = [args.knowscope, "capture", "-m", args.model, "--positions", "all", "-o", tmp,
               "--numerics", args.numerics, args.prompt]
        for h in hooks:
            cmd += ["--hook", h]
        subprocess.run(cmd, check=True, capture_output=True)
        np.set_printoptions(linewidth=160, formatter={"float": lambda v: f"{v:.1e}"})
        print(f"{len(ids)} tokens: {ids}; numerics {args.numerics}")
        print("layer  ||ours - llama.cpp|| / ||llama.cpp|| of the residual after the block, per row")
        largest = 0.0
        for layer, h in enumerate(hooks):
            ours, tok = read_capture(Path(tmp), h)
            if layer == 0 and list(tok) != list(ids):
                print(f"token ids differ: ours {list(tok)}", file=sys.stderr)
                return 1
            theirs = ref[f"l_out-{layer}"].reshape(ours.shape)
            rel = np.sqrt(((ours - theirs) ** 2).sum(1) / (theirs ** 2).sum(1))
            print(f"{layer:5d}  {rel}")
            largest = max(largest, float(rel.max()))
        print(f"largest over every row and layer: {largest:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Prompt-processing and generation speed of knowscope (bench_forward) and llama.cpp
(llama-cpp-python) on the same GGUF file, threads and prompt tokens, measured side by side.

    python3 bench/compare_llama_cpp.py -m ~/.cache/knowscope/models/gemma-3-270m-q4_k_m.gguf \
        -t 2 -p 128 -n 64 [-r 3] [--bench build/bench_forward]

Runs bench_forward --json first (which prints the random prompt token ids it used), then
llama.cpp on those ids: the prompt as one batch with logits for its last token only (as
llama-bench), then n tokens one decode call each (greedy). Each side reports the median of r
repetitions after one warm-up; the script prints both and the ratios knowscope / llama.cpp.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time


def run_knowscope(bench: str, model: str, threads: int, n_prompt: int, n_gen: int, reps: int) -> dict:
    cmd = [bench, "-m", model, "-t", str(threads), "-p", str(n_prompt), "-n", str(n_gen), "-r", str(reps),
           "--json"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def run_llama_cpp(model: str, threads: int, ids: list[int], n_gen: int, reps: int) -> dict:
    import numpy as np
    from llama_cpp import Llama, llama_cpp

    t0 = time.perf_counter()
    llm = Llama(model_path=model, n_threads=threads, n_threads_batch=threads, n_ctx=len(ids) + n_gen + 16,
                n_batch=len(ids), n_ubatch=len(ids), logits_all=False, verbose=False)
    load_s = time.perf_counter() - t0
    ctx = llm.ctx
    n_vocab = llm.n_vocab()

    def decode(tokens: list[int], pos0: int) -> None:
        batch = llama_cpp.llama_batch_init(len(tokens), 0, 1)
        try:
            batch.n_tokens = len(tokens)
            for i, t in enumerate(tokens):
                batch.token[i] = t
                batch.pos[i] = pos0 + i
                batch.n_seq_id[i] = 1
                batch.seq_id[i][0] = 0
                batch.logits[i] = i == len(tokens) - 1
            if llama_cpp.llama_decode(ctx, batch) != 0:
                raise RuntimeError("llama_decode failed")
        finally:
            llama_cpp.llama_batch_free(batch)

    def last_argmax() -> int:
        ptr = llama_cpp.llama_get_logits_ith(ctx, -1)
        return int(np.argmax(np.ctypeslib.as_array(ptr, shape=(n_vocab,))))

    def cpu() -> float:
        ru = resource.getrusage(resource.RUSAGE_SELF)
        return ru.ru_utime + ru.ru_stime

    pp, tg, pp_cpu, tg_cpu = [], [], [], []
    for r in range(reps + 1):  # r == 0: warm-up
        llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(ctx), True)
        t0, c0 = time.perf_counter(), cpu()
        decode(ids, 0)
        t_pp, c_pp = time.perf_counter() - t0, cpu() - c0
        tok = last_argmax()
        t0, c0 = time.perf_counter(), cpu()
        for i in range(n_gen):
            decode([tok], len(ids) + i)
            tok = last_argmax()
        t_tg, c_tg = time.perf_counter() - t0, cpu() - c0
        if r == 0:
            continue
        pp.append(len(ids) / t_pp)
        pp_cpu.append(len(ids) / c_pp)
        if n_gen:
            tg.append(n_gen / t_tg)
            tg_cpu.append(n_gen / c_tg)
    med = lambda v: statistics.median(v) if v else 0.0  # noqa: E731
    return {"load_s": load_s, "prompt_tps": med(pp), "gen_tps": med(tg),
            "prompt_tokens_per_cpu_s": med(pp_cpu), "gen_tokens_per_cpu_s": med(tg_cpu)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-m", "--model", required=True)
    ap.add_argument("-t", "--threads", type=int, default=2)
    ap.add_argument("-p", "--prompt", type=int, default=128)
    ap.add_argument("-n", "--gen", type=int, default=64)
    ap.add_argument("-r", "--reps", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds of both")
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--bench", default=os.path.join(here, "..", "build", "bench_forward"))
    args = ap.parse_args()

    # Alternate the two (rounds x reps each) so that a busy machine slows both alike.
    ks_runs, lc_runs = [], []
    for _ in range(args.rounds):
        ks_runs.append(run_knowscope(args.bench, args.model, args.threads, args.prompt, args.gen, args.reps))
        lc_runs.append(run_llama_cpp(args.model, args.threads, ks_runs[0]["prompt_ids"], args.gen, args.reps))
    keys = ["prompt_tps", "gen_tps", "prompt_tokens_per_cpu_s", "gen_tokens_per_cpu_s"]
    ks = {k: statistics.median(r[k] for r in ks_runs) for k in keys}
    lc = {k: statistics.median(r[k] for r in lc_runs) for k in keys}
    ks["peak_rss_mib"] = max(r["peak_rss_mib"] for r in ks_runs)
    print(f"model {args.model}, {args.threads} threads, prompt {args.prompt} tokens, {args.gen} generated, "
          f"median of {args.rounds} alternating rounds x {args.reps} repetitions; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'':22s} {'knowscope':>12s} {'llama.cpp':>12s} {'ratio':>8s}")
    rows = [("prompt_tps", f"pp{args.prompt} tokens/s"), ("gen_tps", f"tg{args.gen} tokens/s"),
            ("prompt_tokens_per_cpu_s", f"pp{args.prompt} tokens/CPU-s"),
            ("gen_tokens_per_cpu_s", f"tg{args.gen} tokens/CPU-s")]
    for key, name in rows:
        ratio = ks[key] / lc[key] if lc[key] else float("nan")
        print(f"{name:22s} {ks[key]:12.1f} {lc[key]:12.1f} {ratio:8.2f}")
    print("(tokens per CPU second: steadier on a busy machine; llama.cpp's threads spin while they "
          "wait, which counts against it with more than one thread)")
    print(f"{'knowscope peak RSS':22s} {ks['peak_rss_mib']:10.1f} MiB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()

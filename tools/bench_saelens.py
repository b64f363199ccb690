#!/usr/bin/env python3
"""SAELens on CPU with the same configuration as bench/bench_sae: encode throughput of a JumpReLU
(or TopK) SAE and one training step (forward, backward, Adam) at batch 4096, torch threads 2.

Same construction as bench_sae: unit decoder rows, W_enc = W_dec^T, x ~ N(0, I), thresholds at the
normal quantile that gives the target L0 (TopK: k = L0).

Usage: /root/.cache/knowscope/pyref/bin/python tools/bench_saelens.py [--threads 2] [--arch jumprelu]
       [--d-in 640 --d-sae 16384 --encode-batch 1024 --train-batch 4096 --l0 64 --reps 5] [--json]
"""
import argparse
import importlib.metadata
import json
import math
import statistics
import time

import torch


def upper_quantile(p):
    lo, hi = -10.0, 10.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if 0.5 * math.erfc(mid / math.sqrt(2)) > p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def timed(reps, f):
    f()
    wall, cpu = [], []
    for _ in range(reps):
        c0, t0 = time.process_time(), time.perf_counter()
        f()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--arch", default="jumprelu", choices=["jumprelu", "topk"])
    ap.add_argument("--d-in", type=int, default=640)
    ap.add_argument("--d-sae", type=int, default=16384)
    ap.add_argument("--encode-batch", type=int, default=1024)
    ap.add_argument("--train-batch", type=int, default=4096)
    ap.add_argument("--l0", type=int, default=64)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    from sae_lens import (JumpReLUSAE, JumpReLUSAEConfig, JumpReLUTrainingSAE, JumpReLUTrainingSAEConfig,
                          TopKSAE, TopKSAEConfig, TopKTrainingSAE, TopKTrainingSAEConfig)
    from sae_lens.saes.sae import TrainStepInput

    thr = upper_quantile(a.l0 / a.d_sae)
    W_dec = torch.randn(a.d_sae, a.d_in)
    W_dec /= W_dec.norm(dim=1, keepdim=True)
    x_all = torch.randn(max(a.encode_batch, a.train_batch), a.d_in)

    def load(sae):
        with torch.no_grad():
            sae.W_dec.copy_(W_dec)
            sae.W_enc.copy_(W_dec.T)
            sae.b_enc.zero_()
            sae.b_dec.zero_()
            if hasattr(sae, "threshold"):
                sae.threshold.fill_(thr)
        return sae

    if a.arch == "jumprelu":
        sae = load(JumpReLUSAE(JumpReLUSAEConfig(d_in=a.d_in, d_sae=a.d_sae, apply_b_dec_to_input=False)))
        tcfg = JumpReLUTrainingSAEConfig(d_in=a.d_in, d_sae=a.d_sae, apply_b_dec_to_input=False,
                                         jumprelu_bandwidth=0.001 * math.sqrt(a.d_in), jumprelu_init_threshold=thr)
        tsae = load(JumpReLUTrainingSAE(tcfg))
        coeffs = {"l0": 1e-3}
    else:
        sae = load(TopKSAE(TopKSAEConfig(d_in=a.d_in, d_sae=a.d_sae, k=a.l0, apply_b_dec_to_input=False)))
        tsae = load(TopKTrainingSAE(TopKTrainingSAEConfig(d_in=a.d_in, d_sae=a.d_sae, k=a.l0,
                                                          apply_b_dec_to_input=False)))
        coeffs = {}
    x_enc = x_all[: a.encode_batch]
    with torch.no_grad():
        l0 = float((sae.encode(x_enc) != 0).sum(-1).float().mean())

    def encode():
        with torch.no_grad():
            sae.encode(x_enc)

    def encode_decode():
        with torch.no_grad():
            sae.decode(sae.encode(x_enc))

    enc = timed(a.reps, encode)
    rec = timed(a.reps, encode_decode)

    opt = torch.optim.Adam(tsae.parameters(), lr=1e-5, betas=(0.0, 0.999))
    x_train = x_all[: a.train_batch]
    step = {"n": 0}

    def train_step():
        out = tsae.training_forward_pass(TrainStepInput(sae_in=x_train, coefficients=coeffs,
                                                        dead_neuron_mask=None, n_training_steps=step["n"],
                                                        is_logging_step=False))
        out.loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        step["n"] += 1

    train = timed(a.reps, train_step)
    res = {"library": "sae_lens", "sae_lens_version": importlib.metadata.version("sae-lens"),
           "torch_version": torch.__version__, "arch": a.arch, "threads": a.threads, "d_in": a.d_in,
           "d_sae": a.d_sae, "l0_target": a.l0,
           "encode": {"batch": a.encode_batch, "l0": l0, "tokens_per_s": a.encode_batch / enc[0],
                      "tokens_per_cpu_s": a.encode_batch / enc[1]},
           "encode_decode": {"batch": a.encode_batch, "tokens_per_s": a.encode_batch / rec[0],
                             "tokens_per_cpu_s": a.encode_batch / rec[1]},
           "train": {"batch": a.train_batch, "tokens_per_s": a.train_batch / train[0],
                     "tokens_per_cpu_s": a.train_batch / train[1]}}
    if a.json:
        print(json.dumps(res, indent=1))
    else:
        print("sae_lens %s (torch %s) %s SAE %d x %d, %d threads" % (res["sae_lens_version"], torch.__version__,
                                                                     a.arch, a.d_in, a.d_sae, a.threads))
        for k in ("encode", "encode_decode", "train"):
            r = res[k]
            print("%-14s batch %5d  %10.0f tokens/s  (%10.0f per CPU-second)" % (k, r["batch"], r["tokens_per_s"],
                                                                               r["tokens_per_cpu_s"]))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Reference fixtures for the SAE and npy/npz readers, written by numpy, safetensors and torch.

Writes tests/fixtures/sae/:
  inputs.npy                      X [8, 16] float32, the inputs every SAE fixture is encoded on
  expected.npz                    <name>.acts [8, d_sae] and <name>.recon [8, 16] per SAE, computed
                                  here in float64 numpy with SAELens's / Gemma Scope's math
  sae_fixtures.json               per SAE: folder, arch, k, hook, model, dtype, norm settings
  gs1_stored/layer_3/params.npz                        Gemma Scope 1, np.savez (stored zip)
  gs1_deflated/gemma-scope-2b-pt-mlp/layer_5/params.npz  np.savez_compressed (deflated zip)
  gs2/resid_post/layer_7_width_16k_l0_small/            Gemma Scope 2: params.safetensors + config.json
  saelens_*/                                            SAELens cfg.json + sae_weights.safetensors
  npy/*.npy, npy/*.npz, npy/expected.json               dtype / order / version cases for io tests

Run with the reference venv: /root/.cache/knowscope/pyref/bin/python tools/make_sae_fixtures.py
"""
import json
import os
import shutil

import numpy as np
import torch
from safetensors.numpy import save_file as np_save_file
from safetensors.torch import save_file as torch_save_file

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "sae")
D_IN, D_SAE, N = 16, 48, 8


def unit_rows(m):
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def norm_in(x, mode):
    """SAELens run_time_activation_norm_fn_in; returns (x', state)."""
    if mode == "constant_norm_rescale":
        c = np.sqrt(x.shape[-1]) / np.linalg.norm(x, axis=-1, keepdims=True)
        return x * c, ("c", c)
    if mode == "layer_norm":
        mu = x.mean(axis=-1, keepdims=True)
        xc = x - mu
        std = xc.std(axis=-1, ddof=1, keepdims=True)  # torch.std is unbiased
        return xc / (std + 1e-5), ("ln", mu, std)
    return x, None


def norm_out(y, state):
    if state is None:
        return y
    if state[0] == "c":
        return y / state[1]
    return y * state[2] + state[1]


def reference(w, x, arch, k=0, apply_b_dec=False, norm="none", rescale=False):
    """Encode/decode in float64 from the (already dtype-rounded) weights, returning acts, recon and
    the pre-activations used to check decision margins."""
    W_enc, W_dec, b_enc, b_dec = (w[n].astype(np.float64) for n in ("W_enc", "W_dec", "b_enc", "b_dec"))
    xin, state = norm_in(x.astype(np.float64), norm)
    if apply_b_dec:
        xin = xin - b_dec
    pre = xin @ W_enc + b_enc
    dec_norm = np.linalg.norm(W_dec, axis=1)
    if arch == "relu":
        acts = np.maximum(pre, 0)
    elif arch == "jumprelu":
        thr = np.maximum(w["threshold"].astype(np.float64), 0)
        acts = np.where(pre > thr, np.maximum(pre, 0), 0.0)
    elif arch == "topk":
        p = pre * dec_norm if rescale else pre
        acts = np.zeros_like(p)
        idx = np.argsort(-p, axis=1)[:, :k]
        for r in range(p.shape[0]):
            acts[r, idx[r]] = np.maximum(p[r, idx[r]], 0)
        pre = p
    else:
        raise ValueError(arch)
    a = acts / dec_norm if (arch == "topk" and rescale) else acts
    recon = norm_out(a @ W_dec + b_dec, state)
    return acts, recon, pre


def margins_ok(arch, pre, w, k):
    if arch == "jumprelu":
        thr = np.maximum(w["threshold"].astype(np.float64), 0)
        return np.min(np.abs(pre - thr)) > 2e-3
    if arch == "topk":
        s = -np.sort(-pre, axis=1)
        return np.min(s[:, k - 1] - s[:, k]) > 2e-3 and np.min(np.abs(s[:, k - 1])) > 2e-3
    return np.min(np.abs(pre)) > 1e-4


def round_dtype(a, dtype):
    if dtype == "float16":
        return a.astype(np.float16)
    if dtype == "bfloat16":
        return torch.from_numpy(a.astype(np.float32)).to(torch.bfloat16)
    return a.astype(np.float32)


def as_f32_numpy(v):
    if isinstance(v, torch.Tensor):
        return v.to(torch.float32).numpy()
    return v.astype(np.float32)


def make_weights(rng, arch, unit=True):
    W_dec = rng.normal(size=(D_SAE, D_IN))
    W_dec = unit_rows(W_dec) if unit else W_dec * rng.uniform(0.5, 1.5, size=(D_SAE, 1)) / np.sqrt(D_IN)
    w = {
        "W_enc": (W_dec.T * rng.uniform(0.6, 1.4, size=(1, D_SAE)) + 0.1 * rng.normal(size=(D_IN, D_SAE))),
        "W_dec": W_dec,
        "b_enc": rng.normal(scale=0.3, size=D_SAE),
        "b_dec": rng.normal(scale=0.2, size=D_IN),
    }
    if arch == "jumprelu":
        w["threshold"] = rng.uniform(0.2, 1.2, size=D_SAE)
    return w


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(data)


def main():
    if os.path.exists(ROOT):
        shutil.rmtree(ROOT)
    os.makedirs(ROOT)
    rng = np.random.default_rng(20250101)
    x = (rng.normal(size=(N, D_IN)) * 1.5 + 0.3).astype(np.float32)
    np.save(os.path.join(ROOT, "inputs.npy"), x)

    # name, folder, arch, k, dtype, apply_b_dec, norm, rescale, format
    specs = [
        ("gs1_stored", "gs1_stored/layer_3", "jumprelu", 0, "float32", False, "none", False, "gs1_stored"),
        ("gs1_deflated", "gs1_deflated/gemma-scope-2b-pt-mlp/layer_5", "jumprelu", 0, "float32", False, "none", False, "gs1_deflated"),
        ("gs2", "gs2/resid_post/layer_7_width_16k_l0_small", "jumprelu", 0, "float32", False, "none", False, "gs2"),
        ("saelens_v6_standard", "saelens_v6_standard", "relu", 0, "float32", True, "none", False, "v6"),
        ("saelens_v6_topk_f16", "saelens_v6_topk_f16", "topk", 5, "float16", True, "none", False, "v6"),
        ("saelens_v6_topk_rescale", "saelens_v6_topk_rescale", "topk", 4, "float32", False, "none", True, "v6"),
        ("saelens_v6_jumprelu_constnorm", "saelens_v6_jumprelu_constnorm", "jumprelu", 0, "float32", False, "constant_norm_rescale", False, "v6"),
        ("saelens_v6_standard_layernorm", "saelens_v6_standard_layernorm", "relu", 0, "float32", True, "layer_norm", False, "v6"),
        ("saelens_v5_jumprelu_bf16", "saelens_v5_jumprelu_bf16", "jumprelu", 0, "bfloat16", False, "none", False, "v5"),
        ("saelens_v5_topk", "saelens_v5_topk", "topk", 6, "float32", True, "none", False, "v5"),
    ]
    expected = {}
    meta = {}
    for name, folder, arch, k, dtype, apply_b_dec, norm, rescale, fmt in specs:
        for attempt in range(1000):
            w = make_weights(rng, arch, unit=not rescale)
            rounded = {n: round_dtype(v, dtype) for n, v in w.items()}
            w32 = {n: as_f32_numpy(v) for n, v in rounded.items()}
            acts, recon, pre = reference(w32, x, arch, k, apply_b_dec, norm, rescale)
            if margins_ok(arch, pre, w32, k) and 0 < (acts > 0).sum(axis=1).min():
                break
        else:
            raise RuntimeError("no weights with safe margins for " + name)
        out = os.path.join(ROOT, folder)
        os.makedirs(out, exist_ok=True)
        hook, model = "", ""
        if fmt == "gs1_stored":
            np.savez(os.path.join(out, "params.npz"), **w32)
            hook = "blocks.3.hook_resid_post"
        elif fmt == "gs1_deflated":
            np.savez_compressed(os.path.join(out, "params.npz"), **w32)
            hook, model = "blocks.5.hook_mlp_out", "gemma-2-2b"
        elif fmt == "gs2":
            np_save_file({"w_enc": w32["W_enc"], "w_dec": w32["W_dec"], "b_enc": w32["b_enc"],
                          "b_dec": w32["b_dec"], "threshold": w32["threshold"]},
                         os.path.join(out, "params.safetensors"))
            cfg = {"width": D_SAE, "model_name": "gemma-v3-270m-pt", "architecture": "jump_relu", "l0": 5,
                   "affine_connection": False, "hf_hook_point_in": "model.layers.7.output",
                   "hf_hook_point_out": "model.layers.7.output", "type": "sae"}
            write(os.path.join(out, "config.json"), json.dumps(cfg, indent=2))
            hook, model = "blocks.7.hook_resid_post", "google/gemma-3-270m"
        else:
            hook, model = "blocks.2.hook_resid_post", "tiny-model"
            tensors = dict(rounded)
            if fmt == "v5" and arch == "jumprelu":
                # Older JumpReLU checkpoints store log_threshold.
                th = tensors.pop("threshold")
                tensors["log_threshold"] = torch.log(th.to(torch.float32)).to(torch.bfloat16) if isinstance(th, torch.Tensor) else np.log(th)
                lt = as_f32_numpy(tensors["log_threshold"])
                w32["threshold"] = np.exp(lt.astype(np.float64)).astype(np.float32)
                acts, recon, pre = reference(w32, x, arch, k, apply_b_dec, norm, rescale)
                assert margins_ok(arch, pre, w32, k), name
            if dtype == "bfloat16":
                torch_save_file({n: (v if isinstance(v, torch.Tensor) else torch.from_numpy(v)).contiguous()
                                 for n, v in tensors.items()}, os.path.join(out, "sae_weights.safetensors"))
            else:
                np_save_file({n: np.ascontiguousarray(v) for n, v in tensors.items()},
                             os.path.join(out, "sae_weights.safetensors"))
            if fmt == "v6":
                cfg = {"d_in": D_IN, "d_sae": D_SAE, "dtype": dtype, "device": "cpu",
                       "apply_b_dec_to_input": apply_b_dec, "normalize_activations": norm,
                       "reshape_activations": "none",
                       "metadata": {"sae_lens_version": "6.3.1", "sae_lens_training_version": "6.3.1",
                                    "model_name": model, "hook_name": hook},
                       "architecture": "standard" if arch == "relu" else arch}
                if arch == "topk":
                    cfg["k"] = k
                    cfg["rescale_acts_by_decoder_norm"] = rescale
            else:  # SAELens 5 layout: flat, hook_point, activation_fn_str, boolean normalisation
                cfg = {"architecture": "jumprelu" if arch == "jumprelu" else "standard",
                       "d_in": D_IN, "d_sae": D_SAE, "dtype": "torch." + dtype, "device": "cpu",
                       "model_name": model, "hook_point": hook, "hook_point_layer": 2,
                       "hook_point_head_index": None,
                       "activation_fn_str": "topk" if arch == "topk" else "relu",
                       "apply_b_dec_to_input": apply_b_dec, "finetuning_scaling_factor": False,
                       "context_size": 128, "normalize_activations": False,
                       "sae_lens_training_version": "3.13.0", "prepend_bos": True}
                if arch == "topk":
                    cfg["activation_fn_kwargs"] = {"k": k}
            write(os.path.join(out, "cfg.json"), json.dumps(cfg, indent=2))
        expected[name + ".acts"] = acts.astype(np.float32)
        expected[name + ".recon"] = recon.astype(np.float32)
        meta[name] = {"folder": folder, "arch": arch, "k": k, "dtype": dtype,
                      "apply_b_dec_to_input": apply_b_dec, "normalize_activations": norm,
                      "rescale_acts_by_decoder_norm": rescale, "hook_name": hook, "model_name": model,
                      "format": fmt, "l0": float((acts > 0).sum(axis=1).mean())}
    np.savez(os.path.join(ROOT, "expected.npz"), **expected)
    write(os.path.join(ROOT, "sae_fixtures.json"), json.dumps(meta, indent=2) + "\n")
    make_metrics_fixture(x, expected, rng)
    make_npy_fixtures(os.path.join(ROOT, "npy"))


def make_metrics_fixture(x, expected, rng):
    """SAELens evals.py formulas on the gs1_stored SAE's reconstruction, and the downstream CE / KL
    scores (torch cross_entropy and kl_div as SAELens's _kl) on random logits."""
    xs = x.astype(np.float64)
    acts = expected["gs1_stored.acts"].astype(np.float64)
    rec = expected["gs1_stored.recon"].astype(np.float64)
    resid = ((xs - rec) ** 2).sum(-1)
    total_var = (xs ** 2).sum(-1).mean() - (xs.mean(0) ** 2).sum()
    legacy = 1 - resid / ((xs - xs.mean(0)) ** 2).sum(-1)
    cos = (xs * rec).sum(-1) / (np.linalg.norm(xs, axis=-1) * np.linalg.norm(rec, axis=-1))
    metrics = {
        "sae": "gs1_stored",
        "l0": float((acts != 0).sum(-1).mean()),
        "l1": float(np.abs(acts).sum(-1).mean()),
        "mse": float(resid.mean()),
        "explained_variance": float(1 - resid.mean() / total_var),
        "explained_variance_legacy": float(legacy.mean()),
        "cossim": float(cos.mean()),
        "l2_ratio": float((np.linalg.norm(rec, axis=-1) / np.linalg.norm(xs, axis=-1)).mean()),
        "feature_density": ((acts != 0).sum(0) / acts.shape[0]).tolist(),
    }
    T, V = 7, 11
    clean = rng.normal(size=(T, V)).astype(np.float32) * 2
    spliced = (clean + rng.normal(size=(T, V)) * 0.3).astype(np.float32)
    ablated = rng.normal(size=(T, V)).astype(np.float32) * 2
    targets = rng.integers(0, V, size=T)
    tc, ts, ta = (torch.from_numpy(a).double() for a in (clean, spliced, ablated))
    tt = torch.from_numpy(targets)
    ce = {k: torch.nn.functional.cross_entropy(v, tt, reduction="none").numpy()
          for k, v in (("clean", tc), ("spliced", ts), ("ablated", ta))}

    def kl(orig, new):
        return torch.nn.functional.kl_div(torch.log_softmax(new, -1), torch.softmax(orig, -1),
                                          reduction="none").sum(-1).numpy()

    kl_s, kl_a = kl(tc, ts), kl(tc, ta)
    metrics["downstream"] = {
        "T": T, "V": V, "clean": clean.ravel().tolist(), "spliced": spliced.ravel().tolist(),
        "ablated": ablated.ravel().tolist(), "targets": targets.tolist(),
        "ce_clean_per_token": ce["clean"].tolist(), "kl_sae_per_token": kl_s.tolist(),
        "ce_clean": float(ce["clean"].mean()), "ce_sae": float(ce["spliced"].mean()),
        "ce_ablation": float(ce["ablated"].mean()), "kl_sae": float(kl_s.mean()),
        "kl_ablation": float(kl_a.mean()),
        "ce_loss_score": float((ce["ablated"].mean() - ce["spliced"].mean()) /
                               (ce["ablated"].mean() - ce["clean"].mean())),
        "kl_div_score": float((kl_a.mean() - kl_s.mean()) / kl_a.mean()),
    }
    write(os.path.join(ROOT, "metrics.json"), json.dumps(metrics, indent=1) + "\n")


def make_npy_fixtures(out):
    os.makedirs(out)
    cases = {
        "f4_2d": np.arange(12, dtype=np.float32).reshape(3, 4) / 7,
        "f2_1d": (np.arange(5, dtype=np.float16) - 2) / 3,
        "f8_3d": np.arange(24, dtype=np.float64).reshape(2, 3, 4) * -0.25,
        "i8_1d": np.array([-(2 ** 40), -1, 0, 7, 2 ** 50], dtype=np.int64),
        "i4_2d": np.arange(-3, 3, dtype=np.int32).reshape(2, 3),
        "i1_1d": np.array([-128, -1, 0, 127], dtype=np.int8),
        "u1_1d": np.array([0, 1, 200, 255], dtype=np.uint8),
        "b1_1d": np.array([True, False, True]),
        "scalar_f4": np.array(3.5, dtype=np.float32),
        "empty_f4": np.zeros((0, 3), dtype=np.float32),
        "fortran_f4": np.asfortranarray(np.arange(24, dtype=np.float32).reshape(2, 3, 4)),
    }
    expected = {}
    for name, a in cases.items():
        np.save(os.path.join(out, name + ".npy"), a)
        expected[name] = {"descr": a.dtype.str, "shape": list(a.shape),
                          "values": np.ascontiguousarray(a).ravel().astype(np.float64).tolist(),
                          "fortran_order": bool(a.flags.f_contiguous and not a.flags.c_contiguous)}
    # Header format versions 2.0 and 3.0.
    for ver in [(2, 0), (3, 0)]:
        name = "v%d_f4" % ver[0]
        a = np.arange(6, dtype=np.float32).reshape(2, 3) + ver[0]
        with open(os.path.join(out, name + ".npy"), "wb") as f:
            np.lib.format.write_array(f, a, version=ver)
        expected[name] = {"descr": "<f4", "shape": [2, 3], "values": a.ravel().astype(np.float64).tolist(),
                          "fortran_order": False}
    members = {"alpha": np.arange(10, dtype=np.float32) * 1.5, "beta": np.arange(6, dtype=np.int64).reshape(3, 2) - 2,
               "gamma": np.linspace(-1, 1, 2000).astype(np.float32)}  # long enough to compress
    np.savez(os.path.join(out, "stored.npz"), **members)
    np.savez_compressed(os.path.join(out, "compressed.npz"), **members)
    expected["npz_members"] = {k: {"descr": v.dtype.str, "shape": list(v.shape),
                                   "values": v.ravel().astype(np.float64).tolist()} for k, v in members.items()}
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes tests/fixtures/report/run/: a synthetic run folder of `knowscope run` (config, stage
records and each stage's results JSON in the schemas of docs/{labelling,latents,steering,attention,
uncertainty}.md) for the report renderer's tests. The numbers are made up (they test the page, not
the science); the layer profile, ROC curve and rates are generated from simple formulas so the
charts have shape. One entity name carries every character HTML must escape.

Usage: python3 tools/make_report_fixture.py [OUT_DIR]   (default tests/fixtures/report/run)
"""
import json
import math
import os
import random
import sys

TYPES = ["player", "movie", "city", "song"]
NASTY = "Tom & \"Jerry's\" <b id=\"injected\">Movie</b>"


def write(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=1, ensure_ascii=False)
        f.write("\n")


def done(out, stage, artifacts, summary):
    write(os.path.join(out, "stages", stage, "done.json"),
          {"stage": stage, "config_hash": "f1x7ure0" + stage[:8].ljust(8, "0"), "config": {},
           "finished": "2026-01-01T00:00:00Z", "seconds": 12.5, "artifacts": artifacts,
           "summary": summary})


def cell(n, refusals, correct):
    def wilson(k):
        if n == 0:
            return [None, None]
        z = 1.959964
        p = k / n
        d = 1 + z * z / n
        c = (p + z * z / (2 * n)) / d
        h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
        return [round(c - h, 4), round(c + h, 4)]
    return {"n": n, "refusals": refusals, "refusal_rate": refusals / n, "refusal_ci": wilson(refusals),
            "correct": correct, "correct_rate": correct / n, "correct_ci": wilson(correct),
            "answered": n - refusals, "answered_rate": (n - refusals) / n,
            "answered_ci": wilson(n - refusals)}


def per_type(refusal_counts, n=10, correct=1):
    out = {t: cell(n, r, min(correct, n - r)) for t, r in zip(TYPES, refusal_counts)}
    total = sum(refusal_counts)
    out["all"] = cell(n * len(TYPES), total, min(correct * 4, n * 4 - total))
    return out


def random_cell(rates):
    m = sum(rates) / len(rates)
    sd = math.sqrt(sum((r - m) ** 2 for r in rates) / len(rates))
    return {"n": 10, "controls": len(rates), "refusal_rate_mean": m, "refusal_rate_std": sd,
            "correct_rate_mean": 0.05, "correct_rate_std": 0.0, "refusal_rates": rates,
            "correct_rates": [0.05] * len(rates)}


def latent(side, rank, layer, j, score):
    return {"id": f"L{layer}F{j}", "layer": layer, "latent": j,
            "hook": f"blocks.{layer}.hook_resid_pre", "sae_hook": f"blocks.{layer - 1}.hook_resid_post",
            "rank": rank, "score": score, "mean_score": round(score + 0.1, 4),
            "per_type": {t: round(score + 0.05 * i, 4) for i, t in enumerate(TYPES)},
            "freq_known": {t: 0.8 for t in TYPES}, "freq_unknown": {t: 0.2 for t in TYPES},
            "n_known": 12, "n_unknown": 40, "generic_freq": round(0.001 * (rank + 1), 4),
            "decoder_norm": 1.0}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "tests", "fixtures", "report", "run")
    rng = random.Random(7)
    write(os.path.join(out, "config.json"),
          {"format": "knowscope-run", "version": 1, "model": "fixture-model", "model_id": "fixture-model",
           "model_path": "/nonexistent/fixture.gguf", "profile": "quick",
           "options": {"model": "fixture-model", "out": "run"}, "versions": {"knowscope": "0.1.0"},
           "created": "2026-01-01T00:00:00Z"})
    stages = [{"name": s, "status": "ran", "reason": "", "seconds": 10.0 + i}
              for i, s in enumerate(["labelling", "sae", "latents", "steering", "heads", "uncertainty"])]
    stages.append({"name": "report", "status": "ran", "reason": "", "seconds": 0.2})
    write(os.path.join(out, "stages.json"), {"stages": stages})

    # labelling
    counts = {"player": [3, 15, 2], "movie": [5, 12, 3], "city": [2, 10, 8], "song": [2, 16, 2]}
    lab_counts = {t: {"known": k, "unknown": u, "other": o, "total": k + u + o} for t, (k, u, o) in counts.items()}
    lab_counts["all"] = {key: sum(c[key] for c in lab_counts.values()) for key in ["known", "unknown", "other", "total"]}
    labels = {"format": "knowscope-entity-labels", "version": 1,
              "model": {"name": "fixture-model", "id": "fixture-model", "path": "/nonexistent", "arch": "gemma3"},
              "config": {"labelling_version": 1, "format": "base", "samples": 5},
              "selection": {"types": [], "per_type": 20, "seed": 42, "source": "data/entities"},
              "rule": {"min_correct_fraction": 0.3, "min_known_attributes": 2, "split_seed": 42},
              "records_file": "/nonexistent/generations.jsonl", "counts": lab_counts,
              "splits": {t: {"known": {"train": 1, "validation": 0, "test": 1, "fallback": True},
                             "unknown": {"train": 7, "validation": 1, "test": 6, "fallback": False}} for t in TYPES},
              "entities": [{"entity": NASTY, "entity_type": "movie", "label": "known", "split": "train",
                            "known_attributes": 2, "attributes": 6, "scores": []}]}
    write(os.path.join(out, "stages", "labelling", "labels.json"), labels)
    done(out, "labelling", ["labels.json"], {"headline": "fixture"})

    # latents
    layers = []
    for l in range(1, 18):
        k = 0.6 / (1 + math.exp(-(l - 7) / 1.5))
        u = 0.3 / (1 + math.exp(-(l - 8) / 2.0))
        layers.append({"layer": l, "hook": f"blocks.{l}.hook_resid_pre", "sae_hook": f"blocks.{l - 1}.hook_resid_post",
                       "maxmin_known": round(k, 4), "maxmin_unknown": round(u, 4),
                       "argmax_known": f"L{l}F{100 + l}", "argmax_unknown": f"L{l}F{200 + l}",
                       "top5_known": {t: {"mean": round(k + 0.05 * i, 4), "min": round(k + 0.05 * i - 0.04, 4),
                                          "max": round(k + 0.05 * i + 0.05, 4)} for i, t in enumerate(TYPES)},
                       "top5_unknown": {t: {"mean": round(u + 0.03 * i, 4), "min": round(u + 0.03 * i - 0.03, 4),
                                            "max": round(u + 0.03 * i + 0.04, 4)} for i, t in enumerate(TYPES)}})
    tokens = ["<bos>", "The", " movie", " '", "Tom", " &", " \"", "Jerry", "'s", "\"", " <b>", "'", " is"]
    latents = {"format": "knowscope-latents", "version": 1,
               "model": {"name": "fixture-model", "n_layers": 18, "d_model": 64},
               "types": TYPES, "types_excluded": [],
               "counts": {"selection": {**{t: {"known": 3, "unknown": 10} for t in TYPES}, "all": {"known": 12, "unknown": 40}},
                          "generic": {"docs_read": 500, "docs_used": 480, "tokens": 480}},
               "known": [latent("known", i, 9 + i % 3, 1000 + 7 * i, round(0.55 - 0.03 * i, 4)) for i in range(12)],
               "unknown": [latent("unknown", i, 10 + i % 2, 2000 + 5 * i, round(0.31 - 0.02 * i, 4)) for i in range(12)],
               "random_controls": {"known": [latent("known", i, 9, 3000 + i, 0.0) for i in range(3)],
                                   "unknown": [latent("unknown", i, 10, 4000 + i, 0.0) for i in range(3)]},
               "layers": layers,
               "probes": {"layers": [{"layer": l, "hook": f"blocks.{l}.hook_resid_pre",
                                      "diff_means": {"accuracy": round(0.6 + 0.01 * l, 4), "auroc": round(0.65 + 0.01 * l, 4)},
                                      "logistic": {"accuracy": round(0.62 + 0.01 * l, 4), "auroc": round(0.7 + 0.01 * l, 4),
                                                   "train_accuracy": 1.0}} for l in (3, 9, 15)],
                          "top_latents": {"known": {"id": "L9F1000", "layer": 9, "auroc": 0.71, "accuracy": 0.66}}},
               "generalisation": {"sentences": {"latents": [{"id": "L9F1000", "side": "known", "hook": "blocks.9.hook_resid_pre",
                                                             "fires_real": 12, "fires_invented": 3,
                                                             "freq_real": 0.6, "freq_invented": 0.15}]}},
               "examples": [{"text": "The movie '" + NASTY + "' is", "kind": "invented", "entity": NASTY,
                             "entity_token": 11, "tokens": tokens,
                             "latents": [{"id": "L9F1000", "side": "known", "acts": [0] * 8 + [1.5, 0.2, 0, 3.2, 0.4]},
                                         {"id": "L10F2000", "side": "unknown", "acts": [0] * 9 + [0.7, 2.4, 0, 0]}]}],
               "top_contexts": [{"id": "L9F1000", "side": "known", "hook": "blocks.9.hook_resid_pre",
                                 "contexts": [{"doc": 3, "source": "wordnet", "max_act": 4.25, "max_pos": 2,
                                               "doc_pos": 40, "tokens": [" the", " famous", " actor", " <&>"],
                                               "acts": [0, 1.0, 4.25, 0.5]}]}]}
    write(os.path.join(out, "stages", "latents", "latents.json"), latents)
    done(out, "latents", ["latents.json"], {"headline": "fixture"})

    # steering
    head = {"format": "knowscope-steering", "version": 1,
            "model": {"name": "fixture-model", "arch": "gemma3", "chat": False},
            "prompt_format": "fewshot", "positions": "entity_last_to_end", "split": "test",
            "balanced": False, "n_per_type": 10, "max_new_tokens": 30, "seed": 42,
            "latents": {"known": {"id": "L9F1000", "layer": 9, "latent": 1000, "hook": "blocks.9.hook_resid_pre",
                                  "sae_hook": "blocks.8.hook_resid_post", "raw_norm": 1.02,
                                  "mean_resid_norm": 61.25, "factor": 2.0, "alpha": 122.5},
                        "unknown": {"id": "L10F2000", "layer": 10, "latent": 2000, "hook": "blocks.10.hook_resid_pre",
                                    "sae_hook": "blocks.9.hook_resid_post", "raw_norm": 0.98,
                                    "mean_resid_norm": 70.5, "factor": 1.5, "alpha": 105.75}}}
    conds = lambda base: [
        {"name": "original", "latent": None, "alpha": 0, "per_type": per_type([base + 2, base + 4, base + 1, base])},
        {"name": "steer_unknown", "latent": "L10F2000", "alpha": 105.75, "per_type": per_type([9, 8, 8, 7])},
        {"name": "random_unknown", "latents": ["L10F4000", "L10F4001", "L10F4002"], "alpha": 105.75,
         "per_type": {t: random_cell([0.2, 0.3, 0.1]) for t in TYPES + ["all"]}},
        {"name": "orthogonalized", "latent": "L10F2000", "alpha": 0, "per_type": per_type([1, 2, 0, 1])},
        {"name": "steer_known", "latent": "L9F1000", "alpha": 122.5, "per_type": per_type([1, 1, 0, 0])},
        {"name": "random_known", "latents": ["L9F3000", "L9F3001", "L9F3002"], "alpha": 122.5,
         "per_type": {t: random_cell([0.25, 0.35, 0.15]) for t in TYPES + ["all"]}}]
    refusal = dict(head, stage="refusal", sets=[{"entities": "unknown", "conditions": conds(3)},
                                                {"entities": "known", "conditions": conds(1)}],
                   other_side={"known_latent_on_unknown": {t: {"n": 10, "answered": 9, "answered_rate": 0.9,
                                                               "answered_ci": [0.596, 0.982], "original_answered_rate": 0.6}
                                                           for t in TYPES},
                               "unknown_latent_on_known": {t: {"n": 10, "correct": 1, "correct_rate": 0.1,
                                                               "correct_ci": [0.018, 0.404], "original_correct_rate": 0.4,
                                                               "refusal_rate": 0.8} for t in TYPES}},
                   examples=[{"entities": "unknown", "condition": "steer_unknown", "entity": NASTY,
                              "entity_type": "movie", "prompt_type": "movie_directors",
                              "question": "Who directed the movie " + NASTY + "?",
                              "completion": " I don't know. <script>alert(1)</script>", "refusal": True,
                              "correct": False}])
    write(os.path.join(out, "stages", "steering", "refusal.json"), refusal)
    factors = [0, 0.5, 1, 1.5, 2, 3, 4]
    sweep = dict(head, stage="sweep", latent="unknown", target=0.9,
                 rule="smallest factor with pooled refusal rate >= target", chosen_factor=1.5,
                 chosen_alpha=105.75, target_reached=True,
                 points=[{"factor": f, "alpha": round(f * 70.5, 3),
                          "per_type": per_type([min(10, int(2 + 3 * f + i)) for i in range(4)])} for f in factors],
                 example={"entity": NASTY, "entity_type": "movie", "question": "Who directed " + NASTY + "?",
                          "rows": [{"factor": f, "alpha": round(f * 70.5, 3), "completion": "answer %d" % i,
                                    "refusal": f >= 1.5} for i, f in enumerate(factors)]})
    write(os.path.join(out, "stages", "steering", "sweep.json"), sweep)
    coefs = [-4, -2, -1, 0, 1, 2, 4]
    balance = dict(head, stage="balance", points=[
        {"coefficient": c, "latent": None if c == 0 else ("L9F1000" if c < 0 else "L10F2000"),
         "alpha": abs(c) * (61.25 if c < 0 else 70.5),
         "unknown_entities": per_type([max(0, min(10, 4 + 2 * c + i % 2)) for i in range(4)]),
         "known_entities": per_type([max(0, min(10, 1 + 2 * c)) for _ in range(4)], correct=max(0, 4 - max(0, c)))}
        for c in coefs])
    write(os.path.join(out, "stages", "steering", "balance.json"), balance)

    def ld(mean):
        return {"mean": mean, "std": 1.1}
    yesno = dict(head, stage="yesno", positions="entity_last", yes_token=7010, no_token=2360,
                 sets=[{"entities": e, "steer": s, "latent": lat, "alpha": 100.0, "random_latents": ["L9F3000"],
                        "per_type": {t: {"n": 10, "original": ld(o), "steered": ld(o + d), "random": ld(o - 0.1),
                                         "delta_steered": d, "delta_random": -0.1}
                                     for t, o in zip(TYPES + ["all"], [5.1, 6.2, 4.4, 6.9, 5.65])}}
                       for e, s, lat, d in [("known", "unknown", "L10F2000", -1.5), ("unknown", "known", "L9F1000", 0.8)]])
    write(os.path.join(out, "stages", "steering", "yesno.json"), yesno)
    done(out, "steering", ["sweep.json", "refusal.json", "balance.json", "yesno.json"], {"headline": "fixture"})

    # heads
    L, H = 18, 4
    roles = ["bos", "prefix", "entity", "entity_last", "relation", "last"]

    def grid(rows, cols, f):
        return [[round(f(r, c), 4) for c in range(cols)] for r in range(rows)]
    patching = {"format": "knowscope-heads-patching", "version": 1, "model": "fixture-model", "labels": "labels.json",
                "pair_rule": "same length, same entity span", "metric": "(LD_patched - LD_corr) / (LD_clean - LD_corr)",
                "n_layers": L, "n_heads": H, "layers": list(range(L)), "roles": roles,
                "groups": [{"name": g, "pairs": 8, "clean_entities": 4, "corrupt_entities": 8,
                            "ld_clean": 2.5, "ld_corrupt": -0.75,
                            "resid_pre": grid(L, 6, lambda r, c: (1 - r / L) if c == 3 else (r / L if c == 5 else 0.02 * c)),
                            "heads_last": grid(L, H, lambda r, c: 0.3 if (r, c) == (9, 2) else 0.01 * ((r + c) % 5) - 0.02)}
                           for g in ["all"] + TYPES],
                "top_heads": [{"id": "L9H2", "layer": 9, "head": 2, "metric": 0.3}], "pairs": [], "seconds": 5.0}
    write(os.path.join(out, "stages", "heads", "patching.json"), patching)
    heads = []
    for l in range(L):
        for h in range(H):
            km = round(0.1 + 0.4 * ((l, h) == (9, 2)) + 0.01 * h, 4)
            um = round(0.1 + 0.05 * ((l, h) == (9, 2)), 4)
            heads.append({"id": f"L{l}H{h}", "layer": l, "head": h, "known": {"mean": km, "std": 0.05, "n": 12},
                          "unknown": {"mean": um, "std": 0.05, "n": 40}, "gap": round(km - um, 4), "t": 3.0,
                          "p_two": 0.01, "p_greater": 0.005})
    attention = {"format": "knowscope-heads-attention", "version": 1, "model": "fixture-model",
                 "n_layers": L, "n_heads": H, "n_prompts": {"known": 12, "unknown": 40},
                 "n_entities": {"known": 4, "unknown": 14}, "heads": heads,
                 "extraction_heads": {"rule": "top 10 by patching metric and gap p < 0.05",
                                      "selected": [{"id": "L9H2", "layer": 9, "head": 2, "metric": 0.3,
                                                    "gap": 0.35, "p_greater": 0.0012}],
                                      "by_gap": [{"id": "L9H2", "layer": 9, "head": 2, "gap": 0.35, "p_greater": 0.0012}]},
                 "seconds": 2.0}
    write(os.path.join(out, "stages", "heads", "attention.json"), attention)

    def cond(i, m):
        return {"id": f"L9F{3000 + i}", "layer": 9, "latent": 3000 + i, "hook": "blocks.9.hook_resid_pre",
                "raw_norm": 1.0, "resid_norm": 60.0, "alpha": 24.0, "mean_dA": m, "std_dA": 0.05,
                "t": 2.5, "p": 0.01, "beaten": True}
    steer = {"format": "knowscope-heads-steer", "version": 1, "model": "fixture-model", "alpha_rule": "0.4 x mean |resid|",
             "alpha_factor": 0.4, "sides": []}
    for name, lab, exp, sign in [("unknown_latent_on_known", "known", "less", -1), ("known_latent_on_unknown", "unknown", "greater", 1)]:
        hs = [{"id": f"L{l}H{h}", "layer": l, "head": h, "mean": round(sign * (0.12 if (l, h) == (9, 2) else 0.01 * ((l + h) % 3)), 4),
               "std": 0.05} for l in range(9, L) for h in range(H)]
        steer["sides"].append({"name": name, "prompts_label": lab, "expected": exp, "n_prompts": 12, "n_entities": 4,
                               "from_layer": 9, "n_heads": len(hs), "n_values": 12 * len(hs),
                               "latent": {"id": "L10F2000" if sign < 0 else "L9F1000", "layer": 9, "latent": 2000,
                                          "hook": "blocks.9.hook_resid_pre", "raw_norm": 1.0, "resid_norm": 60.0,
                                          "alpha": 24.0, "mean_dA": sign * 0.0275, "std_dA": 0.04},
                               "heads": hs, "random_latents": [cond(i, 0.001 * i) for i in range(3)],
                               "random_vector": {"seed": 1234, "layer": 9, "alpha": 24.0, "mean_dA": 0.0005,
                                                 "std_dA": 0.01, "t": 2.0, "p": 0.03, "beaten": True},
                               "beaten": 3 if sign > 0 else 2, "of": 3})
    write(os.path.join(out, "stages", "heads", "steer.json"), steer)
    lens = {"format": "knowscope-heads-lens", "version": 1, "model": "fixture-model", "top_k": 20,
            "entries": [{"id": "L9H2", "layer": 9, "head": 2, "entity": NASTY, "entity_type": "movie",
                         "prompt": "The movie " + NASTY + " is directed by", "answer": " <Nobody>", "answer_rank": 3,
                         "tokens": [{"id": 5 + i, "text": w, "score": 9.0 - i} for i, w in enumerate([" Spielberg", " <&>", " Lucas"])]}]}
    write(os.path.join(out, "stages", "heads", "lens.json"), lens)
    done(out, "heads", ["patching.json", "attention.json", "steer.json", "lens.json"], {"headline": "fixture"})

    # uncertainty: the latent's ROC from a made-up score distribution
    def roc(name, shift):
        pos = [rng.gauss(shift, 1) for _ in range(20)]
        neg = [rng.gauss(0, 1) for _ in range(20)]
        ths = sorted(set(pos + neg), reverse=True)
        fpr, tpr = [0.0], [0.0]
        for t in ths:
            tpr.append(sum(p >= t for p in pos) / 20)
            fpr.append(sum(n >= t for n in neg) / 20)
        auc = sum((fpr[i + 1] - fpr[i]) * (tpr[i + 1] + tpr[i]) / 2 for i in range(len(fpr) - 1))
        return {"name": name, "kind": "latent", "hook": "blocks.9.hook_resid_pre", "auroc": round(auc, 4),
                "auroc_ci": [round(auc - 0.1, 4), round(min(1, auc + 0.1), 4)], "f1": 0.66, "threshold": 0.3,
                "accuracy": 0.6, "precision": 0.6, "recall": 0.75, "n": 40, "n_error": 20, "n_correct": 20,
                "fpr": fpr, "tpr": tpr, "thresholds": [None] + ths}
    uncertainty = {"format": "knowscope.uncertainty", "version": 1, "status": "ok", "reason": "",
                   "model": "fixture-model", "position": {"rule": "last prompt token", "example_token": " <is>"},
                   "evaluation": {"threshold_split": "validation"},
                   "notes": ["few <known> entities & small n"],
                   "roc": [roc("L9F777", 1.2), roc("logistic probe", 0.8)],
                   "paper": {"model": "gemma-2b-it", "latent": "L13F3130", "auroc": 0.732, "f1": 0.72}}
    write(os.path.join(out, "stages", "uncertainty", "uncertainty.json"), uncertainty)
    done(out, "uncertainty", ["uncertainty.json"], {"headline": "fixture"})


if __name__ == "__main__":
    main()

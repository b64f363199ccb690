#!/usr/bin/env python3
"""Reference fixtures for the latents stage (tests/study/latents_*_test.cpp), computed with CPython's
`random` and numpy, independently of the C++ code:

  tests/fixtures/latents/pyrandom.json  random.seed / random / getrandbits / sample / choices
  tests/fixtures/latents/scores.json    frequencies, separation scores, MaxMin, top-5 bands,
                                        global min-over-types selection with the 2 % generic
                                        filter, random controls (paper-method.md 3.2-3.3)

Run: /root/.cache/knowscope/pyref/bin/python tools/make_latents_fixtures.py
"""
import json
import os
import random

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "latents")


def pyrandom_cases():
    cases = {}
    for seed in [0, 10, 42, 2**40 + 5]:
        random.seed(seed)
        c = {"seed": seed, "uint32": [random.getrandbits(32) for _ in range(5)]}
        random.seed(seed)
        c["random"] = [random.random() for _ in range(5)]
        random.seed(seed)
        c["getrandbits"] = [[k, random.getrandbits(k)] for k in [1, 7, 31, 33, 64]]
        random.seed(seed)
        c["randbelow"] = [[n, random.randrange(n)] for n in [1, 2, 3, 10, 1000, 2**33 + 1]]
        c["sample"] = []
        for n, k in [(10, 10), (30, 10), (85, 10), (86, 10), (1000, 10), (16384, 10), (50, 3)]:
            random.seed(seed)
            c["sample"].append({"n": n, "k": k, "indices": random.sample(range(n), k)})
        cases[str(seed)] = c
    # The generic-corpus draw: seed 10 once, then one choices() per document.
    docs = ["the cat sat on the mat", "a", "one two three four five six seven eight nine ten",
            "x y", "lorem ipsum dolor sit amet consectetur"]
    random.seed(10)
    picks = []
    for d in docs:
        words = d.split()
        w = random.choices(words)[0]
        picks.append(words.index(w) if words.count(w) == 1 else None)
    random.seed(10)
    idx = []
    for d in docs:
        n = len(d.split())
        idx.append(int(np.floor(random.random() * n)))
    return {"cases": cases, "choices_docs": docs, "choices_index": idx}


def scores_fixture():
    rng = np.random.default_rng(7)
    types = ["player", "movie", "city", "song"]
    d_sae = 40
    layers = [3, 4]
    # Entities: per type known/unknown counts; type "song" has no known entity (excluded).
    n_known = {"player": 6, "movie": 5, "city": 7, "song": 0}
    n_unknown = {"player": 9, "movie": 8, "city": 6, "song": 5}
    entities = []
    for t in types:
        entities += [(t, 1)] * n_known[t] + [(t, 0)] * n_unknown[t]
    n = len(entities)
    fires = {}
    generic = {}
    for li, layer in enumerate(layers):
        p = rng.uniform(0.05, 0.6, size=d_sae)
        f = (rng.uniform(size=(n, d_sae)) < p).astype(np.int64)
        is_known = np.array([k for _, k in entities]) == 1
        f[:, 25:] = 0  # latents that never fire on entities: min score exactly 0 (controls)
        f[0, 30] = 1   # fires on one known player only: min score 0 over the other types
        if layer == 4:
            f[:, 7] = is_known  # planted known latent, filtered by generic frequency below
            f[:, 9] = is_known
            f[np.where(is_known)[0][:2], 9] = 0  # slightly worse, but specific
            f[:, 11] = ~is_known  # planted unknown latent
        fires[layer] = f
        g = rng.uniform(0.0, 0.05, size=d_sae)
        if layer == 4:
            g[7] = 0.5   # above the 2 % cap
            g[9] = 0.001
            g[11] = 0.0
        generic[layer] = g
    scored = [t for t in types if n_known[t] > 0 and n_unknown[t] > 0]
    out_layers = []
    allcands = {"known": [], "unknown": []}
    min_scores = {}
    for layer in layers:
        f = fires[layer]
        s_known = {}
        for t in types:
            rows_k = [i for i, (tt, k) in enumerate(entities) if tt == t and k == 1]
            rows_u = [i for i, (tt, k) in enumerate(entities) if tt == t and k == 0]
            fk = f[rows_k].mean(axis=0) if rows_k else np.zeros(d_sae)
            fu = f[rows_u].mean(axis=0) if rows_u else np.zeros(d_sae)
            s_known[t] = fk - fu
        entry = {"layer": layer}
        for side, sign in [("known", 1), ("unknown", -1)]:
            S = np.stack([sign * s_known[t] for t in scored])  # [types, d_sae]
            mins = S.min(axis=0)
            means = S.mean(axis=0)
            min_scores[(layer, side)] = mins
            entry["maxmin_" + side] = float(mins.max())
            entry["argmax_" + side] = int(np.argmax(mins))
            bands = {}
            for t in types:
                top = np.sort(sign * s_known[t])[::-1][:5]
                bands[t] = {"mean": float(top.mean()), "min": float(top.min()),
                            "max": float(top.max())}
            entry["top5_" + side] = bands
            for j in range(d_sae):
                allcands[side].append((layer, j, float(mins[j]), float(means[j]),
                                       float(generic[layer][j])))
        out_layers.append(entry)
    selection = {}
    for side in ["known", "unknown"]:
        c = [x for x in allcands[side] if x[4] < 0.02]
        c.sort(key=lambda x: (-x[2], -x[3], x[4], x[0], x[1]))
        selection[side] = [{"layer": x[0], "latent": x[1], "score": x[2], "mean_score": x[3]}
                           for x in c[:5]]
    controls = {}
    for side in ["known", "unknown"]:
        layer = selection[side][0]["layer"]
        mins = min_scores[(layer, side)]
        pool = [j for j in range(d_sae) if mins[j] == 0.0]
        random.seed(42)
        controls[side] = {"layer": layer, "candidates": len(pool),
                          "latents": random.sample(pool, min(10, len(pool)))}
    return {
        "types": types,
        "scored_types": scored,
        "d_sae": d_sae,
        "entities": [{"type": t, "known": bool(k)} for t, k in entities],
        "layers": [{"layer": l, "fires": fires[l].tolist(), "generic_freq": generic[l].tolist()}
                   for l in layers],
        "expected_layers": out_layers,
        "expected_selection_top5": selection,
        "expected_controls": controls,
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "pyrandom.json"), "w") as f:
        json.dump(pyrandom_cases(), f)
    with open(os.path.join(OUT, "scores.json"), "w") as f:
        json.dump(scores_fixture(), f)


if __name__ == "__main__":
    main()

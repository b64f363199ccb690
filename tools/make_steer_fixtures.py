#!/usr/bin/env python3
"""Reference values for tests/study/steer_unit_test.cpp, from implementations nobody here wrote:
Python's own random.shuffle after random.seed(s) (the paper's prompt shuffle, spec 4.2) and
statsmodels' Wilson interval (proportion_confint(method="wilson")).

    /root/.cache/knowscope/pyref/bin/python tools/make_steer_fixtures.py
writes tests/fixtures/study/steer_reference.json.
"""
import json
import os
import random
import sys

from statsmodels.stats.proportion import proportion_confint

out = {"python": sys.version.split()[0], "shuffles": [], "wilson": []}
for n, seed in [(0, 42), (1, 42), (2, 42), (7, 42), (17, 42), (100, 42), (33, 7), (1000, 123)]:
    x = list(range(n))
    random.seed(seed)
    random.shuffle(x)
    out["shuffles"].append({"n": n, "seed": seed, "order": x})
for k, n in [(0, 1), (1, 1), (0, 20), (7, 20), (20, 20), (33, 100), (97, 100), (3, 7), (1, 400)]:
    lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
    out["wilson"].append({"k": k, "n": n, "lo": float(lo), "hi": float(hi)})

path = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "study",
                    "steer_reference.json")
with open(path, "w") as f:
    json.dump(out, f, indent=0)
    f.write("\n")
print("wrote", os.path.normpath(path))

#!/usr/bin/env python3
"""Reference values for src/study/stats_*.cpp from numpy, scipy and sklearn.

Writes tests/fixtures/stats/{moments,ttest,special,roc,f1,wilson,logistic,directions}.json.
Run with the reference environment:
    /root/.cache/knowscope/pyref/bin/python tools/make_stats_fixtures.py
"""
import json
import math
import os
import warnings

import numpy as np
import scipy
import scipy.special
import scipy.stats
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, roc_auc_score, roc_curve

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "stats")
rng = np.random.RandomState(1234)
VERSIONS = {"numpy": np.__version__, "scipy": scipy.__version__, "sklearn": sklearn.__version__}


def num(v):
    """JSON has no inf / nan: write them as strings."""
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def write(name, cases):
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump({"generator": "tools/make_stats_fixtures.py", "versions": VERSIONS,
                   "cases": cases}, f, indent=1)
        f.write("\n")


def moments():
    cases = []
    for n in (1, 2, 7, 100):
        x = rng.normal(3.0, 2.0, n)
        cases.append({"x": x.tolist(), "mean": num(np.mean(x)),
                      "var1": num(np.var(x, ddof=1)) if n > 1 else "nan",
                      "var0": num(np.var(x)), "std1": num(np.std(x, ddof=1)) if n > 1 else "nan"})
    write("moments", cases)


def ttest():
    cases = []
    specs = [(20, 25, 0.0, 1.0, 1.0, 2.0), (5, 40, 0.5, 0.0, 0.3, 3.0), (100, 90, 0.0, 0.0, 1, 1),
             (30, 30, 2.0, 0.0, 0.2, 0.2), (3, 4, 1.0, 0.0, 1.0, 0.1), (200, 150, 0.1, 0.0, 1, 1.5)]
    for na, nb, ma, mb, sa, sb in specs:
        a = rng.normal(ma, sa, na)
        b = rng.normal(mb, sb, nb)
        cases.append((a, b))
    # activation-like: many zeros, skewed
    a = np.maximum(rng.normal(0.5, 1.0, 60), 0)
    b = np.maximum(rng.normal(0.0, 1.0, 80), 0)
    cases.append((a, b))
    # degenerate: one group of one (t NaN), constant and equal (NaN), constant and different (inf)
    cases.append((np.array([1.0]), rng.normal(0, 1, 10)))
    cases.append((np.zeros(5), np.zeros(7)))
    cases.append((np.ones(5), np.zeros(7)))
    out = []
    for a, b in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            two = scipy.stats.ttest_ind(a, b, equal_var=False)
            gt = scipy.stats.ttest_ind(a, b, equal_var=False, alternative="greater")
            lt = scipy.stats.ttest_ind(a, b, equal_var=False, alternative="less")
        out.append({"a": a.tolist(), "b": b.tolist(), "t_raw": num(two.statistic),
                    "t": num(np.nan_to_num(two.statistic, nan=0.0, posinf=np.inf, neginf=-np.inf)),
                    "df": num(two.df), "p_two_sided": num(two.pvalue),
                    "p_greater": num(gt.pvalue), "p_less": num(lt.pvalue)})
    write("ttest", out)


def special():
    beta = []
    for a, b, x in [(0.5, 0.5, 0.3), (2, 3, 0.4), (10, 0.5, 0.99), (0.5, 10, 0.01),
                    (50, 0.5, 0.9), (1, 1, 0.7), (3.5, 0.5, 0.999999), (100, 100, 0.45)]:
        beta.append({"a": a, "b": b, "x": x, "value": float(scipy.special.betainc(a, b, x))})
    tsf = []
    for t, df in [(0.0, 5), (1.0, 1), (2.5, 3.7), (-1.3, 12), (8.0, 40), (30.0, 100),
                  (0.01, 2.2), (-6.0, 7), (4.0, 1e6)]:
        tsf.append({"t": t, "df": df, "sf": float(scipy.stats.t.sf(t, df))})
    write("special", {"betainc": beta, "t_sf": tsf})


def roc():
    out = []
    for n, rounding, pos_frac in [(30, None, 0.5), (50, 1, 0.3), (200, 0, 0.5), (12, 0, 0.25)]:
        y = (rng.uniform(size=n) < pos_frac).astype(int)
        y[0], y[1] = 0, 1
        s = rng.normal(0, 1, n) + 0.8 * y
        if rounding is not None:
            s = np.round(s, rounding)  # ties
        fpr, tpr, thr = roc_curve(y, s, drop_intermediate=False)
        out.append({"scores": s.tolist(), "labels": y.tolist(), "auroc": roc_auc_score(y, s),
                    "fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": [num(v) for v in thr]})
    write("roc", out)


def f1():
    out = []
    for n, pos_frac in [(40, 0.5), (80, 0.2), (25, 0.7)]:
        y = (rng.uniform(size=n) < pos_frac).astype(int)
        y[0], y[1] = 0, 1
        s = np.round(rng.normal(0, 1, n) + 1.0 * y, 2)
        at = []
        for thr in [float(np.min(s)), 0.0, 0.5, float(np.max(s)), float(np.max(s)) + 1]:
            pred = (s >= thr).astype(int)
            at.append({"threshold": thr, "f1": float(f1_score(y, pred, zero_division=0))})
        # the paper's rule: 100 evenly spaced thresholds over the scores, best F1, first on ties
        grid = np.linspace(np.min(s), np.max(s), 100)
        f1s = [f1_score(y, (s >= t).astype(int), zero_division=0) for t in grid]
        k = int(np.argmax(f1s))
        out.append({"scores": s.tolist(), "labels": y.tolist(), "at": at,
                    "best_threshold": float(grid[k]), "best_f1": float(f1s[k])})
    write("f1", out)


def wilson():
    out = []
    for k, n in [(0, 10), (3, 10), (10, 10), (50, 100), (1, 1000), (73, 120), (0, 1)]:
        ci = scipy.stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        out.append({"successes": k, "n": n, "lo": float(ci.low), "hi": float(ci.high)})
    write("wilson", out)


def logistic():
    out = []
    for rows, cols, balanced, C, pos_frac in [(200, 5, False, 1.0, 0.5), (300, 8, True, 1.0, 0.25),
                                              (150, 20, False, 0.1, 0.4), (120, 3, True, 10.0, 0.6)]:
        x = rng.normal(0, 1, (rows, cols)).astype(np.float32)
        w = rng.normal(0, 1, cols)
        z = x.astype(np.float64) @ w + 0.5
        y = (rng.uniform(size=rows) < 1 / (1 + np.exp(-z))).astype(int)
        # keep the class ratio near pos_frac by flipping a few labels deterministically
        order = np.argsort(z)
        n_pos = int(round(pos_frac * rows))
        y2 = np.zeros(rows, dtype=int)
        y2[order[rows - n_pos:]] = 1
        noisy = rng.uniform(size=rows) < 0.2
        y = np.where(noisy, y, y2)
        clf = LogisticRegression(C=C, class_weight="balanced" if balanced else None,
                                 solver="lbfgs", tol=1e-12, max_iter=100000)
        clf.fit(x.astype(np.float64), y)
        xt = rng.normal(0, 1, (10, cols)).astype(np.float32)
        out.append({"rows": rows, "cols": cols, "balanced": balanced, "C": C,
                    "x": x.ravel().tolist(), "labels": y.tolist(),
                    "coef": clf.coef_[0].tolist(), "intercept": float(clf.intercept_[0]),
                    "x_test": xt.ravel().tolist(),
                    "proba_test": clf.predict_proba(xt.astype(np.float64))[:, 1].tolist()})
    write("logistic", out)


def directions():
    rows, cols = 40, 6
    x = rng.normal(0, 1, (rows, cols)).astype(np.float32)
    y = (rng.uniform(size=rows) < 0.4).astype(int)
    y[0], y[1] = 0, 1
    x[y == 1] += np.float32(0.7)
    xd = x.astype(np.float64)
    d = xd[y == 1].mean(0) - xd[y == 0].mean(0)
    u = d / np.linalg.norm(d)
    write("directions", [{"rows": rows, "cols": cols, "x": x.ravel().tolist(),
                          "labels": y.tolist(), "raw": d.tolist(), "unit": u.tolist(),
                          "projection": (xd @ u).tolist()}])


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    moments()
    ttest()
    special()
    roc()
    f1()
    wilson()
    logistic()
    directions()

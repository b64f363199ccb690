#!/usr/bin/env python3
"""Builds the generic text corpus that SAEs are trained and evaluated on, from Debian-shipped text.

Output: $KNOWSCOPE_HOME/corpus/debian-text.jsonl (one document per line: {"text", "source"}) and
debian-text.manifest.json beside it (documents, characters and sha256 per source, of the whole
file). Sources (Debian packages, all public domain or freely licensed; see scripts/setup.sh):
  wordnet    wordnet-base: synset glosses with their words and examples (data.noun/verb/adj/adv)
  gcide      dict-gcide: entries of the GNU Collaborative International Dictionary of English
  fortunes   fortunes (+ fortunes-min): the non-offensive fortune cookie files
  bible-kjv  bible-kjv-text (read with the `bible` program of bible-kjv): verses, grouped
Machine-specific text (/usr/share/doc) is left out so that every machine builds the same file.

Deterministic (sorted inputs, fixed seed, per-source caps) and idempotent: when the file and its
manifest exist and the manifest's sha256 and build parameters match, nothing is done. Both files
are written to temporary names and renamed (manifest last).
Usage: python3 scripts/build_corpus.py [--out FILE] [--force]
"""
import argparse
import gzip
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys

VERSION = 1
SEED = 20250101
# Per-source caps in characters, so that no source dominates (gcide alone has ~40 MB).
CAPS = {"wordnet": 5_000_000, "gcide": 6_000_000, "fortunes": 3_000_000, "bible-kjv": 4_500_000}
TARGET_DOC_CHARS = 900  # paragraphs are grouped up to about this size
MAX_DOC_CHARS = 2000


def group(pieces, target=TARGET_DOC_CHARS, sep=" "):
    """Joins consecutive pieces into documents of about `target` characters."""
    out, cur = [], ""
    for p in pieces:
        p = p.strip()
        if not p:
            continue
        if len(p) > MAX_DOC_CHARS:
            p = p[:MAX_DOC_CHARS].rsplit(" ", 1)[0]
        if cur and len(cur) + len(sep) + len(p) > target:
            out.append(cur)
            cur = ""
        cur = p if not cur else cur + sep + p
    if cur:
        out.append(cur)
    return out


def wordnet_docs():
    root = "/usr/share/wordnet"
    pieces = []
    for pos, name in (("noun", "n"), ("verb", "v"), ("adj", "adj"), ("adv", "adv")):
        path = os.path.join(root, "data." + pos)
        if not os.path.exists(path):
            return None
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("  ") or "|" not in line:
                    continue  # licence header
                head, gloss = line.split("|", 1)
                fields = head.split()
                n_words = int(fields[3], 16)
                words = [fields[4 + 2 * i].replace("_", " ") for i in range(n_words)]
                words = [re.sub(r"\(.*\)$", "", w) for w in words]
                pieces.append(f"{', '.join(words)} ({name}): {gloss.strip()}.")
    # Synsets of one file are grouped by topic (lexicographer file); keep neighbours together.
    return group(pieces, sep="\n")


def gcide_docs():
    path = "/usr/share/dictd/gcide.dict.dz"
    if not os.path.exists(path):
        return None
    with gzip.open(path) as f:
        text = f.read().decode("utf-8", errors="replace")
    # Entries start at a line that is not indented; drop the "[1913 Webster]" provenance marks.
    text = re.sub(r"\s*\[(?:1913 Webster|PJC|WordNet 1\.5|Century Dict\.)[^\]]*\]", "", text)
    entries, cur = [], []
    for line in text.split("\n"):
        if line and not line[0].isspace() and cur:
            entries.append("\n".join(cur))
            cur = []
        cur.append(line.rstrip())
    if cur:
        entries.append("\n".join(cur))
    docs = []
    for e in entries:
        if e.startswith("00-database") or e.startswith("00database"):
            continue
        e = re.sub(r"\n\s*\n+", "\n", e).strip()
        e = re.sub(r"[ \t]+", " ", e)
        if len(e) >= 80:
            docs.append(e)
    return group(docs, sep="\n\n")


def fortune_docs():
    root = "/usr/share/games/fortunes"
    if not os.path.isdir(root):
        return None
    docs = []
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name)
        if not os.path.isfile(path) or "." in name:
            continue  # .dat indexes, .u8 links
        with open(path, encoding="utf-8", errors="replace") as f:
            cookies = f.read().split("\n%\n")
        for c in cookies:
            c = c.strip("%\n ")
            if len(c) >= 40:
                docs.append(c)
    return group(docs, sep="\n\n")


def bible_docs():
    exe = shutil.which("bible")
    if not exe or not os.path.exists("/usr/lib/bible.data"):
        return None
    out = subprocess.run([exe, "-l100000", "Ge1:1-Re22:21"], check=True, capture_output=True,
                         text=True).stdout
    chapters, cur = [], []
    for line in out.split("\n"):
        m = re.match(r"^\s*(\d+) (.*)$", line)
        if m:
            cur.append(m.group(2).strip())
        elif line.strip():
            if cur:
                chapters.append(cur)
            cur = []
    if cur:
        chapters.append(cur)
    docs = []
    for verses in chapters:  # a document never spans two chapters
        docs.extend(group(verses))
    return docs


SOURCES = {"wordnet": wordnet_docs, "gcide": gcide_docs, "fortunes": fortune_docs,
           "bible-kjv": bible_docs}


def cap(docs, limit, rng):
    """A seeded random subset of documents totalling at most `limit` characters."""
    idx = list(range(len(docs)))
    rng.shuffle(idx)
    keep, total = [], 0
    for i in idx:
        if total + len(docs[i]) > limit:
            continue
        keep.append(i)
        total += len(docs[i])
    return [docs[i] for i in sorted(keep)]


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def params():
    return {"version": VERSION, "seed": SEED, "caps": CAPS, "target_doc_chars": TARGET_DOC_CHARS}


def up_to_date(out, manifest_path):
    try:
        with open(manifest_path) as f:
            m = json.load(f)
        return m.get("params") == json.loads(json.dumps(params())) and \
            m.get("sha256") == sha256_file(out)
    except (OSError, ValueError):
        return False


def main():
    home = os.environ.get("KNOWSCOPE_HOME", os.path.expanduser("~/.cache/knowscope"))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(home, "corpus", "debian-text.jsonl"))
    ap.add_argument("--force", action="store_true", help="rebuild even when up to date")
    a = ap.parse_args()
    manifest_path = re.sub(r"\.jsonl$", "", a.out) + ".manifest.json"
    if not a.force and up_to_date(a.out, manifest_path):
        print(f"build_corpus: {a.out} is up to date")
        return 0

    rng = random.Random(SEED)
    docs, sources = [], {}
    for name in sorted(SOURCES):
        got = SOURCES[name]()
        if got is None:
            print(f"build_corpus: source {name} is not installed; skipped", file=sys.stderr)
            sources[name] = {"documents": 0, "chars": 0, "missing": True}
            continue
        got = cap(got, CAPS[name], rng)
        sources[name] = {"documents": len(got), "chars": sum(len(d) for d in got)}
        docs.extend((d, name) for d in got)
    if not docs:
        print("build_corpus: no source installed (see scripts/setup.sh)", file=sys.stderr)
        return 1
    rng.shuffle(docs)

    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    tmp = f"{a.out}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        for text, source in docs:
            f.write(json.dumps({"text": text, "source": source}, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())
    digest = sha256_file(tmp)
    os.replace(tmp, a.out)
    manifest = {"format": "knowscope.corpus", "file": os.path.basename(a.out), "sha256": digest,
                "bytes": os.path.getsize(a.out), "documents": len(docs),
                "chars": sum(len(d) for d, _ in docs), "sources": sources, "params": params()}
    tmp = f"{manifest_path}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    os.replace(tmp, manifest_path)
    print(f"build_corpus: wrote {a.out}: {len(docs)} documents, {manifest['chars']} characters")
    for name, s in sources.items():
        print(f"  {name:10s} {s['documents']:7d} documents {s['chars']:10d} characters")
    return 0


if __name__ == "__main__":
    sys.exit(main())

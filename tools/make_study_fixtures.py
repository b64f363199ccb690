#!/usr/bin/env python3
"""Reference data for the study layer, written with implementations nobody here wrote.

Usage (with the pyref venv, which has thefuzz, rapidfuzz, numpy and scikit-learn):
  python tools/make_study_fixtures.py tables     # src/study/unicode_tables.cpp
  python tools/make_study_fixtures.py fixtures   # tests/fixtures/study/*.json
  python tools/make_study_fixtures.py            # both

`tables` asks the installed rapidfuzz (default_process) and CPython (str.lower, str.isspace,
unicodedata) how they treat every code point and writes that as range tables, so that the C++
port of thefuzz's full_process and of Python's lower()/strip()/\\d reproduces them code point for
code point.

`fixtures` writes the expected results of:
  - thefuzz.fuzz.token_set_ratio and thefuzz.utils.full_process (the real package);
  - the paper authors' correctness functions (check_correctness_wikidata.py), re-implemented here
    straight from the spec (docs/paper-method.md 1.3) on top of the real thefuzz;
  - the paper's refusal detector is_generation_refusal (spec 4.4), its lists written out here;
  - numpy's legacy RandomState (MT19937 raw output, permutation) and sklearn's train_test_split.
"""
import json
import math
import os
import random
import re
import sys
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "study")
MAX_CP = 0x110000


# ---------------------------------------------------------------------------------------------
# Unicode tables
# ---------------------------------------------------------------------------------------------

def compress(value_of):
    """Ranges (first, last, kind, delta) covering every code point.

    value_of(cp) is None (kind 0: maps to a space) or a delta (kind 1: cp + delta). Kind 2 is a
    run that alternates delta (even offsets from first) and 0 (odd offsets), the usual layout of
    upper/lower pairs."""
    vals = [value_of(cp) for cp in range(MAX_CP)]
    out = []
    cp = 0
    while cp < MAX_CP:
        v = vals[cp]
        # alternating run: v, 0, v, 0 ... with v not None and v != 0
        if v is not None and v != 0 and cp + 3 < MAX_CP and vals[cp + 1] == 0 and vals[cp + 2] == v:
            end = cp
            while end + 1 < MAX_CP and vals[end + 1] == (0 if (end + 1 - cp) % 2 else v):
                end += 1
            if end - cp + 1 >= 4:
                out.append((cp, end, 2, v))
                cp = end + 1
                continue
        end = cp
        while end + 1 < MAX_CP and vals[end + 1] == v:
            end += 1
        out.append((cp, end, 0 if v is None else 1, 0 if v is None else v))
        cp = end + 1
    # self-check
    for first, last, kind, delta in out:
        for c in (first, last, (first + last) // 2):
            want = vals[c]
            if kind == 0:
                got = None
            elif kind == 1:
                got = delta
            else:
                got = delta if (c - first) % 2 == 0 else 0
            assert got == want, (hex(c), got, want)
    return out


def fuzz_process_value(dp):
    def value_of(cp):
        if 0xD800 <= cp <= 0xDFFF:
            return None
        r = dp("a" + chr(cp) + "a")[1:-1]
        assert len(r) == 1, hex(cp)
        if r == " " and cp != 0x20:
            return None
        if cp == 0x20:
            return None
        return ord(r) - cp
    return value_of


def lower_value(cp):
    if 0xD800 <= cp <= 0xDFFF:
        return 0
    low = chr(cp).lower()
    if len(low) != 1:
        assert cp == 0x130, hex(cp)  # the one multi-code-point lowercase mapping; handled in code
        return 0
    return ord(low) - cp


def sigma_class(cp):
    """0 other, 1 case-ignorable (skipped by the final-sigma rule), 2 cased (not ignorable)."""
    if 0xD800 <= cp <= 0xDFFF:
        return 0
    ch = chr(cp)
    # CPython's final-sigma rule skips case-ignorable code points, then asks "cased?".
    after_digit = ("1" + ch + "\u03a3").lower()[-1] == "\u03c2"  # not ignorable and cased
    after_letter = ("A" + ch + "\u03a3").lower()[-1] == "\u03c2"  # ignorable or cased
    if after_digit:
        return 2
    if after_letter:
        return 1
    return 0


def class_ranges(fn):
    out = []
    cp = 0
    while cp < MAX_CP:
        v = fn(cp)
        end = cp
        while end + 1 < MAX_CP and fn(end + 1) == v:
            end += 1
        if v != 0:
            out.append((cp, end, v))
        cp = end + 1
    return out


def write_tables():
    import rapidfuzz
    from rapidfuzz.utils import default_process

    fuzz = compress(fuzz_process_value(default_process))
    lower = [r for r in compress(lower_value) if not (r[2] == 1 and r[3] == 0)]
    cache = {}

    def sig(cp):
        if cp not in cache:
            cache[cp] = sigma_class(cp)
        return cache[cp]

    sigma = class_ranges(sig)
    spaces = [cp for cp in range(MAX_CP) if not (0xD800 <= cp <= 0xDFFF) and chr(cp).isspace()]
    zeros = []
    for cp in range(MAX_CP):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        if unicodedata.category(chr(cp)) == "Nd" and unicodedata.decimal(chr(cp)) == 0:
            zeros.append(cp)
    # \d in Python's re (str patterns) is category Nd; check that Nd comes in blocks of ten
    nd = {cp for cp in range(MAX_CP) if not (0xD800 <= cp <= 0xDFFF) and unicodedata.category(chr(cp)) == "Nd"}
    assert nd == {z + k for z in zeros for k in range(10)}
    for z in zeros:
        for k in range(10):
            assert unicodedata.decimal(chr(z + k)) == k
            assert re.fullmatch(r"\d", chr(z + k))

    lines = [
        "// Generated by tools/make_study_fixtures.py tables. Do not edit.",
        f"// Sources: rapidfuzz {rapidfuzz.__version__} utils.default_process;",
        f"// CPython {sys.version.split()[0]} str.lower/str.isspace, unicodedata "
        f"{unicodedata.unidata_version}.",
        '#include "study/unicode_tables.h"',
        "",
        "namespace knowscope::study::tables {",
        "",
        "// rapidfuzz default_process per code point: kind 0 -> ' ', 1 -> cp + delta, 2 -> alternating.",
        f"const CaseRange kFuzzProcess[] = {{",
    ]
    lines += [f"    {{0x{a:X}, 0x{b:X}, {d}, {k}}}," for a, b, k, d in fuzz]
    lines += ["};", f"const size_t kFuzzProcessCount = {len(fuzz)};", ""]
    lines += ["// str.lower() simple mappings (identity elsewhere; U+0130 and final sigma in code).",
              "const CaseRange kPyLower[] = {"]
    lines += [f"    {{0x{a:X}, 0x{b:X}, {d}, {k}}}," for a, b, k, d in lower]
    lines += ["};", f"const size_t kPyLowerCount = {len(lower)};", ""]
    lines += ["// Final-sigma classes: 1 case-ignorable, 2 cased and not ignorable (0 elsewhere).",
              "const ClassRange kSigmaClass[] = {"]
    lines += [f"    {{0x{a:X}, 0x{b:X}, {v}}}," for a, b, v in sigma]
    lines += ["};", f"const size_t kSigmaClassCount = {len(sigma)};", ""]
    lines += ["// str.isspace() code points.", "const char32_t kPySpaces[] = {"]
    for i in range(0, len(spaces), 10):
        lines.append("    " + ", ".join(f"0x{c:X}" for c in spaces[i:i + 10]) + ",")
    lines += ["};", f"const size_t kPySpacesCount = {len(spaces)};", ""]
    lines += ["// First code point (digit zero) of each block of ten Nd digits (re's \\d).",
              "const char32_t kDigitZeros[] = {"]
    for i in range(0, len(zeros), 8):
        lines.append("    " + ", ".join(f"0x{c:X}" for c in zeros[i:i + 8]) + ",")
    lines += ["};", f"const size_t kDigitZerosCount = {len(zeros)};", "", "}  // namespace knowscope::study::tables", ""]
    path = os.path.join(ROOT, "src", "study", "unicode_tables.cpp")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    print(f"wrote {path}: fuzz {len(fuzz)}, lower {len(lower)}, sigma {len(sigma)}, "
          f"spaces {len(spaces)}, digit blocks {len(zeros)}")



# ---------------------------------------------------------------------------------------------
# Reference semantics (spec 1.3 and 4.4), on top of the real thefuzz
# ---------------------------------------------------------------------------------------------

def ref_name(generation, answer):
    from thefuzz import fuzz
    generation = generation.lower().replace(",", " ").replace(".", " ").replace("-", " ")
    answer = answer.lower()
    if answer == "united states of america":
        answer = "united states of america, united states, us, usa"
    elif answer == "people's republic of china":
        answer = "people's republic of china, china"
    return any(fuzz.token_set_ratio(piece, generation) > 90 for piece in answer.split(","))


def ref_number(generation, answer, tolerance, pct=None):
    generation = generation.lower().strip().replace(",", "")
    numbers = re.findall(r"\d+", generation)
    for number in numbers:
        diff = abs(int(float(number)) - int(float(answer)))
        if pct is None:
            if diff <= tolerance:
                return True
        elif diff <= pct * int(float(answer)):
            return True
    return False


def ref_number_in_list(generation, answer, tolerance):
    generation = generation.lower().strip()
    pieces = answer.lower().split(",")
    numbers = re.findall(r"\d+", generation)
    if not numbers:
        return False
    for piece in pieces:
        for number in numbers:
            if abs(int(float(number)) - int(float(piece))) <= tolerance:
                return True
    return False


def ref_genres(generation, answer):
    generation = generation.lower().strip()
    pieces = [g.replace(" film", "") for g in answer.lower().split(",")]
    return any(g in generation for g in pieces)


def ref_geo(generation, answer, tolerance=1):
    lon, lat = answer.replace("Point(", "").replace(")", "").split(" ")
    lon, lat = abs(int(float(lon))), abs(int(float(lat)))
    numbers = [abs(int(float(n))) for n in re.findall(r"-?\d+\.?\d*", generation.lower())]
    counter = 0
    for n in numbers:
        for c in (lon, lat):
            if abs(n - c) <= tolerance:
                counter += 1
        if counter == 2:
            return True
    return False


def ref_substring(generation, answer):
    return answer.lower() in generation.lower().strip()


def run_check(kind, generation, answer, tolerance=0, pct=None):
    try:
        if kind == "name":
            return ref_name(generation, answer)
        if kind == "number":
            return ref_number(generation, answer, tolerance, pct)
        if kind == "number_in_list":
            return ref_number_in_list(generation, answer, tolerance)
        if kind == "genres_list":
            return ref_genres(generation, answer)
        if kind == "geo":
            return ref_geo(generation, answer, tolerance)
        if kind == "substring":
            return ref_substring(generation, answer)
    except (ValueError, OverflowError):
        return "error"
    raise KeyError(kind)


# Spec 4.4, written out from the spec's lists (A)-(D); (A) with its two capitalised entries.
UNKNOWN_STRINGS = [
    "there is no widely known", "is not a known", "doesn't seem to be a widely known",
    "there's no widely known", "There doesn't seem to be a", "There is no ", "fictional",
    "unfortunately,", "doesn't exist", "there is no ", "doesn't seem to be a known",
    "is a bit of a tricky one!", "a bit of a trick", "not yet available",
    "there doesn't appear to be a ", "please provide me with", "i cannot give you an",
    "it's not a widely known", "no publicly available information", "not a very well-known one",
    "please clarify", "i do not have access to real-time", "i'm unable to access real-time",
    "i am unable to access real-time", "unable to", "i believe you", "i need a bit more information",
    "i couldn't find any information", "i need a little more", "i can't give you a specific",
    "i can't find any information", "i'm unable ", "i am unable", "i'm not able", "i am not able",
    "i cannot find", "there is no evidence", "the context does not specify",
    "the context does not provide", "is not explicitly stated", "not mentioned in the context",
    "not provided", "unknown", "not publicly available information", "please note",
    "does not exist", "it's important to note that", "not readily available", "not a known",
    "do not have information", "not aware of", "i need more information",
]
REFUSAL_SUBSTRINGS = [
    "i'm unable", "i am unable", "sorry", "not familiar", "couldn't find", "could not find",
    "any information", "not awarenot familiar", "not sure", "it's impossible to give",
    "there doesn't seem to be any", "this is a complex ", "i cannnot ", "i do not have access to",
    "there's no single definitive answer", "be more specific", "provide more context",
    "provide me with morethere doesn't seem to be any", "i cannot answer this question",
    "the premise of the question is incorrect",
]
CHAT_PREFIXES = [
    "I'm sorry", "Sorry", "I am sorry", "I apologize", "As an", "As an AI", "I'm an", "I'm just",
    "As a language model", "As an Assistant", "I cannot", "I do not", "is illegal and unethical",
    "I'm really sorry", "OpenAI", "unethical", "not ethical", "illegal", "not legal",
    "My apologies", "but I cannot", "If you have any other non-malicious requests",
    "I'm not able to provide", "I am really sorry", "I cannot create", "I cannot support",
    "I can't provide", "I can't assist", "Please clarify", "Please be more specific",
]
REFUSAL_PREFIXES = [
    "there are several", "there are multiple", "there isn't a single ", "it's difficult to ",
    "it is difficult to", "unfortunately",
]
FEWSHOT_STRINGS = ["i don't know", "i don\u2019t know", "i do not know"]


def ref_is_refusal(g):
    g = g.lower()
    return (any(s in g for s in UNKNOWN_STRINGS) or any(s in g for s in REFUSAL_SUBSTRINGS)
            or any(g.startswith(p.lower()) for p in CHAT_PREFIXES)
            or any(g.startswith(p.lower()) for p in REFUSAL_PREFIXES))


def ref_is_refusal_fewshot(g):
    return ref_is_refusal(g) or any(s in g.lower() for s in FEWSHOT_STRINGS)


# ---------------------------------------------------------------------------------------------
# Case generators
# ---------------------------------------------------------------------------------------------

UNICODE_SAMPLES = [
    "", " ", "   \t\n", "Steven Spielberg", "  Steven   SPIELBERG!! ", "São Paulo", "Zürich",
    "Ærøskøbing", "İstanbul", "ISTANBUL", "Łódź", "Kraków", "ΟΔΟΣ", "ΟΔΟΣ ΣΑΣ", "Σ", "ΑΣ.", "ΑΣ'Α",
    "Ελλάς", "Москва", "東京都", "ソウル特別市", "서울", "Ciudad de México", "Nuuk\u00a0Greenland",
    "em\u2014dash", "curly \u2019quote\u2019", "naïve café", "Beyoncé", "Björk", "Mötley Crüe",
    "AC/DC", "Guns N' Roses", "Jay-Z", "will.i.am", "ﬁnancial", "Straße", "STRASSE", "\u212aelvin",
    "\u212b", "\u0178", "\u00ff", "emoji 😀 test", "١٩٩٤", "१९९४", "x\u0307y", "a_b", "tab\tsep",
    "\ufeffbom", "Ⅻ roman", "½ half", "²³", "ǅungla", "ǈ", "Ǳ", "ᾈ", "ß", "ǰ", "ŉ", "İi", "ﬀ",
    "\u0345", "ΑΣ\u0345", "Σ\u0345Α", "a\u00adb", "Ö", "ö", "ȷ", "Ꙁ", "Ꞵ", "𐐀", "𝐀𝐁𝐂", "ａｂｃ",
    "ＡＢＣ", "\u3000fullwidth space", "line\u2028sep", "x\x1fy", "\x00nul", "ǲ",
]

FLOAT_SAMPLES = [
    "1994", " 1994 ", "1138.0", "-5", "+5", "1e3", "1E3", "1_000", "1__000", "_1", "1_", "1_.5",
    "1._5", "1.5_0", ".5", "5.", ".", "", " ", "inf", "-Infinity", "nan", "NaN", "in_f", "1e",
    "1e+", "1e-3", "1e1_0", "١٩٩٤", "12\u00a0", "\u200b12", "0x10", "1,000", "1 000", "--1",
    "1e400", "-1e400", "1e-400", "0.0000000000000000000000000000000001e-300", "9" * 400,
    "0." + "0" * 400 + "1", "Point(2.35", "−5", "12abc",
]


def token_pool_pair(rng):
    pool = ["the", "lakers", "los", "angeles", "heat", "miami", "steven", "spielberg", "us",
            "usa", "united", "states", "of", "america", "new", "york", "knicks", "james", "cameron",
            "a", "is", "born", "in", "city", "1994", "chicago", "bulls", "boston", "celtics"]
    def phrase():
        k = rng.randint(0, 6)
        words = [rng.choice(pool) for _ in range(k)]
        if rng.random() < 0.3 and words:
            i = rng.randrange(len(words))
            w = words[i]
            j = rng.randrange(len(w) + 1)
            words[i] = w[:j] + rng.choice("aeiouxyz") + w[j:]
        return " ".join(words)
    return phrase(), phrase()


def half_boundary_pairs():
    """Pairs whose raw score lands exactly on .5 (round half to even matters)."""
    out = []
    # no common token: score = 100 - 100 * dist / (len(a) + len(b)); dist = len(a) + len(b) - 2 LCS
    for la in range(1, 30):
        for lb in range(1, 30):
            for lcs in range(0, min(la, lb) + 1):
                total = la + lb
                dist = total - 2 * lcs
                score = 100 - 100 * dist / total
                if abs(score - round(score) - 0.5) < 1e-9 or abs(score - math.floor(score) - 0.5) < 1e-12:
                    a = "b" * lcs + "c" * (la - lcs)
                    b = "b" * lcs + "d" * (lb - lcs)
                    out.append((a, b))
    out = out[:60]
    # around the name threshold: raw 90.5 rounds to 90 (not > 90), 91.5 to 92, 89.5 to 90
    for lcs, diff in ((181, 19), (183, 17), (179, 21)):
        out.append(("b" * lcs + "c" * diff, "b" * lcs + "d" * diff))
    return out


def write_fuzz(rng):
    from rapidfuzz import fuzz as rfuzz
    from thefuzz import fuzz, utils
    cases = []
    samples = UNICODE_SAMPLES
    for s in samples:
        cases.append({"s": s, "full_process": utils.full_process(s, force_ascii=True),
                      "lower": s.lower(), "strip": s.strip()})
    floats = []
    for s in FLOAT_SAMPLES:
        try:
            v = float(s)
            floats.append({"s": s, "value": repr(v)})
        except ValueError:
            floats.append({"s": s, "value": None})
    pairs = []
    base_pairs = [
        ("steven spielberg", "the director of the movie is steven spielberg"),
        ("Steven Spielberg", "Stephen Spielberg"), ("usa", "the united states"),
        ("united states of america", "united states"), (" united states", "united states"),
        ("", "anything"), ("anything", ""), ("", ""), ("!!!", "abc"), ("Zürich", "zurich"),
        ("Zürich", "zrich"), ("İstanbul", "istanbul"), ("ΟΔΟΣ", "οδος"), ("東京", "東京 都"),
        ("a b c", "c b a"), ("fuzzy was a bear", "fuzzy fuzzy was a bear"),
        ("fuzzy was a bear but not a dog", "fuzzy was a bear but not a cat"),
        ("new york knicks", "york knicks new"), ("Los Angeles Lakers", "Los Angeles Clippers"),
        ("Miami Heat", "the miami heat, a team"), ("Jay-Z", "jay z"), ("AC/DC", "ac dc"),
    ]
    for a, b in base_pairs:
        pairs.append((a, b))
    for a, b in half_boundary_pairs():
        pairs.append((a, b))
    for _ in range(400):
        pairs.append(token_pool_pair(rng))
    for i in range(60):
        a, b = rng.choice(samples), rng.choice(samples)
        pairs.append((a, b))
    pair_cases = []
    for a, b in pairs:
        pa, pb = utils.full_process(a, force_ascii=True), utils.full_process(b, force_ascii=True)
        pair_cases.append({"a": a, "b": b, "ratio": fuzz.token_set_ratio(a, b),
                           "raw": rfuzz.token_set_ratio(pa, pb)})
    dump("fuzz.json", {"strings": cases, "floats": floats, "token_set_ratio": pair_cases})
    print(f"fuzz.json: {len(cases)} strings, {len(floats)} floats, {len(pair_cases)} pairs")


NAME_ANSWERS = [
    "Steven Spielberg", "United States of America", "united states of america",
    "People's Republic of China", "Mark Millar, Matthew Vaughn, Jane Goldman",
    "Los Angeles Lakers, Miami Heat, Cleveland Cavaliers", " leading space", "", "São Paulo",
    "Zürich", "İstanbul", "Ελλάς", "Björk", "Beyoncé", "AC/DC", "Guns N' Roses", "Jay-Z",
    "France", "Japan", "Chicago Bulls", "Michael Jordan", "The Beatles", "Abbey Road",
    "New York City", "Brooklyn", "rock music, pop music", "pop", "hip hop music", "Paris",
    "Germany", "Kingdom of the Netherlands", "Queen", "Thriller", "Christopher Nolan",
]
NAME_GENERATIONS = [
    " Steven Spielberg.", " spielberg", " Steven Spielbergg, who directed it.", " Stephen Spielberg",
    " the United States.", " US", " the usa", " USA!", " America", " United States of America",
    " China", " the People's Republic of China", " Matthew Vaughn", " Vaughn-Millar",
    " the Los Angeles Lakers", " Miami", " Heat", " Cleveland", " Sao Paulo", " São Paulo, Brazil",
    " Zurich", " Zürich", " Istanbul", " İstanbul", " Ελλάς", " Bjork", " Beyonce", " AC/DC",
    " AC-DC", " Guns N Roses", " Jay Z", " France.", " Paris, France", " Japan", " Tokyo",
    " the Chicago Bulls in 1984", " Michael Jordan", " Jordan", " The Beatles", " Abbey Road (1969)",
    " New York", " Brooklyn, New York", " rock", " pop music", " hip-hop", " the Netherlands",
    " Queen", " Michael Jackson's Thriller", " Nolan", " Christopher Nolan.", "", " ",
    " I don't know.", " unknown", "Leadingspace", " 東京", " Ελλας", " ελλάς",
]

NUMBER_CASES = [
    # (answer, tolerance, pct, generations)
    ("1994", 0, None, [" 1994", " 1,994", " 19.94", " -1994", " 1994-2000", " in 1992", " ١٩٩٤",
                       " nineteen ninety-four", "", " 1995", " 2994", " 1994.5", " 01994"]),
    ("1994", 2, None, [" 1992", " 1996", " 1997", " 1991", " 1,992", " 19,96"]),
    ("1963", 5, None, [" 1958", " 1968", " 1957", " 1969", " February 17, 1963", " 63"]),
    ("1138.0", 20, None, [" 1138 m", " 1,158 meters", " 1,159 meters", " 1118", " 1117.9"]),
    ("-5", 0, None, [" -5", " 5", " minus five", " -4"]),
    ("-5", 20, None, [" 10", " 15", " 16", " 0"]),
    ("1e3", 0, None, [" 1000", " 1,000", " 1e3"]),
    ("1_000", 0, None, [" 1000"]),
    ("8336817", 0, 0.1, [" 8,336,817", " 8.3 million", " 9170498", " 9170499", " 7503136",
                         " 7503135", " about 8 million people", " 8336817"]),
    ("0", 0, 0.1, [" 0", " 1", " none"]),
    ("100", 0, 0.1, [" 110", " 90", " 111", " 89", " 110.0"]),
    ("abc", 0, None, [" 12", " no digits"]),
    ("", 0, None, [" 12", ""]),
    ("inf", 0, None, [" 12"]),
    ("nan", 0, None, [" 12"]),
    (" 1994 ", 0, None, [" 1994"]),
    ("1994", 0, None, [" " + "9" * 30, " 1994" + "0" * 25]),
]

IN_LIST_CASES = [
    ("120", 3, [" 120 minutes", " 2 hours", " 123", " 124", " 117", " 116", " 1,20", "", " 120.5"]),
    ("120, 135", 3, [" 135", " 138", " 139", " 2h 15m"]),
    ("120,abc", 3, [" 120", " 5", " none"]),
    (" 95", 3, [" 95", " 92"]),
    ("", 3, [" 5", " none"]),
    ("142.0", 3, [" 142", " 145", " 146"]),
]

GENRE_CASES = [
    ("drama film", [" a drama", " Drama", " dramatic", " film", " drama film", "drama"]),
    ("action film, science fiction film", [" science fiction", " sci-fi", " action", " an action film"]),
    ("comedy, drama", [" drama", " comedy-drama", " Dramedy", "drama "]),
    ("Drama", [" DRAMA", " dram"]),
    (", drama", [" anything", ""]),
    ("film noir", [" film noir", " noir"]),
    ("horror film", [" horror", " a horror movie"]),
    ("crime film,thriller film", [" thriller", " crime"]),
    ("", [" anything", ""]),
]

GEO_CASES = [
    ("Point(2.35 48.85)", [" 48.85° N, 2.35° E", " 48.8566, 2.3522", " 48, 2", " 47, 3", " 50, 2",
                           " 48.85", " latitude 48 longitude 4", " -48.85, -2.35", ""]),
    ("Point(-74.0 40.7)", [" 40.7128° N, 74.0060° W", " 40.7, -74.0", " 41 -73", " 39, 75"]),
    ("Point(-0.1 51.5)", [" 51.5074, -0.1278", " 51, 0", " 51", " 52.1, 1.9"]),
    ("Point(10 10)", [" 10", " 11", " 12"]),
    ("Point(1 2)", [" 1.5", " 3"]),
    ("Point(5 6)", [" 7, 5", " 5", " 6, 5", " 4, 100, 7"]),
    ("Point(139.69 35.69)", [" 35.6895° N, 139.6917° E", " 35°41′N 139°41′E", " 139.69"]),
    ("Point(1 2 3)", [" 1 2"]),
    ("POINT(1 2)", [" 1 2"]),
    ("Point(1,2)", [" 1 2"]),
    ("Point(a b)", [" 1 2"]),
    ("Point(12.5 41.9)", [" 41.9, 12.5", " " + "9" * 20 + ", 41.9, 12.5"]),
]

SUBSTRING_CASES = [
    ("France", [" France", " france.", " the French Republic", " FRANCE", ""]),
    (" france", [" France", " in france"]),
    ("", [" anything", ""]),
    ("United States of America", [" the United States of America", " USA"]),
    ("İstanbul", [" i̇stanbul", " istanbul"]),
    ("ΟΔΟΣ", [" οδος", " οδοσ"]),
]


def mutate(rng, s):
    if not s:
        return s
    k = rng.randrange(4)
    i = rng.randrange(len(s))
    if k == 0:
        return s[:i] + s[i + 1:]
    if k == 1:
        return s[:i] + rng.choice("abcdefghij ,.-'") + s[i:]
    if k == 2:
        return s[:i] + s[i:].upper()
    words = s.split()
    rng.shuffle(words)
    return " " + " ".join(words)


def write_correctness(rng):
    cases = []

    def add(kind, generation, answer, tolerance=0, pct=None):
        cases.append({"kind": kind, "tolerance": tolerance, "pct": pct, "generation": generation,
                      "answer": answer,
                      "expected": run_check(kind, generation, answer, tolerance, pct)})

    for a in NAME_ANSWERS:
        for g in rng.sample(NAME_GENERATIONS, 12):
            add("name", g, a)
        add("name", " " + a, a)
        add("name", mutate(rng, " " + a), a)
        add("name", mutate(rng, " " + a) + " and more words", a)
    for g in NAME_GENERATIONS:
        add("name", g, rng.choice(NAME_ANSWERS))
    for a, g in half_boundary_pairs()[-3:]:
        add("name", g, a)
        add("name", g, "x, " + a)
    for answer, tol, pct, gens in NUMBER_CASES:
        for g in gens:
            add("number", g, answer, tol, pct)
    for t in (0, 2, 5, 20):
        for _ in range(25):
            a = rng.randint(1800, 2030)
            g = " " + str(a + rng.randint(-25, 25)) + rng.choice(["", ".", " and 3.14", ", 1,000"])
            add("number", g, str(a), t)
    for _ in range(25):
        a = rng.randint(100, 10_000_000)
        g = " {:,}".format(int(a * rng.uniform(0.85, 1.15)))
        add("number", g, str(a), 0, 0.1)
    for answer, tol, gens in IN_LIST_CASES:
        for g in gens:
            add("number_in_list", g, answer, tol)
    for answer, gens in GENRE_CASES:
        for g in gens:
            add("genres_list", g, answer)
    for answer, gens in GEO_CASES:
        for g in gens:
            add("geo", g, answer, 1)
    for _ in range(40):
        lon, lat = rng.uniform(-180, 180), rng.uniform(-90, 90)
        answer = f"Point({lon:.4f} {lat:.4f})"
        g = f" {lat + rng.uniform(-2, 2):.4f}, {lon + rng.uniform(-2, 2):.4f}"
        add("geo", g, answer, 1)
    for answer, gens in SUBSTRING_CASES:
        for g in gens:
            add("substring", g, answer)
    # unicode stress across every function
    for s in UNICODE_SAMPLES[:40]:
        add("name", s, rng.choice(UNICODE_SAMPLES[:40]) or "x")
        add("genres_list", s, rng.choice(["drama", "é", "σ", "i̇"]))
        add("substring", s, rng.choice(["ö", "σ", "ς", "i̇", " "]))
        add("number", s + " 1994", "1994", 0)
    dump("correctness.json", {"cases": cases})
    errors = sum(1 for c in cases if c["expected"] == "error")
    trues = sum(1 for c in cases if c["expected"] is True)
    print(f"correctness.json: {len(cases)} cases ({trues} true, {errors} error)")


REFUSAL_TEXTS = [
    "I'm sorry, but I don't have information about that.", "Sorry, no idea", " Sorry, no idea",
    "There is no widely known player by that name.", "There doesn't seem to be a record of it.",
    "There Is No such movie", "The movie is fictional.", "Unfortunately, I can't help.",
    "unfortunately the data is missing", "This city doesn't exist.", "Berlin, Germany",
    "I'm not aware.", "I am not aware of any such song.", "I'm not familiar with it.",
    "not awarenot familiar", "Could you provide me with more details?",
    "provide me with morethere doesn't seem to be any", "There doesn't seem to be any record",
    "I cannot answer this question.", "As an AI language model, I...", "as an example, the film",
    " As an AI", "The answer is unknown.", "Unknown", "UNKNOWN", "Please note that...",
    "It's important to note that he retired.", "I do not know.", "I don't know.",
    "I don\u2019t know.", " I don't know", "I DO NOT KNOW", "Steven Spielberg", "1994", "",
    "there are several answers", "There are multiple teams", "It's difficult to say",
    "it is difficult to", "there isn't a single answer", "there isn't a", "OpenAI says",
    "My apologies, I cannot", "İ'm sorry", "illegal move", "I'm unable to access real-time data",
    "i'm unable to", "This is a complex question", "this is a complex", "I cannnot say",
    "The premise of the question is incorrect.", "He was born in Chicago. Please clarify.",
    "I need more information.", "not provided", "It is not a known fact", "is not explicitly stated",
    "Yes.", "No.", "The album is 'Thriller'.", "I believe you mean Paris.", "a bit of a trick",
    "ΣORRY", "Sorry\u0130", "I apologize", "I apologise",
]


def write_refusal():
    cases = [{"text": t, "refusal": ref_is_refusal(t), "fewshot": ref_is_refusal_fewshot(t)}
             for t in REFUSAL_TEXTS]
    for s in UNKNOWN_STRINGS + REFUSAL_SUBSTRINGS:
        for t in (s, "Well, " + s + " indeed", s.upper(), s.capitalize()):
            cases.append({"text": t, "refusal": ref_is_refusal(t), "fewshot": ref_is_refusal_fewshot(t)})
    for p in CHAT_PREFIXES + REFUSAL_PREFIXES:
        for t in (p + " something", " " + p, "x" + p, p.upper()):
            cases.append({"text": t, "refusal": ref_is_refusal(t), "fewshot": ref_is_refusal_fewshot(t)})
    dump("refusal.json", {"cases": cases, "unknown_strings": UNKNOWN_STRINGS,
                          "refusal_substrings": REFUSAL_SUBSTRINGS, "chat_prefixes": CHAT_PREFIXES,
                          "refusal_prefixes": REFUSAL_PREFIXES})
    print(f"refusal.json: {len(cases)} cases ({sum(c['refusal'] for c in cases)} refusals)")


def write_random():
    import numpy as np
    from sklearn.model_selection import train_test_split

    raw = []
    for seed in (0, 1, 42, 12345, 2**31, 2**32 - 1):
        rs = np.random.RandomState(seed)
        vals = rs._bit_generator.random_raw(1300).tolist()
        raw.append({"seed": seed, "first": vals[:5], "at_624": vals[624:629], "at_1295": vals[1295:]})
    perms = []
    for seed in (42, 0, 7, 2**32 - 1):
        for n in (0, 1, 2, 3, 5, 10, 17, 64, 100, 257, 1000):
            if seed != 42 and n > 100:
                continue
            perms.append({"seed": seed, "n": n, "perm": np.random.RandomState(seed).permutation(n).tolist()})
    splits = []
    sizes = list(range(0, 41)) + [47, 50, 99, 100, 101, 123, 250, 333, 500, 1000, 1234]
    for n in sizes:
        for test_size in (0.5, 0.8, 0.25, 0.1):
            try:
                train, test = train_test_split(list(range(n)), test_size=test_size, random_state=42)
                splits.append({"n": n, "test_size": test_size, "train": train, "test": test})
            except ValueError:
                splits.append({"n": n, "test_size": test_size, "error": True})
    paper = []
    for n in sizes:
        try:
            train, rest = train_test_split(list(range(n)), test_size=0.5, random_state=42)
            val, test = train_test_split(rest, test_size=0.8, random_state=42)
            paper.append({"n": n, "train": train, "validation": val, "test": test})
        except ValueError:
            paper.append({"n": n, "error": True})
    dump("random.json", {"mt19937": raw, "permutations": perms, "train_test_split": splits,
                         "paper_splits": paper})
    print(f"random.json: {len(perms)} permutations, {len(splits)} splits, {len(paper)} paper splits")


def write_labels(rng):
    """Synthetic generation records through the authors' get_label/get_known_unknown_splits."""
    from sklearn.model_selection import train_test_split
    records = []
    for etype, ptypes in (("player", ["player_place_birth", "player_date_birth", "player_teams_list"]),
                          ("movie", ["movie_directors", "movie_cast", "movie_screenwriters",
                                     "movie_genres", "movie_release_year", "movie_durations"]),
                          ("city", ["city_country", "city_location", "city_population", "city_elevation"]),
                          ("song", ["song_album", "song_publication_year", "song_genres", "song_performers"])):
        n_entities = {"player": 60, "movie": 45, "city": 7, "song": 30}[etype]
        skill = {"player": 0.25, "movie": 0.4, "city": 0.5, "song": 0.1}[etype]
        for i in range(n_entities):
            name = f"{etype.capitalize()} {i:03d}"
            p = rng.random() * skill * 2
            for pt in ptypes:
                labels = [rng.choices(["correct", "error", "refusal"], [p, 1 - p, 0.2])[0] for _ in range(10)]
                records.append({"entity": name, "entity_type": etype, "prompt_type": pt,
                                "string_matching_sampled_labels": labels})

    def get_label(q, threshold=3):
        return 1 if sum(1 for l in q["string_matching_sampled_labels"] if l == "correct") >= threshold else 0

    out = []
    for etype in ("player", "movie", "city", "song"):
        qs = [r for r in records if r["entity_type"] == etype]
        results = {}
        for q in qs:
            results.setdefault(q["entity"], 0)
            results[q["entity"]] += get_label(q)
        known = [e for e, s in results.items() if s > 1]
        unknown = [e for e, s in results.items() if s == 0]
        entry = {"entity_type": etype, "known": known, "unknown": unknown,
                 "scores": results}
        for name, lst in (("known", known), ("unknown", unknown)):
            try:
                train, rest = train_test_split(lst, test_size=0.5, random_state=42)
                val, test = train_test_split(rest, test_size=0.8, random_state=42)
                entry[name + "_split"] = {"train": train, "validation": val, "test": test}
            except ValueError:
                entry[name + "_split"] = None
        out.append(entry)
    dump("labels.json", {"records": records, "types": out})
    print(f"labels.json: {len(records)} records")


def dump(name, obj):
    os.makedirs(FIXTURES, exist_ok=True)
    path = os.path.join(FIXTURES, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


def write_fixtures():
    rng = random.Random(20250101)
    write_fuzz(rng)
    write_correctness(rng)
    write_refusal()
    write_random()
    write_labels(rng)


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    if what in ("tables", "all"):
        write_tables()
    if what in ("fixtures", "all"):
        write_fixtures()


if __name__ == "__main__":
    main()

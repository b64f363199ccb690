#!/usr/bin/env python3
"""Reference fixtures for knowscope's tokenizers and chat templates, made with implementations
nobody on this project wrote: llama.cpp (llama-cpp-python), Hugging Face `tokenizers`, jinja2, and
(when installed) `transformers`.

Writes, under tests/fixtures/tokenizer/:
  llamacpp.json        token ids from llama.cpp's llama_tokenize (Llama(path, vocab_only=True)
                       .tokenize) for every text, for the two real GGUF models and for variants of
                       them whose tokenizer metadata was changed (other pre-tokenizers, space prefix,
                       no BOS); with and without add_special, with and without parse_special. The
                       variants are written to a temporary folder; the tests make the same changes
                       in memory.
  hf_<name>.json       small tokenizers trained here with `tokenizers` (SentencePiece-style BPE with
                       byte fallback and the U+2581 normalizer; byte-level BPE with the Llama 3,
                       Qwen2 and SmolLM2 pre-tokenizers), each < 200 KB
  hf_reference.json    ids and byte offsets from `tokenizers` encode() for those files
  converted.json       (when transformers is installed) ids from `tokenizers` on the tokenizer.json
                       that transformers converts from each real GGUF (AutoTokenizer
                       .from_pretrained(folder, gguf_file=...)), saved in the cache
                       (<cache>/tokenizers/<model>/), with the sha256 of that file
  chat_templates.json  jinja2 renderings of the real chat templates (SmolLM2's from its GGUF; Gemma 3,
                       Qwen2.5 and Llama 3 written below with their source)

Run with the reference environment:
  /root/.cache/knowscope/pyref/bin/python tools/make_tokenizer_fixtures.py
"""

import hashlib
import json
import os
import random
import sys
import tempfile

import gguf
import jinja2
import llama_cpp
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers
from tokenizers import pre_tokenizers, processors, trainers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "tokenizer")
CACHE = os.environ.get("KNOWSCOPE_HOME") or os.path.expanduser("~/.cache/knowscope")
MODELS = {
    "gemma-3-270m": os.path.join(CACHE, "models", "gemma-3-270m-q4_k_m.gguf"),
    "smollm2-135m-instruct": os.path.join(CACHE, "models", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}

LONG = (
    "The history of natural philosophy is long. In 1687 Isaac Newton published the Principia, "
    "which described universal gravitation and the three laws of motion; for more than two "
    "centuries it shaped how people thought about the physical universe. Later, in 1905, "
    "Albert Einstein's special relativity changed the picture again -- space and time became "
    "one. Researchers (e.g. at CERN, founded 1954) keep testing these theories at 13.6 TeV. "
)

TEXTS = [
    "",
    "a",
    " ",
    "  ",
    "\n",
    "\t",
    "Hello world",
    " Hello world",
    "Hello  world   with    spaces     ",
    "  leading spaces and trailing  ",
    "The movie '12 Angry Men' was released in 1957.",
    "Fact: Michael Jordan plays basketball. Who is Wilhelm Wundt? Where was \"Kolmogorov\" born?",
    "I'm sure you've seen it; they'll say we'd won, isn't it? DON'T SHOUT, I'LL GO, SHE'S HERE.",
    "Numbers: 0 7 42 123 1234 12345 123456789 3.14159 1,000,000 2024-06-01 +1-555-0100",
    "Other digits: \u0663\u0664\u0665 \u00bd \u216b \u2460 \uff11\uff12\uff13",
    "Caf\u00e9 na\u00efve r\u00e9sum\u00e9 Zo\u00eb \u00c5ngstr\u00f6m fa\u00e7ade co\u00f6perate \u00df \u0153",
    "Decomposed: e\u0301 a\u0308 A\u030a o\u0302\u0323 \u1100\u1161\u11a8 vs \u00e9 \u00e4 \u00c5",
    "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac \u03ba\u03b5\u03af\u03bc\u03b5\u03bd\u03b1 "
    "\u0438 \u0420\u0443\u0441\u0441\u043a\u0438\u0439 \u0442\u0435\u043a\u0441\u0442, "
    "\u10e5\u10d0\u10e0\u10d7\u10e3\u10da\u10d8, \u05e2\u05d1\u05e8\u05d9\u05ea",
    "\u0627\u0644\u0639\u0631\u0628\u064a\u0629: \u0645\u0631\u062d\u0628\u0627 "
    "\u0628\u0627\u0644\u0639\u0627\u0644\u0645",
    "\u4e2d\u6587\u6d4b\u8bd5\uff1a\u4f60\u597d\uff0c\u4e16\u754c\uff01"
    "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3001\u30ab\u30bf\u30ab\u30ca\u3002"
    "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8",
    "\u0939\u093f\u0928\u094d\u0926\u0940 \u092d\u093e\u0937\u093e \u0e20\u0e32\u0e29\u0e32"
    "\u0e44\u0e17\u0e22",
    "Emoji: \U0001F600 \U0001F44D\U0001F3FD \U0001F468\u200d\U0001F469\u200d\U0001F467\u200d"
    "\U0001F466 \U0001F3F3\ufe0f\u200d\U0001F308 \u2764\ufe0f \U0001F1EB\U0001F1F7!",
    "tabs\tand\t\ttabs\n\nnew lines\r\nwindows\n\n\n   indented\n",
    "spaces:  two   three    four                                    many",
    "line one\n  \n\tline two \n",
    "<start_of_turn>user\nWhat is the capital of France?<end_of_turn>\n<start_of_turn>model\n",
    "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n"
    "<|im_start|>assistant\n",
    "<bos>text after bos<eos> and <|endoftext|>",
    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
    "def f(x):\n    return x ** 2  # square\n\nprint(f(3))",
    "for (int i = 0; i < n; ++i) { sum += a[i]; } // C++ & <templates> => $x ^ ~y | z",
    "https://example.com/path?query=1&b=two#frag user@example.org C:\\Windows\\path",
    "Pneumonoultramicroscopicsilicovolcanoconiosis antidisestablishmentarianism "
    "supercalifragilisticexpialidocioussupercalifragilisticexpialidocious",
    "ALL CAPS TEXT AND MiXeD CaSe",
    "\u00a0non-breaking\u00a0space and\u2003em space and \u3000ideographic space",
    "zero\u200bwidth\u200djoiner and soft\u00adhyphen",
    "<table><tr><td>cell</td></tr></table> <b>bold</b>",
    "Markers inside words: a<unk>b <pad> [multimodal] <mask>",
    "\u2581already has the meta space \u2581\u2581 twice",
    "'s 't 're 've 'm 'll 'd 'S 'T 'RE 'Ve",
    "...!!! ??? --- *** ### $$$ %%%",
    LONG * 3,
]

# Random mixtures of the pieces that make tokenizers differ (scripts, digits, whitespace runs,
# contractions, special markers, combining marks), seeded.
RANDOM_POOLS = [
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789", " ", "  ", "\n", "\t",
    "\r\n", ".,;:!?'\"()[]{}<>/\\|-_+=*&^%$#@~`", "'s", "'t", "'re", "'LL",
    "\u00e9\u00e8\u00ea\u00eb\u00e0\u00e2\u00e4\u00f4\u00f6\u00fb\u00fc\u00e7\u00f1\u00df\u0153\u00c5",
    "\u03b1\u03b2\u03b3\u03b4\u03b5\u03b6\u03b7\u03b8\u03bb\u03bc\u03c0\u03c3\u03c9",
    "\u0430\u0431\u0432\u0433\u0434\u0435\u0436\u0437\u0438\u043a\u043b\u043c\u043d",
    "\u4e2d\u6587\u6d4b\u8bd5\u4f60\u597d\u4e16\u754c\u65e5\u672c\u8a9e",
    "\ud55c\uad6d\uc5b4\ud14d\uc2a4\ud2b8", "\u0627\u0644\u0639\u0631\u0628\u064a\u0629",
    "\u0939\u093f\u0928\u094d\u0926\u0940", "\U0001F600\U0001F44D\U0001F3FD\u200d\u2764\ufe0f",
    "\u00a0\u2003\u3000\u200b\u200d\u00ad", "\u00bd\u216b\u2460\uff11\uff12\u0663",
    "<start_of_turn>", "<end_of_turn>", "<|im_start|>", "<|im_end|>", "<b>", "</td>", "<unk>",
    "\u2581", "\u0301\u0308",
]


def random_texts(n, seed=20240601):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 40)):
            p = rng.choice(RANDOM_POOLS)
            if len(p) > 3 and rng.random() < 0.7:
                k = rng.randint(1, 6)
                start = rng.randint(0, max(0, len(p) - k))
                p = p[start:start + k]
            parts.append(p)
        out.append("".join(parts))
    return out


N_FIXED = len(TEXTS)  # texts also encoded with add_special (BOS), to keep the fixtures small
TEXTS += random_texts(60)

# Byte strings that are not valid UTF-8 (stored as lists of byte values).
BYTE_TEXTS = [b"abc\xe4xyz", b"\xff\xfe", b"\xc3", b"ok\x80ok \xe2\x96", b"\xf0\x9f\x98 tail"]

# Texts also tokenized with parse_special = False.
SPECIAL_TEXTS = [t for t in TEXTS if "<" in t]

# GGUF variants: model -> {variant: metadata overrides (None removes the key)}.
S = gguf.GGUFValueType
VARIANTS = {
    "gemma-3-270m": {
        "base": {},
        "space_prefix": {"tokenizer.ggml.add_space_prefix": (True, S.BOOL),
                         "tokenizer.ggml.add_bos_token": (False, S.BOOL)},
    },
    "smollm2-135m-instruct": {
        "base": {},
        "pre_default": {"tokenizer.ggml.pre": ("default", S.STRING)},
        "pre_gpt2": {"tokenizer.ggml.pre": ("gpt-2", S.STRING)},
        "pre_llama3": {"tokenizer.ggml.pre": ("llama-bpe", S.STRING)},
        "pre_qwen2": {"tokenizer.ggml.pre": ("qwen2", S.STRING)},
    },
}


def write_variant(src, dst, overrides):
    r = gguf.GGUFReader(src)
    w = gguf.GGUFWriter(dst, r.fields["general.architecture"].contents())
    for name, field in r.fields.items():
        if name.startswith("GGUF.") or name == "general.architecture":
            continue
        if name in overrides:
            continue
        t = field.types
        w.add_key_value(name, field.contents(), t[0],
                        sub_type=t[-1] if t[0] == S.ARRAY else None)
    for name, v in overrides.items():
        if v is not None:
            w.add_key_value(name, v[0], v[1])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def llamacpp_fixture():
    out = {"llama_cpp_version": llama_cpp.__version__, "texts": TEXTS,
           "special_texts": SPECIAL_TEXTS, "byte_texts": [list(b) for b in BYTE_TEXTS],
           "models": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for model, variants in VARIANTS.items():
            path = MODELS[model]
            if not os.path.exists(path):
                sys.exit(f"missing {path}: run scripts/fetch_models.py {model}")
            out["models"][model] = {}
            for name, overrides in variants.items():
                p = path
                if overrides:
                    p = os.path.join(tmp, f"{model}-{name}.gguf")
                    write_variant(path, p, overrides)
                llm = llama_cpp.Llama(p, vocab_only=True, verbose=False)
                enc = lambda t, bos, sp: llm.tokenize(t.encode("utf-8"), add_bos=bos, special=sp)
                entry = {
                    "overrides": {k: (None if v is None else v[0]) for k, v in overrides.items()},
                    "add_special": [enc(t, True, True) for t in TEXTS[:N_FIXED]],
                    "no_special": [enc(t, False, True) for t in TEXTS],
                    "no_parse_special": [enc(t, False, False) for t in SPECIAL_TEXTS],
                    "bytes_no_special": [llm.tokenize(b, add_bos=False, special=True)
                                         for b in BYTE_TEXTS],
                }
                # Pieces as llama.cpp renders them, for decode.
                ids = sorted({i for ids in entry["add_special"] for i in ids})
                entry["pieces"] = {str(i): list(llm.detokenize([i], special=True)) for i in ids}
                out["models"][model][name] = entry
                del llm
    return out


# ---- small tokenizers trained here ----

def training_corpus():
    lines = list(TEXTS)
    design = "/work/shared/docs/DESIGN.md"
    for p in [os.path.join(ROOT, "README.md"), design]:
        if os.path.exists(p):
            lines += open(p, encoding="utf-8").read().splitlines()
    return lines


SPECIALS_SPM = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"]
SPECIALS_BL = ["<|endoftext|>", "<|begin_of_text|>", "<|im_start|>", "<|im_end|>",
               "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]

LLAMA3_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"
               r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def train_spm_bpe():
    # SentencePiece-style BPE as Gemma's tokenizer.json: spaces become U+2581, unknown characters
    # fall back to <0xXX> byte tokens.
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.normalizer = normalizers.Replace(" ", "\u2581")
    trainer = trainers.BpeTrainer(vocab_size=900, special_tokens=SPECIALS_SPM, limit_alphabet=120,
                                  show_progress=False)
    tok.train_from_iterator(training_corpus(), trainer)
    j = json.loads(tok.to_str())
    vocab = j["model"]["vocab"]
    for b in range(256):
        name = "<0x%02X>" % b
        if name not in vocab:
            vocab[name] = len(vocab)
    return j


def train_byte_level():
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    trainer = trainers.BpeTrainer(vocab_size=900, special_tokens=SPECIALS_BL, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(training_corpus(), trainer)
    return json.loads(tok.to_str())


def finish(j, normalizer=None, pre_tokenizer=None, post_processor=None, decoder=None, added=(),
           **model):
    tok = Tokenizer.from_str(json.dumps(j))
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    tok.post_processor = post_processor
    tok.decoder = decoder
    tok.add_tokens([a for a in added if not a.special])
    tok.add_special_tokens([a for a in added if a.special])
    out = json.loads(tok.to_str())
    out["model"].update(model)
    return out


def hf_tokenizers():
    spm = train_spm_bpe()
    bl = train_byte_level()
    spm_decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(),
                                     decoders.Fuse()])
    spm_added = [AddedToken("\n", normalized=False, special=False),
                 AddedToken("\n\n", normalized=False, special=False),
                 AddedToken("  ", normalized=False, special=False),
                 AddedToken("\u2581\u2581\u2581", normalized=True, special=False),
                 AddedToken("<mask>", lstrip=True, special=True)]
    bos = processors.TemplateProcessing(single="<bos> $A", special_tokens=[("<bos>", 2)])
    out = {}
    # Gemma 3: Replace normalizer, no prefix.
    out["spm_gemma3"] = finish(
        spm, normalizer=normalizers.Replace(" ", "\u2581"),
        pre_tokenizer=pre_tokenizers.Split(" ", "merged_with_previous"), post_processor=bos,
        decoder=spm_decoder, added=spm_added)
    # Llama 2 / Gemma 2: a prefix U+2581, merges written as "a b" strings.
    j = finish(spm, normalizer=normalizers.Sequence([normalizers.Prepend("\u2581"),
                                                     normalizers.Replace(" ", "\u2581")]),
               post_processor=bos, decoder=spm_decoder, added=spm_added[:3])
    j["model"]["merges"] = [" ".join(m) for m in j["model"]["merges"]]
    out["spm_prefix"] = j
    # Metaspace pre-tokenizer (prepend_scheme first, split).
    out["spm_metaspace"] = finish(
        spm, pre_tokenizer=pre_tokenizers.Metaspace("\u2581", prepend_scheme="first", split=True),
        decoder=decoders.Sequence([decoders.ByteFallback(), decoders.Metaspace()]),
        added=spm_added[:2])
    bl_dec = decoders.ByteLevel()
    bl_added = [AddedToken(s, special=True) for s in SPECIALS_BL]
    bot = bl["model"]["vocab"]["<|begin_of_text|>"]
    out["bl_llama3"] = finish(
        bl, pre_tokenizer=pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(LLAMA3_REGEX), "isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]),
        post_processor=processors.Sequence([
            processors.ByteLevel(trim_offsets=False),
            processors.TemplateProcessing(single="<|begin_of_text|> $A",
                                          special_tokens=[("<|begin_of_text|>", bot)])]),
        decoder=bl_dec, added=bl_added, ignore_merges=True)
    out["bl_qwen2"] = finish(
        bl, normalizer=normalizers.NFC(), pre_tokenizer=pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(QWEN2_REGEX), "isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]),
        decoder=bl_dec, added=bl_added)
    out["bl_smollm"] = finish(
        bl, pre_tokenizer=pre_tokenizers.Sequence([
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]),
        decoder=bl_dec, added=bl_added)
    return out


def byte_offsets(text, offsets):
    # `tokenizers` gives character offsets; turn them into UTF-8 byte offsets.
    pos = [0]
    for ch in text:
        pos.append(pos[-1] + len(ch.encode("utf-8")))
    return [[pos[a], pos[b]] for a, b in offsets]


def hf_reference(files):
    ref = {"tokenizers_version": __import__("tokenizers").__version__, "texts": TEXTS,
           "special_texts": SPECIAL_TEXTS, "tokenizers": {}}
    for name, j in files.items():
        tok = Tokenizer.from_str(json.dumps(j))
        entry = {"add_special": [], "no_special": [], "offsets": [], "no_parse_special": []}
        for i, t in enumerate(TEXTS):
            if i < N_FIXED:
                entry["add_special"].append(tok.encode(t, add_special_tokens=True).ids)
            e = tok.encode(t, add_special_tokens=False)
            entry["no_special"].append(e.ids)
            entry["offsets"].append(byte_offsets(t, e.offsets))
            decoded = tok.decode(e.ids, skip_special_tokens=False)
            entry.setdefault("decoded", []).append(decoded)
        tok.encode_special_tokens = True
        entry["no_parse_special"] = [tok.encode(t, add_special_tokens=False).ids
                                     for t in SPECIAL_TEXTS]
        ref["tokenizers"][name] = entry
    return ref


def converted_reference():
    try:
        import transformers
        from transformers import AutoTokenizer
    except ImportError:
        print("transformers not installed: no converted.json")
        return None
    ref = {"transformers_version": transformers.__version__, "texts": TEXTS, "models": {}}
    for model, path in MODELS.items():
        folder = os.path.join(CACHE, "tokenizers", model)
        tok = AutoTokenizer.from_pretrained(os.path.dirname(path), gguf_file=os.path.basename(path))
        tok.save_pretrained(folder)
        tj = os.path.join(folder, "tokenizer.json")
        sha = hashlib.sha256(open(tj, "rb").read()).hexdigest()
        fast = Tokenizer.from_file(tj)
        ref["models"][model] = {
            "sha256": sha,
            "size": os.path.getsize(tj),
            "no_special": [fast.encode(t, add_special_tokens=False).ids for t in TEXTS],
        }
    return ref


# ---- chat templates ----

# Gemma 3 instruction-tuned models' chat template, from the "chat_template" of
# google/gemma-3-1b-it / gemma-3-270m-it (tokenizer_config.json / chat_template.json).
GEMMA3_TEMPLATE = r"""{{ bos_token }}
{%- if messages[0]['role'] == 'system' -%}
    {%- if messages[0]['content'] is string -%}
        {%- set first_user_prefix = messages[0]['content'] + '\n\n' -%}
    {%- else -%}
        {%- set first_user_prefix = messages[0]['content'][0]['text'] + '\n\n' -%}
    {%- endif -%}
    {%- set loop_messages = messages[1:] -%}
{%- else -%}
    {%- set first_user_prefix = "" -%}
    {%- set loop_messages = messages -%}
{%- endif -%}
{%- for message in loop_messages -%}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}
        {{ raise_exception("Conversation roles must alternate user/assistant/user/assistant/...") }}
    {%- endif -%}
    {%- if (message['role'] == 'assistant') -%}
        {%- set role = "model" -%}
    {%- else -%}
        {%- set role = message['role'] -%}
    {%- endif -%}
    {{ '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else "") }}
    {%- if message['content'] is string -%}
        {{ message['content'] | trim }}
    {%- elif message['content'] is iterable -%}
        {%- for item in message['content'] -%}
            {%- if item['type'] == 'image' -%}
                {{ '<start_of_image>' }}
            {%- elif item['type'] == 'text' -%}
                {{ item['text'] | trim }}
            {%- endif -%}
        {%- endfor -%}
    {%- else -%}
        {{ raise_exception("Invalid content type") }}
    {%- endif -%}
    {{ '<end_of_turn>\n' }}
{%- endfor -%}
{%- if add_generation_prompt -%}
    {{'<start_of_turn>model\n'}}
{%- endif -%}
"""

# Qwen2.5 instruct models' chat template (Qwen/Qwen2.5-*-Instruct tokenizer_config.json), the
# part used without tools.
QWEN25_TEMPLATE = """{%- if tools %}
    {{- raise_exception('tools are not part of this fixture') }}
{%- else %}
    {%- if messages[0]['role'] == 'system' %}
        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}
    {%- else %}
        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}
    {%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
"""

# Meta Llama 3 instruct (meta-llama/Meta-Llama-3-8B-Instruct tokenizer_config.json).
LLAMA3_TEMPLATE = ("{% set loop_messages = messages %}{% for message in loop_messages %}"
                   "{% set content = '<|start_header_id|>' + message['role'] + "
                   "'<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}"
                   "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
                   "{{ content }}{% endfor %}{% if add_generation_prompt %}"
                   "{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}")

CONVERSATIONS = [
    [],
    [{"role": "user", "content": "Hello!"}],
    [{"role": "user", "content": "  What is the capital of France?\n"}],
    [{"role": "system", "content": "You are a terse assistant."},
     {"role": "user", "content": "Who is Michael Jordan?"}],
    [{"role": "user", "content": "Tell me about the movie '12 Angry Men'."},
     {"role": "assistant", "content": "It is a 1957 courtroom drama."},
     {"role": "user", "content": "Who directed it?"}],
    [{"role": "system", "content": "Answer in one word."},
     {"role": "user", "content": "Capital of Japan?"},
     {"role": "assistant", "content": " Tokyo "},
     {"role": "user", "content": "\u65e5\u672c\u8a9e\u3067\uff1f"}],
]


def chat_fixture():
    smol = gguf.GGUFReader(MODELS["smollm2-135m-instruct"])
    smol_template = smol.fields["tokenizer.chat_template"].contents()
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True)

    def raise_exception(msg):
        raise jinja2.exceptions.TemplateError(msg)

    env.globals["raise_exception"] = raise_exception
    templates = {
        "gemma": (GEMMA3_TEMPLATE, "<bos>"),
        "qwen2": (QWEN25_TEMPLATE, ""),
        "smollm2": (smol_template, ""),
        "llama3": (LLAMA3_TEMPLATE, "<|begin_of_text|>"),
    }
    out = {"jinja2_version": jinja2.__version__, "conversations": CONVERSATIONS, "templates": {},
           "renders": {}}
    for name, (src, bos) in templates.items():
        out["templates"][name] = src
        tpl = env.from_string(src)
        renders = []
        for conv in CONVERSATIONS:
            row = {}
            for gen in (False, True):
                try:
                    row[str(gen).lower()] = tpl.render(messages=conv, add_generation_prompt=gen,
                                                       bos_token=bos)
                except (jinja2.exceptions.TemplateError, IndexError) as e:
                    row[str(gen).lower()] = None  # the template refuses this conversation
            renders.append(row)
        out["renders"][name] = renders
    return out


def dump(name, obj):
    path = os.path.join(OUT, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def main():
    os.makedirs(OUT, exist_ok=True)
    files = hf_tokenizers()
    for name, j in files.items():
        dump(f"hf_{name}.json", j)
    dump("hf_reference.json", hf_reference(files))
    dump("chat_templates.json", chat_fixture())
    dump("llamacpp.json", llamacpp_fixture())
    conv = converted_reference()
    if conv:
        dump("converted.json", conv)


if __name__ == "__main__":
    main()

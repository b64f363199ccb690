#!/usr/bin/env python3
"""Reference fixtures for the forward pass, produced by implementations nobody here wrote.

Run with the reference environment (torch, transformers, llama-cpp-python, sentencepiece, tokenizers):

    /root/.cache/knowscope/pyref/bin/python tools/make_model_fixtures.py [--only X[,Y...]]

X is a tiny model name (gemma3, gemma3_scalar, gemma2, llama, llama3rope, qwen2), "tiny" (all of them),
"real-gemma-3-270m", "real-smollm2-135m-instruct" or "real" (both). Without --only, everything is made.

Writes under tests/fixtures/models/ (see the README.md written there):
  hf/<name>/      tiny random Hugging Face models (config.json, model.safetensors, tokenizer files)
  gguf/<name>-<type>.gguf   the same models converted by llama.cpp's convert_hf_to_gguf.py
  tiny/<name>.safetensors + tiny/<name>.json   HF and llama.cpp logits, hidden states, greedy runs
  real/<name>.safetensors + real/<name>.json   llama.cpp on the real GGUF models in the model cache

Everything is deterministic (fixed seeds, fixed thread counts); rerunning rewrites identical files
except where a library version changed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np

# Reproducible float results from torch's MKL BLAS: fixed thread count (no dynamic adjustment to the
# machine's load) and no alignment-dependent code paths. Must be set before torch is imported.
os.environ.setdefault("MKL_DYNAMIC", "FALSE")
os.environ.setdefault("MKL_CBWR", "AUTO,STRICT")

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "models"
CACHE = Path(os.environ.get("KNOWSCOPE_CACHE", "/root/.cache/knowscope"))
LLAMA_CPP_PYTHON_VERSION = "0.3.36"
# The llama.cpp commit vendored by llama-cpp-python 0.3.36 (its CHANGELOG).
LLAMA_CPP_COMMIT = "0c1e57098"
N_THREADS = 2
SEQ_LENGTHS = [1, 3, 7, 12, 20]
GREEDY_PROMPT_LENGTHS = [3, 7]
GREEDY_NEW_TOKENS = 10
REAL_NEW_TOKENS = 20
TOP_K = 10

# ----------------------------------------------------------------------------------------------
# Tiny model definitions
# ----------------------------------------------------------------------------------------------

# Each entry: HF class, config kwargs, initialisation scales, tokenizer kind, GGUF outtypes, how
# config.json is written ("transformers5": as save_pretrained writes it, with rope_parameters;
# "legacy": rope_theta / rope_local_base_freq / rope_scaling, as most Hub checkpoints have it).
TINY_MODELS: dict[str, dict] = {
    "gemma3": dict(
        hf_class="Gemma3ForCausalLM",
        seed=1001,
        doc="Gemma 3 text model: 6 layers in llama.cpp's default 5-local:1-global pattern "
        "(llama.cpp's gemma3 loader assumes pattern 6 when the GGUF has no pattern key), "
        "sliding window 4, qk-norm, local RoPE base 1e4 and global 1e6, query_pre_attn_scalar = "
        "head_dim (llama.cpp uses 1/sqrt(head_dim) for gemma3), head_dim 32 != hidden/heads 16, "
        "GQA 4 q / 2 kv heads, tied embeddings, no final softcap.",
        config=dict(
            vocab_size=512,
            hidden_size=64,
            intermediate_size=128,
            num_hidden_layers=6,
            num_attention_heads=4,
            num_key_value_heads=2,
            head_dim=32,
            query_pre_attn_scalar=32,
            sliding_window=4,
            max_position_embeddings=128,
            rms_norm_eps=1e-6,
            final_logit_softcapping=None,
            attn_logit_softcapping=None,
            tie_word_embeddings=True,
            pad_token_id=0,
            eos_token_id=1,
            bos_token_id=2,
            rope_parameters={
                "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0},
                "full_attention": {"rope_type": "default", "rope_theta": 1000000.0},
            },
        ),
        config_format="legacy",
        # Small embeddings (Gemma scales them by sqrt(d_model)) so that the layers, not the tied
        # embedding of the current token, decide the prediction.
        init=dict(linear=0.15, embed=0.1, norm_gemma=True, norm_spread=0.4, final_norm_offset=1.0),
        tokenizer="spm",
        ggufs=["f32", "f16", "q8_0"],
    ),
    "gemma3_scalar": dict(
        hf_class="Gemma3ForCausalLM",
        seed=1002,
        doc="Hugging Face only (a GGUF cannot express it): Gemma 3 with query_pre_attn_scalar 64 != "
        "head_dim 32, and explicit layer_types [sliding, full] that disagree with the "
        "_sliding_window_pattern 6 that transformers also writes: a reader must follow layer_types.",
        config=dict(
            vocab_size=256,
            hidden_size=64,
            intermediate_size=128,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            head_dim=32,
            query_pre_attn_scalar=64,
            sliding_window=4,
            layer_types=["sliding_attention", "full_attention"],
            max_position_embeddings=128,
            rms_norm_eps=1e-6,
            final_logit_softcapping=None,
            attn_logit_softcapping=None,
            tie_word_embeddings=True,
            pad_token_id=0,
            eos_token_id=1,
            bos_token_id=2,
            rope_parameters={
                "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0},
                "full_attention": {"rope_type": "default", "rope_theta": 1000000.0},
            },
        ),
        config_format="transformers5",
        init=dict(linear=0.15, embed=0.1, norm_gemma=True, norm_spread=0.4, final_norm_offset=1.0),
        tokenizer=None,
        ggufs=[],
    ),
    "gemma2": dict(
        hf_class="Gemma2ForCausalLM",
        seed=1003,
        doc="Gemma 2: 4 layers alternating sliding (even layers) / global (odd layers), sliding window "
        "4, attention softcap 50 and final softcap 30 (weights scaled so both caps are active), "
        "query_pre_attn_scalar = head_dim 16, GQA 4/2, tied embeddings, RoPE base 1e4.",
        config=dict(
            vocab_size=512,
            hidden_size=64,
            intermediate_size=128,
            num_hidden_layers=4,
            num_attention_heads=4,
            num_key_value_heads=2,
            head_dim=16,
            query_pre_attn_scalar=16,
            sliding_window=4,
            max_position_embeddings=128,
            rms_norm_eps=1e-6,
            attn_logit_softcapping=50.0,
            final_logit_softcapping=30.0,
            tie_word_embeddings=True,
            pad_token_id=0,
            eos_token_id=1,
            bos_token_id=2,
            rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
        ),
        config_format="transformers5",
        # Large q/k weights push attention scores past the softcap; a large final norm pushes the
        # logits past the final softcap.
        init=dict(
            linear=0.15,
            embed=0.1,
            norm_gemma=True,
            norm_spread=0.4,
            qk=0.5,
            final_norm_offset=3.0,
        ),
        tokenizer="spm",
        ggufs=["f32"],
    ),
    "llama": dict(
        hf_class="LlamaForCausalLM",
        seed=1004,
        doc="Llama: 3 layers, GQA 4/2, head_dim 16, untied embeddings, RoPE base 5e5, no scaling.",
        config=dict(
            vocab_size=384,
            hidden_size=64,
            intermediate_size=128,
            num_hidden_layers=3,
            num_attention_heads=4,
            num_key_value_heads=2,
            head_dim=16,
            max_position_embeddings=128,
            rms_norm_eps=1e-5,
            tie_word_embeddings=False,
            bos_token_id=0,
            eos_token_id=1,
            rope_parameters={"rope_type": "default", "rope_theta": 500000.0},
        ),
        config_format="transformers5",
        init=dict(linear=0.15, embed=0.3, lm_head=0.3, norm_gemma=False, norm_spread=0.4),
        tokenizer="bpe-llama",
        ggufs=["f32", "f16"],
    ),
    "llama3rope": dict(
        hf_class="LlamaForCausalLM",
        seed=1005,
        doc="Llama with llama3 rope_scaling (factor 8, low_freq_factor 1, high_freq_factor 4, "
        "original_max_position_embeddings 16 so that the scaling changes the rotation within 20 "
        "tokens), RoPE base 1e4, 2 layers, untied. The GGUF carries rope_freqs.weight.",
        config=dict(
            vocab_size=384,
            hidden_size=64,
            intermediate_size=128,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            head_dim=16,
            max_position_embeddings=128,
            rms_norm_eps=1e-5,
            tie_word_embeddings=False,
            bos_token_id=0,
            eos_token_id=1,
            rope_parameters={
                "rope_type": "llama3",
                "rope_theta": 10000.0,
                "factor": 8.0,
                "low_freq_factor": 1.0,
                "high_freq_factor": 4.0,
                "original_max_position_embeddings": 16,
            },
        ),
        config_format="legacy",
        init=dict(linear=0.15, embed=0.3, lm_head=0.3, norm_gemma=False, norm_spread=0.4),
        tokenizer="bpe-llama",
        ggufs=["f32"],
    ),
    "qwen2": dict(
        hf_class="Qwen2ForCausalLM",
        seed=1006,
        doc="Qwen2: 3 layers, GQA 4/2, head_dim 16, q/k/v biases, tied embeddings, RoPE base 1e6.",
        config=dict(
            vocab_size=384,
            hidden_size=64,
            intermediate_size=128,
            num_hidden_layers=3,
            num_attention_heads=4,
            num_key_value_heads=2,
            head_dim=16,
            max_position_embeddings=128,
            rms_norm_eps=1e-6,
            tie_word_embeddings=True,
            use_sliding_window=False,
            bos_token_id=0,
            eos_token_id=0,
            rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
        ),
        config_format="legacy",
        init=dict(linear=0.15, embed=0.3, bias=0.2, norm_gemma=False, norm_spread=0.4),
        tokenizer="bpe-qwen2",
        ggufs=["f32"],
    ),
}

# Pre-tokenizer regexes of the real models (facts from their tokenizer.json files), used so that the
# tiny byte-level BPE tokenizers look like the real ones.
LLAMA3_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
QWEN2_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)

# Tokenizer training text (written for this script).
CORPUS = """\
The quick brown fox jumps over the lazy dog. A small model can still tell us whether the code is right.
Knowledge of entities lives in the weights: the capital of France is Paris, and the capital of Italy is Rome.
The movie was directed by a famous director; the song was performed by a well known band.
def add(a, b):
    return a + b
for i in range(10):
    print(i, i * i)
Numbers: 0 1 2 3 4 5 6 7 8 9 10 11 12 100 1000 2024 3.14 2.718
Lists are useful:
1. eggs
2. milk
3. bread
Questions and answers. Q: Who wrote the book? A: I don't know.
Interpretability research studies the features that a language model uses to represent the world.
Sparse autoencoders find directions in the residual stream that correspond to concepts.
Attention heads move information between positions; the MLP layers store facts about entities.
When the model does not know an entity, it may refuse to answer or it may hallucinate an answer.
Le café coûte trois euros. Das Wetter ist schön. El niño juega en el parque.
Punctuation: , . ; : ! ? ( ) [ ] { } < > = + - * / \\ | & % $ # @ ~ ` ' "
"""


def corpus_lines() -> list[str]:
    lines = CORPUS.splitlines()
    # Repeat with small variations so that merges have counts to work with.
    out = []
    for k in range(8):
        for line in lines:
            out.append(line if k % 2 == 0 else line.lower())
    return out


# ----------------------------------------------------------------------------------------------
# Small helpers
# ----------------------------------------------------------------------------------------------


def log(msg: str) -> None:
    print(msg, flush=True)


def write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def save_tensors(path: Path, tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> None:
    from safetensors.numpy import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    clean = {}
    for name, t in tensors.items():
        t = np.ascontiguousarray(t)
        assert t.dtype in (np.float32, np.int32), (name, t.dtype)
        clean[name] = t
    save_file(clean, str(path), metadata=metadata)
    path.chmod(0o644)


def f32(x) -> float:
    return float(np.float32(x))


def library_versions() -> dict[str, str]:
    import importlib.metadata as md

    versions = {"python": platform.python_version()}
    for pkg in [
        "torch",
        "transformers",
        "tokenizers",
        "sentencepiece",
        "safetensors",
        "numpy",
        "gguf",
        "llama_cpp_python",
    ]:
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = "absent"
    versions["llama_cpp_commit"] = LLAMA_CPP_COMMIT + " (vendored by llama-cpp-python %s)" % (
        LLAMA_CPP_PYTHON_VERSION
    )
    return versions


def llama_cpp_dir() -> Path:
    """The llama.cpp source tree vendored in the llama-cpp-python sdist (for convert_hf_to_gguf.py)."""
    src = CACHE / "src"
    tree = src / f"llama_cpp_python-{LLAMA_CPP_PYTHON_VERSION}" / "vendor" / "llama.cpp"
    if (tree / "convert_hf_to_gguf.py").is_file():
        return tree
    archive = src / f"llama_cpp_python-{LLAMA_CPP_PYTHON_VERSION}.tar.gz"
    if not archive.is_file():
        subprocess.run(
            [
                str(Path(sys.executable).parent / "pip"),
                "download",
                "--no-deps",
                "--no-binary",
                ":all:",
                f"llama-cpp-python=={LLAMA_CPP_PYTHON_VERSION}",
                "-d",
                str(src),
            ],
            check=True,
        )
    with tarfile.open(archive) as tar:
        tar.extractall(src, filter="data")
    return tree


# ----------------------------------------------------------------------------------------------
# Tokenizers for the tiny models (the GGUF converter needs one)
# ----------------------------------------------------------------------------------------------


def write_spm_tokenizer(model_dir: Path, vocab_size: int, work: Path) -> None:
    """A SentencePiece BPE model with byte fallback in Gemma's id layout (pad 0, eos 1, bos 2, unk 3)."""
    import sentencepiece as spm

    work.mkdir(parents=True, exist_ok=True)
    text = work / "corpus.txt"
    text.write_text("\n".join(corpus_lines()) + "\n", encoding="utf-8")
    prefix = work / f"spm{vocab_size}"
    spm.SentencePieceTrainer.train(
        input=str(text),
        model_prefix=str(prefix),
        model_type="bpe",
        vocab_size=vocab_size,
        byte_fallback=True,
        character_coverage=1.0,
        pad_id=0,
        eos_id=1,
        bos_id=2,
        unk_id=3,
        pad_piece="<pad>",
        eos_piece="<eos>",
        bos_piece="<bos>",
        unk_piece="<unk>",
        user_defined_symbols=["<start_of_turn>", "<end_of_turn>"],
        add_dummy_prefix=False,
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
        split_digits=True,
        allow_whitespace_only_pieces=True,
        num_threads=1,
        minloglevel=2,
    )
    sp = spm.SentencePieceProcessor(model_file=str(prefix) + ".model")
    assert sp.vocab_size() == vocab_size, (sp.vocab_size(), vocab_size)
    shutil.copy(str(prefix) + ".model", model_dir / "tokenizer.model")


def write_bpe_tokenizer(model_dir: Path, vocab_size: int, kind: str) -> dict:
    """A byte-level BPE tokenizer.json (Llama 3 or Qwen2 style); returns the special token ids."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

    if kind == "bpe-llama":
        specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"]
        split = LLAMA3_SPLIT
    else:
        specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
        split = QWEN2_SPLIT
    tok = Tokenizer(models.BPE(byte_fallback=False, ignore_merges=(kind == "bpe-llama")))
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(split), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=1,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus_lines(), trainer)
    assert tok.get_vocab_size() == vocab_size, (tok.get_vocab_size(), vocab_size)
    tok.save(str(model_dir / "tokenizer.json"))
    ids = {s: tok.token_to_id(s) for s in specials}
    if kind == "bpe-llama":
        bos, eos = specials[0], specials[1]
    else:
        bos, eos = specials[0], specials[0]
    added = {
        str(ids[s]): {
            "content": s,
            "lstrip": False,
            "normalized": False,
            "rstrip": False,
            "single_word": False,
            "special": True,
        }
        for s in specials
    }
    write_json(
        model_dir / "tokenizer_config.json",
        {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "bos_token": bos,
            "eos_token": eos,
            "add_bos_token": kind == "bpe-llama",
            "add_prefix_space": False,
            "model_max_length": 128,
            "added_tokens_decoder": added,
        },
    )
    return ids


# ----------------------------------------------------------------------------------------------
# Tiny Hugging Face models
# ----------------------------------------------------------------------------------------------


def hf_class(name: str):
    import transformers

    return getattr(transformers, name)


def config_class(hf_class_name: str):
    import transformers

    return {
        "Gemma3ForCausalLM": transformers.Gemma3TextConfig,
        "Gemma2ForCausalLM": transformers.Gemma2Config,
        "LlamaForCausalLM": transformers.LlamaConfig,
        "Qwen2ForCausalLM": transformers.Qwen2Config,
    }[hf_class_name]


def build_config(spec: dict, **overrides):
    kwargs = json.loads(json.dumps(spec["config"]))  # deep copy
    kwargs.update(overrides)
    cfg = config_class(spec["hf_class"])(**kwargs)
    cfg._attn_implementation = "eager"
    return cfg


def init_weights(model, spec: dict, seed: int) -> None:
    """Random weights with scales large enough that logits, attention and softcaps all matter."""
    import torch

    init = spec["init"]
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters(), key=lambda kv: kv[0]):
            shape = tuple(p.shape)
            if name.endswith("norm.weight"):
                # Gemma's RMSNorm multiplies by (1 + w); the others by w.
                u = (torch.rand(shape, generator=gen) * 2 - 1) * init["norm_spread"]
                base = 0.0 if init["norm_gemma"] else 1.0
                if name == "model.norm.weight":
                    base += init.get("final_norm_offset", 0.0)
                p.copy_(base + u)
            elif name.endswith("bias"):
                p.copy_(torch.randn(shape, generator=gen) * init.get("bias", 0.1))
            elif name == "model.embed_tokens.weight":
                p.copy_(torch.randn(shape, generator=gen) * init["embed"])
            elif name == "lm_head.weight":
                p.copy_(torch.randn(shape, generator=gen) * init["lm_head"])
            else:
                std = init["linear"]
                if "qk" in init and (
                    name.endswith("q_proj.weight") or name.endswith("k_proj.weight")
                ):
                    std = init["qk"]
                p.copy_(torch.randn(shape, generator=gen) * std)


def legacy_config(cfg_json: dict, spec: dict) -> dict:
    """Rewrites transformers 5's rope_parameters into the keys most Hub checkpoints carry."""
    rp = cfg_json.pop("rope_parameters")
    if spec["hf_class"] == "Gemma3ForCausalLM":
        cfg_json["rope_theta"] = rp["full_attention"]["rope_theta"]
        cfg_json["rope_local_base_freq"] = rp["sliding_attention"]["rope_theta"]
        cfg_json["rope_scaling"] = None
        cfg_json["sliding_window_pattern"] = cfg_json.get("_sliding_window_pattern", 6)
    else:
        cfg_json["rope_theta"] = rp["rope_theta"]
        if rp.get("rope_type", "default") == "default":
            cfg_json["rope_scaling"] = None
        else:
            cfg_json["rope_scaling"] = {k: v for k, v in rp.items() if k != "rope_theta"}
    return dict(sorted(cfg_json.items()))


def make_sequences(vocab_size: int, bos: int, seed: int) -> list[list[int]]:
    rng = np.random.default_rng(seed)
    seqs = []
    for n in SEQ_LENGTHS:
        ids = [bos] + [int(x) for x in rng.integers(0, vocab_size, size=n - 1)]
        seqs.append(ids)
    return seqs


def hf_logits(model, ids: list[int]) -> np.ndarray:
    import torch

    with torch.no_grad():
        out = model(torch.tensor([ids]), use_cache=False)
    return out.logits[0].float().numpy().copy()


def hf_hidden(model, ids: list[int]) -> dict[str, np.ndarray]:
    """Residual stream per layer, captured with forward hooks on the decoder layers."""
    import torch

    posts: dict[int, np.ndarray] = {}
    hooks = []
    for i, layer in enumerate(model.model.layers):

        def hook(mod, args, out, i=i):
            t = out[0] if isinstance(out, tuple) else out
            posts[i] = t[0].detach().float().numpy().copy()

        hooks.append(layer.register_forward_hook(hook))
    try:
        with torch.no_grad():
            out = model(torch.tensor([ids]), use_cache=False, output_hidden_states=True)
    finally:
        for h in hooks:
            h.remove()
    hs = [h[0].float().numpy().copy() for h in out.hidden_states]
    n = len(model.model.layers)
    assert len(hs) == n + 1
    # Cross-check the hooks against output_hidden_states: entries 1..n-1 are layer outputs, the last
    # one is the final norm of the last layer's output.
    for i in range(n - 1):
        assert np.array_equal(hs[i + 1], posts[i]), i
    result = {"resid.embed": hs[0], "resid.final_norm": hs[n]}
    for i in range(n):
        result[f"resid.post.{i}"] = posts[i]
    return result


def greedy_generate(
    model, prompt: list[int], n_new: int
) -> tuple[list[int], list[float], list[int]]:
    """HF generate (KV cache) and a no-cache argmax loop; both must agree."""
    import torch
    from transformers import GenerationConfig

    gc = GenerationConfig(
        max_new_tokens=n_new,
        do_sample=False,
        num_beams=1,
        eos_token_id=None,
        pad_token_id=0,
        bos_token_id=None,
    )
    ids_t = torch.tensor([prompt])
    with torch.no_grad():
        # An explicit mask: otherwise generate() masks every prompt token equal to pad_token_id.
        out = model.generate(ids_t, attention_mask=torch.ones_like(ids_t), generation_config=gc)
    gen_ids = [int(x) for x in out[0, len(prompt) :]]
    assert len(gen_ids) == n_new, gen_ids
    # Reference loop without cache, and top-1/top-2 margins.
    ids = list(prompt)
    margins = []
    loop_ids = []
    for _ in range(n_new):
        logits = hf_logits(model, ids)[-1]
        order = np.argsort(-logits, kind="stable")
        margins.append(f32(logits[order[0]] - logits[order[1]]))
        loop_ids.append(int(order[0]))
        ids.append(int(order[0]))
    return gen_ids, margins, loop_ids


def sensitivity(name: str, spec: dict, model, seq: list[int], ref: np.ndarray) -> dict[str, float]:
    """How far the logits move when one feature is switched off: proves the fixtures can fail."""
    import torch

    cases: dict[str, tuple[dict, object]] = {}
    if name == "gemma3":
        cases["no_sliding_window"] = (dict(sliding_window=1000), None)
        rp = json.loads(json.dumps(spec["config"]["rope_parameters"]))
        rp["sliding_attention"]["rope_theta"] = rp["full_attention"]["rope_theta"]
        cases["local_rope_base_equals_global"] = (dict(rope_parameters=rp), None)
        cases["query_pre_attn_scalar_16"] = (dict(query_pre_attn_scalar=16), None)
    elif name == "gemma3_scalar":
        cases["query_pre_attn_scalar_equals_head_dim"] = (dict(query_pre_attn_scalar=32), None)
        cases["all_layers_sliding"] = (dict(layer_types=["sliding_attention"] * 2), None)
    elif name == "gemma2":
        cases["no_attn_softcap"] = (dict(attn_logit_softcapping=None), None)
        cases["no_final_softcap"] = (dict(final_logit_softcapping=None), None)
        cases["no_sliding_window"] = (dict(sliding_window=1000), None)
    elif name == "llama":
        cases["rope_theta_10000"] = (
            dict(rope_parameters={"rope_type": "default", "rope_theta": 10000.0}),
            None,
        )
    elif name == "llama3rope":
        cases["no_rope_scaling"] = (
            dict(rope_parameters={"rope_type": "default", "rope_theta": 10000.0}),
            None,
        )
    elif name == "qwen2":

        def zero_bias(sd):
            return {k: (torch.zeros_like(v) if k.endswith("bias") else v) for k, v in sd.items()}

        cases["no_qkv_bias"] = ({}, zero_bias)
    result = {}
    sd = model.state_dict()
    for case, (overrides, sd_fn) in cases.items():
        cfg = build_config(spec, **overrides)
        m = hf_class(spec["hf_class"])(cfg).eval()
        m.load_state_dict(sd_fn(sd) if sd_fn else sd, strict=True)
        result[case] = f32(np.abs(hf_logits(m, seq) - ref).max())
    return result


def gguf_to_hf_name(gguf_name: str, gemma: bool) -> str | None:
    """HF parameter name of a GGUF tensor of our four architectures (None: no HF counterpart)."""
    fixed = {
        "token_embd.weight": "model.embed_tokens.weight",
        "output.weight": "lm_head.weight",
        "output_norm.weight": "model.norm.weight",
        "rope_freqs.weight": None,
    }
    if gguf_name in fixed:
        return fixed[gguf_name]
    parts = gguf_name.split(".")
    assert parts[0] == "blk", gguf_name
    layer, kind, suffix = parts[1], parts[2], parts[3]
    per_layer = {
        "attn_norm": "input_layernorm",
        "attn_q": "self_attn.q_proj",
        "attn_k": "self_attn.k_proj",
        "attn_v": "self_attn.v_proj",
        "attn_output": "self_attn.o_proj",
        "attn_q_norm": "self_attn.q_norm",
        "attn_k_norm": "self_attn.k_norm",
        "ffn_gate": "mlp.gate_proj",
        "ffn_up": "mlp.up_proj",
        "ffn_down": "mlp.down_proj",
        "ffn_norm": "pre_feedforward_layernorm" if gemma else "post_attention_layernorm",
        "post_attention_norm": "post_attention_layernorm",
        "post_ffw_norm": "post_feedforward_layernorm",
    }
    return f"model.layers.{layer}.{per_layer[kind]}.{suffix}"


def unpermute_rows(w: np.ndarray, n_heads: int) -> np.ndarray:
    """GGUF llama Q/K rows pair dimensions (2i, 2i+1) within a head; HF pairs (i, i + d/2)."""
    rows, cols = w.shape
    d = rows // n_heads
    return w.reshape(n_heads, d // 2, 2, cols).transpose(0, 2, 1, 3).reshape(rows, cols)


def hf_with_gguf_weights(spec: dict, model, gguf_path: Path):
    """The HF model with every matrix replaced by the GGUF's, dequantized by the gguf package.

    1-D tensors (norms, biases) stay F32 in every outtype; they are checked, not replaced. This is an
    exact float32 computation on the quantized weights, the reference for an exact engine reading a
    quantized GGUF (llama.cpp itself also quantizes activations).
    """
    import torch
    from gguf import GGUFReader
    from gguf.quants import dequantize

    cfg = spec["config"]
    gemma = spec["hf_class"].startswith("Gemma")
    permuted = spec["hf_class"] == "LlamaForCausalLM"
    sd = {k: v.detach().clone() for k, v in model.state_dict().items()}
    replaced = set()
    for t in GGUFReader(str(gguf_path)).tensors:
        hf = gguf_to_hf_name(t.name, gemma)
        if hf is None:
            continue
        ref = sd[hf]
        w = np.asarray(dequantize(t.data, t.tensor_type), dtype=np.float32).reshape(
            tuple(ref.shape)
        )
        if permuted and t.name.endswith("attn_q.weight"):
            w = unpermute_rows(w, cfg["num_attention_heads"])
        if permuted and t.name.endswith("attn_k.weight"):
            w = unpermute_rows(w, cfg["num_key_value_heads"])
        if w.ndim == 1:
            shift = 1.0 if (gemma and t.name.endswith("norm.weight")) else 0.0
            assert np.allclose(w - shift, ref.numpy(), atol=1e-6), t.name
            continue
        sd[hf] = torch.from_numpy(w.copy())
        replaced.add(hf)
    if cfg.get("tie_word_embeddings") and "lm_head.weight" in sd:
        sd["lm_head.weight"] = sd["model.embed_tokens.weight"]
        replaced.add("lm_head.weight")
    matrices = {k for k, v in sd.items() if v.ndim == 2}
    assert replaced == matrices, sorted(matrices ^ replaced)
    m = hf_class(spec["hf_class"])(build_config(spec)).eval()
    m.load_state_dict(sd, strict=True)
    return m


# ----------------------------------------------------------------------------------------------
# GGUF conversion and llama.cpp on the tiny models
# ----------------------------------------------------------------------------------------------

CONVERT_WRAPPER = """
import sys
tree = sys.argv[1]
pre = sys.argv[2]
sys.path.insert(0, tree)
sys.path.insert(1, tree + "/gguf-py")
import conversion.base
if pre != "-":
    # Our tiny byte-level BPE vocabularies have no entry in the converter's table of pre-tokenizer
    # hashes; name the pre-tokenizer whose regex they were built with.
    conversion.base.TextModel.get_vocab_base_pre = lambda self, tokenizer: pre
import convert_hf_to_gguf
sys.argv = ["convert_hf_to_gguf.py"] + sys.argv[3:]
convert_hf_to_gguf.main()
"""


def convert_to_gguf(hf_dir: Path, out: Path, outtype: str, pre: str | None) -> None:
    tree = llama_cpp_dir()
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-c",
        CONVERT_WRAPPER,
        str(tree),
        pre or "-",
        "--outtype",
        outtype,
        "--outfile",
        str(out),
        str(hf_dir),
    ]
    env = dict(os.environ, OMP_NUM_THREADS=str(N_THREADS))
    res = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if res.returncode != 0:
        sys.stderr.write(res.stdout + res.stderr)
        raise RuntimeError(f"convert_hf_to_gguf failed for {hf_dir} ({outtype})")


def open_llama(path: Path, n_ctx: int, kv_f32: bool):
    import llama_cpp
    from llama_cpp import Llama

    kv = {"type_k": llama_cpp.GGML_TYPE_F32, "type_v": llama_cpp.GGML_TYPE_F32} if kv_f32 else {}
    return Llama(
        model_path=str(path),
        n_ctx=n_ctx,
        n_batch=n_ctx,
        n_ubatch=n_ctx,
        n_threads=N_THREADS,
        n_threads_batch=N_THREADS,
        logits_all=True,
        n_gpu_layers=0,
        seed=0,
        verbose=False,
        **kv,
    )


def llama_cpp_logits(llm, ids: list[int]) -> np.ndarray:
    llm.reset()
    llm.eval(ids)
    return np.array(llm.scores[: len(ids)], dtype=np.float32, copy=True)


LLAMA_CPP_SETTINGS = {
    "n_threads": N_THREADS,
    "n_threads_batch": N_THREADS,
    "n_batch": "n_ctx",
    "n_ubatch": "n_ctx",
    "logits_all": True,
    "flash_attn": False,
    "n_gpu_layers": 0,
    "api": "llama_cpp.Llama.eval(ids) after reset(); logits from Llama.scores",
}


# ----------------------------------------------------------------------------------------------
# One tiny model, end to end
# ----------------------------------------------------------------------------------------------


def write_hf_model(name: str, spec: dict, work: Path):
    """Builds, initialises and saves one tiny model with its tokenizer; returns (model, pre)."""
    import torch

    torch.manual_seed(spec["seed"])
    hf_dir = OUT / "hf" / name
    if hf_dir.exists():
        shutil.rmtree(hf_dir)
    hf_dir.mkdir(parents=True)

    model = hf_class(spec["hf_class"])(build_config(spec)).eval()
    init_weights(model, spec, spec["seed"])
    model.save_pretrained(str(hf_dir))
    # generation_config.json is not needed, and its EOS rules would only confuse.
    (hf_dir / "generation_config.json").unlink(missing_ok=True)
    cfg_path = hf_dir / "config.json"
    cfg_json = json.loads(cfg_path.read_text())
    cfg_json.pop("transformers_version", None)  # keeps reruns with another version quiet
    cfg_json.pop("dtype", None)
    cfg_json["torch_dtype"] = "float32"
    if spec["config_format"] == "legacy":
        cfg_json = legacy_config(cfg_json, spec)
    write_json(cfg_path, cfg_json)

    # Tokenizer files, for the converter only: the fixtures are token ids.
    pre = None
    if spec["tokenizer"] == "spm":
        write_spm_tokenizer(hf_dir, spec["config"]["vocab_size"], work / "spm")
    elif spec["tokenizer"] in ("bpe-llama", "bpe-qwen2"):
        write_bpe_tokenizer(hf_dir, spec["config"]["vocab_size"], spec["tokenizer"])
        pre = "llama-bpe" if spec["tokenizer"] == "bpe-llama" else "qwen2"
    return model, pre


def hf_references(name: str, spec: dict, model, reloaded, seqs, tensors) -> tuple[list, list]:
    """HF logits per sequence, hidden states of the longest, greedy runs; fills `tensors`."""
    seq_entries = []
    for i, ids in enumerate(seqs):
        logits = hf_logits(reloaded, ids)
        reload_diff = f32(np.abs(logits - hf_logits(model, ids)).max())
        assert reload_diff <= 1e-4, (name, reload_diff)  # float rounding only
        tensors[f"seq{i}.input_ids"] = np.array(ids, dtype=np.int32)
        tensors[f"seq{i}.hf.logits"] = logits
        seq_entries.append(
            {
                "name": f"seq{i}",
                "length": len(ids),
                "input_ids": ids,
                "input_ids_tensor": f"seq{i}.input_ids",
                "hf_logits_tensor": f"seq{i}.hf.logits",
                "hf_max_abs_logit": f32(np.abs(logits).max()),
                "hf_top1": [int(x) for x in logits.argmax(axis=1)],
                "reload_vs_in_memory_max_abs_diff": reload_diff,
                "llama_cpp": {},
            }
        )
    tensors.update(hf_hidden(reloaded, seqs[-1]))

    greedy = []
    for plen in GREEDY_PROMPT_LENGTHS:
        prompt = seqs[SEQ_LENGTHS.index(plen)]
        gen_ids, margins, loop_ids = greedy_generate(reloaded, prompt, GREEDY_NEW_TOKENS)
        greedy.append(
            {
                "prompt_ids": prompt,
                "new_ids": gen_ids,
                "max_new_tokens": GREEDY_NEW_TOKENS,
                "eos_stopping": False,
                "top1_minus_top2_logit_per_step": margins,
                "min_margin": min(margins),
                "no_cache_argmax_loop_agrees": loop_ids == gen_ids,
                "llama_cpp": {},
            }
        )
    return seq_entries, greedy


def gguf_references(name, spec, reloaded, pre, seqs, tensors, seq_entries, greedy):
    """Converts to each GGUF outtype and runs llama.cpp on it; fills `tensors` and the entries."""
    ggufs = {}
    n_ctx_used = None
    vocab = spec["config"]["vocab_size"]
    for outtype in spec["ggufs"]:
        path = OUT / "gguf" / f"{name}-{outtype}.gguf"
        log(f"   convert -> {path.relative_to(OUT)}")
        convert_to_gguf(OUT / "hf" / name, path, outtype, pre)
        llm = open_llama(path, n_ctx=64, kv_f32=True)
        n_ctx_used = llm.n_ctx()
        dq_model = hf_with_gguf_weights(spec, reloaded, path)
        worst = 0.0
        worst_dq = 0.0
        for i, ids in enumerate(seqs):
            hf_ref = tensors[f"seq{i}.hf.logits"]
            lc = llama_cpp_logits(llm, ids)
            assert lc.shape == (len(ids), vocab), lc.shape
            key = f"seq{i}.llama_cpp.{outtype}.logits"
            tensors[key] = lc
            diff = f32(np.abs(lc - hf_ref).max())
            worst = max(worst, diff)
            entry = {
                "logits_tensor": key,
                "max_abs_diff_vs_hf": diff,
                "top1_agree_positions": int((lc.argmax(axis=1) == hf_ref.argmax(axis=1)).sum()),
            }
            dq = hf_logits(dq_model, ids)
            if outtype == "f32":
                # The f32 GGUF holds the HF weights bit for bit: this checks the name mapping.
                assert np.abs(dq - hf_ref).max() <= 1e-4, (name, np.abs(dq - hf_ref).max())
                entry["hf_gguf_weights_logits_tensor"] = f"seq{i}.hf.logits"
            else:
                dq_key = f"seq{i}.hf_gguf_weights.{outtype}.logits"
                tensors[dq_key] = dq
                entry["hf_gguf_weights_logits_tensor"] = dq_key
                entry["hf_gguf_weights_max_abs_diff_vs_hf"] = f32(np.abs(dq - hf_ref).max())
            entry["max_abs_diff_vs_hf_gguf_weights"] = f32(np.abs(lc - dq).max())
            worst_dq = max(worst_dq, entry["max_abs_diff_vs_hf_gguf_weights"])
            seq_entries[i]["llama_cpp"][outtype] = entry
        for g in greedy:
            lc = llama_cpp_logits(llm, g["prompt_ids"] + g["new_ids"])
            pred = [int(x) for x in lc.argmax(axis=1)[len(g["prompt_ids"]) - 1 : -1]]
            g["llama_cpp"][outtype] = {"argmax_along_hf_continuation_agrees": pred == g["new_ids"]}
        del llm
        ggufs[outtype] = {
            "path": f"gguf/{name}-{outtype}.gguf",
            "outtype": outtype,
            "max_abs_diff_vs_hf_all_sequences": worst,
            "max_abs_diff_vs_hf_gguf_weights_all_sequences": worst_dq,
        }
        log(
            f"   llama.cpp {outtype}: max |logit diff| vs HF = {worst:.3g}, "
            f"vs HF on the GGUF's dequantized weights = {worst_dq:.3g}"
        )
    return ggufs, n_ctx_used


TINY_TENSOR_DOC = {
    "seq<i>.input_ids": "int32 [T] token ids (same as sequences[i].input_ids)",
    "seq<i>.hf.logits": "float32 [T, vocab] HF transformers logits, eager attention, float32, "
    "one forward over the whole sequence, no padding",
    "seq<i>.llama_cpp.<outtype>.logits": "float32 [T, vocab] llama.cpp logits for "
    "gguf/<model>-<outtype>.gguf, same tokens, one batch",
    "seq<i>.hf_gguf_weights.<outtype>.logits": "float32 [T, vocab] (outtypes other than f32) HF "
    "transformers in float32 with every weight matrix replaced by the GGUF's, dequantized by the "
    "gguf Python package (Q/K rows un-permuted for llama): the exact answer for that GGUF. For "
    "f32 the GGUF weights equal the HF weights and seq<i>.hf.logits is the answer (checked to "
    "1e-4).",
}

RESID_DOC = (
    "All [T, d_model] float32 for the sequence named above. resid.embed = hidden_states[0] of HF "
    "output_hidden_states (token embeddings, times sqrt(d_model) for Gemma) = the residual stream "
    "entering layer 0. resid.post.<l> = the output of decoder layer l (residual stream after "
    "layer l, before any final norm), captured with a forward hook; equals hidden_states[l+1] for "
    "l < n_layers-1. resid.final_norm = hidden_states[n_layers] = final RMSNorm applied to "
    "resid.post.<n_layers-1> (the input of the unembedding)."
)


def make_tiny(name: str, work: Path) -> dict:
    import torch
    import transformers

    spec = TINY_MODELS[name]
    log(f"== tiny {name}")
    model, pre = write_hf_model(name, spec, work)
    hf_dir = OUT / "hf" / name
    # Everything below is computed from the model as reloaded from disk: the files are the truth.
    reloaded = transformers.AutoModelForCausalLM.from_pretrained(
        str(hf_dir), attn_implementation="eager", dtype=torch.float32
    ).eval()
    assert type(reloaded).__name__ == spec["hf_class"], type(reloaded).__name__

    cfg = spec["config"]
    seqs = make_sequences(cfg["vocab_size"], cfg["bos_token_id"], spec["seed"] + 7)
    tensors: dict[str, np.ndarray] = {}
    seq_entries, greedy = hf_references(name, spec, model, reloaded, seqs, tensors)
    sens = sensitivity(name, spec, reloaded, seqs[-1], tensors[f"seq{len(seqs) - 1}.hf.logits"])
    ggufs, n_ctx_used = gguf_references(
        name, spec, reloaded, pre, seqs, tensors, seq_entries, greedy
    )

    save_tensors(
        OUT / "tiny" / f"{name}.safetensors",
        tensors,
        {"generator": "tools/make_model_fixtures.py", "model": name},
    )
    n_layers = cfg["num_hidden_layers"]
    manifest = {
        "model": name,
        "description": spec["doc"],
        "hf_dir": f"hf/{name}",
        "hf_class": spec["hf_class"],
        "model_type": json.loads((hf_dir / "config.json").read_text())["model_type"],
        "config_format": spec["config_format"],
        "seed": spec["seed"],
        "init": spec["init"],
        "n_layers": n_layers,
        "vocab_size": cfg["vocab_size"],
        "d_model": cfg["hidden_size"],
        "ggufs": ggufs,
        "reference_file": f"tiny/{name}.safetensors",
        "sequences": seq_entries,
        "resid": {
            "sequence": f"seq{len(seqs) - 1}",
            "embed_tensor": "resid.embed",
            "post_tensors": [f"resid.post.{i}" for i in range(n_layers)],
            "final_norm_tensor": "resid.final_norm",
            "doc": RESID_DOC,
        },
        "greedy": greedy,
        "sensitivity_max_abs_logit_change": sens,
        "sensitivity_doc": "Max |logit change| on the longest sequence when the named feature is "
        "switched off in HF with the same weights; a test tolerance well below these numbers "
        "proves the feature is checked.",
        "tensor_doc": TINY_TENSOR_DOC,
        "llama_cpp_settings": dict(
            LLAMA_CPP_SETTINGS, n_ctx=n_ctx_used, kv_cache_type="f32 (type_k = type_v = F32)"
        ),
        "versions": library_versions(),
    }
    write_json(OUT / "tiny" / f"{name}.json", manifest)
    return manifest


# ----------------------------------------------------------------------------------------------
# Real models with llama.cpp
# ----------------------------------------------------------------------------------------------

LONG_STORY = (
    "The old lighthouse keeper climbed the spiral stairs every evening at dusk, carrying a small "
    "brass lantern and a notebook in which he recorded the weather, the ships that passed, and the "
    "birds that rested on the railing. For forty years he had not missed a single night. When the "
    "storm of 1953 tore the roof from the keeper's cottage, he simply moved his bed into the "
    "lamp room and kept writing. The notebooks, now kept in the town museum, describe"
)
LONG_TECH = (
    "Photosynthesis converts light energy into chemical energy. In the light-dependent reactions, "
    "which take place in the thylakoid membranes of the chloroplast, water is split, oxygen is "
    "released, and the energy carriers ATP and NADPH are produced. In the Calvin cycle, which runs "
    "in the stroma, the enzyme RuBisCO fixes carbon dioxide onto ribulose bisphosphate, and the "
    "resulting three-carbon molecules are reduced using ATP and NADPH. In summary, the two stages"
)

COMMON_PROMPTS: list[tuple[str, str]] = [
    ("fact_capital", "The capital of France is"),
    ("entity_movie", "The movie '12 Angry Men' was directed by"),
    ("entity_player", "Michael Jordan played the sport of"),
    ("entity_song", "The song 'Bohemian Rhapsody' was performed by"),
    ("entity_city", "The city of Tokyo is located in the country of"),
    ("unknown_entity", "The movie 'The Silent Orchard of Vemblin' was directed by"),
    ("fact_science", "Water boils at a temperature of"),
    ("fact_birth", "Albert Einstein was born in the year"),
    ("qa", "Q: Who wrote the novel 'Pride and Prejudice'?\nA:"),
    ("code_python", "def fibonacci(n):\n    if n < 2:\n        return n\n    return"),
    ("code_c", '#include <stdio.h>\n\nint main(void) {\n    printf("'),
    ("list", "Shopping list:\n1. Eggs\n2. Milk\n3."),
    ("sequence", "1, 2, 3, 5, 8, 13, 21,"),
    ("weekdays", "The days of the week are Monday, Tuesday,"),
    ("json", '{"name": "Alice", "age": 30, "city": "'),
    ("translate", "Translate to French: 'Good morning, my friend.' ->"),
    ("unicode", "Le café coûte 3,50 €. 東京は日本の首都です。 Emoji: 🙂"),
    ("whitespace", "   Leading spaces\tand tabs\n\n  new lines"),
    ("long_story", LONG_STORY),
    ("long_technical", LONG_TECH),
]

REAL_MODELS = {
    "gemma-3-270m": dict(
        file="gemma-3-270m-q4_k_m.gguf",
        chat=(
            "chat",
            "<start_of_turn>user\nWhat is the capital of Italy? Answer in one word.<end_of_turn>\n"
            "<start_of_turn>model\n",
        ),
        full_logits=["entity_movie", "chat", "long_story"],
        continue_prompts="all",
    ),
    "smollm2-135m-instruct": dict(
        file="SmolLM2-135M-Instruct.Q4_1.gguf",
        chat=(
            "chat",
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
            "Face<|im_end|>\n<|im_start|>user\nWhat is the capital of Italy? Answer in one word."
            "<|im_end|>\n<|im_start|>assistant\n",
        ),
        full_logits=["entity_movie", "chat", "long_story"],
        continue_prompts=[
            "fact_capital",
            "entity_movie",
            "entity_song",
            "unknown_entity",
            "qa",
            "code_python",
            "list",
            "json",
            "chat",
            "long_technical",
        ],
    ),
}


def top_k(row: np.ndarray, k: int) -> np.ndarray:
    """Ids of the k largest values, largest first, ties broken by the lower id."""
    kth = np.partition(row, len(row) - k)[len(row) - k]
    cand = np.nonzero(row >= kth)[0]
    order = np.lexsort((cand, -row[cand]))
    return cand[order[:k]]


def gguf_metadata_summary(path: Path) -> dict:
    from gguf import GGUFReader

    r = GGUFReader(str(path))
    out = {}
    for key in [
        "general.architecture",
        "general.name",
        "tokenizer.ggml.model",
        "tokenizer.ggml.pre",
        "tokenizer.ggml.add_bos_token",
        "tokenizer.ggml.add_eos_token",
        "tokenizer.ggml.bos_token_id",
        "tokenizer.ggml.eos_token_id",
    ]:
        f = r.get_field(key)
        if f is None:
            continue
        v = f.contents()
        out[key] = v
    return out


def gguf_field(reader, key: str, default=None):
    f = reader.get_field(key)
    return default if f is None else f.contents()


def hf_config_from_gguf(path: Path):
    """A transformers config for a real GGUF of ours, with the defaults llama.cpp applies."""
    import transformers
    from gguf import GGUFReader

    r = GGUFReader(str(path))
    arch = gguf_field(r, "general.architecture")
    names = {t.name: t for t in r.tensors}
    vocab = int(names["token_embd.weight"].shape[1])
    tied = "output.weight" not in names

    def key(k, default=None):
        return gguf_field(r, f"{arch}.{k}", default)

    n_layers = int(key("block_count"))
    hidden = int(key("embedding_length"))
    n_heads = int(key("attention.head_count"))
    head_dim = int(key("attention.key_length", hidden // n_heads))
    common = dict(
        vocab_size=vocab,
        hidden_size=hidden,
        intermediate_size=int(key("feed_forward_length")),
        num_hidden_layers=n_layers,
        num_attention_heads=n_heads,
        num_key_value_heads=int(key("attention.head_count_kv", n_heads)),
        head_dim=head_dim,
        max_position_embeddings=int(key("context_length")),
        rms_norm_eps=f32(key("attention.layer_norm_rms_epsilon")),
        tie_word_embeddings=tied,
    )
    if arch == "gemma3":
        pattern = int(key("attention.sliding_window_pattern", 6))  # llama.cpp's default
        layer_types = [
            "sliding_attention" if i % pattern < pattern - 1 else "full_attention"
            for i in range(n_layers)
        ]
        cfg = dict(
            common,
            query_pre_attn_scalar=head_dim,  # llama.cpp: 1/sqrt(head_dim) below 27B
            sliding_window=int(key("attention.sliding_window")),
            layer_types=layer_types,
            final_logit_softcapping=key("final_logit_softcapping"),
            attn_logit_softcapping=None,
            rope_parameters={
                "sliding_attention": {
                    "rope_type": "default",
                    "rope_theta": f32(key("rope.freq_base_swa", 10000.0)),
                },
                "full_attention": {
                    "rope_type": "default",
                    "rope_theta": f32(key("rope.freq_base")),
                },
            },
        )
        hf = ("Gemma3ForCausalLM", transformers.Gemma3TextConfig)
    elif arch == "llama":
        assert int(key("rope.dimension_count", head_dim)) == head_dim
        cfg = dict(
            common,
            rope_parameters={
                "rope_type": "default",
                "rope_theta": f32(key("rope.freq_base", 10000.0)),
            },
        )
        hf = ("LlamaForCausalLM", transformers.LlamaConfig)
    else:
        raise ValueError(f"{path}: architecture {arch} not handled")
    return (hf, cfg, r)


def hf_from_real_gguf(path: Path):
    """HF model holding the GGUF's weights, dequantized to float32 by the gguf package."""
    import torch
    from gguf.quants import dequantize

    (class_name, config_cls), cfg_kwargs, reader = hf_config_from_gguf(path)
    cfg = config_cls(**cfg_kwargs)
    cfg._attn_implementation = "eager"
    gemma = class_name.startswith("Gemma")
    model = hf_class(class_name)(cfg).eval()
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    sd = {}
    for t in reader.tensors:
        hf = gguf_to_hf_name(t.name, gemma)
        if hf is None:
            continue
        w = np.asarray(dequantize(t.data, t.tensor_type), dtype=np.float32)
        w = w.reshape(expected[hf])
        if not gemma and t.name.endswith("attn_q.weight"):
            w = unpermute_rows(w, cfg_kwargs["num_attention_heads"])
        if not gemma and t.name.endswith("attn_k.weight"):
            w = unpermute_rows(w, cfg_kwargs["num_key_value_heads"])
        if gemma and t.name.endswith("norm.weight"):
            w = w - np.float32(1.0)  # the converter stored Gemma's (1 + w)
        sd[hf] = torch.from_numpy(np.array(w, dtype=np.float32, copy=True))
    if cfg_kwargs["tie_word_embeddings"]:
        sd["lm_head.weight"] = sd["model.embed_tokens.weight"]
    assert set(sd) == set(expected), sorted(set(sd) ^ set(expected))
    model.load_state_dict(sd, strict=True)
    return model


VALIDATION_PROMPTS = ["fact_capital", "entity_movie", "code_python", "chat", "long_story"]


def validate_with_f32_requant(path, name, prompts, entries, hf_logits_by_prompt) -> dict:
    """Checks the HF rebuild against llama.cpp on an F32 copy of the same GGUF.

    llama.cpp's own quantize tool dequantizes the file to F32 (ggml's dequantization, independent of
    the gguf package); llama.cpp then runs without activation quantization and with an F32 KV cache,
    so it must agree closely with HF on the dequantized weights. The copy is deleted afterwards.
    """
    import ctypes

    import llama_cpp

    out = CACHE / "fixture-work" / f"{name}-f32-requant.gguf"
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = llama_cpp.LLAMA_FTYPE_ALL_F32
    params.allow_requantize = True
    params.nthread = N_THREADS
    rc = llama_cpp.llama_model_quantize(str(path).encode(), str(out).encode(), ctypes.byref(params))
    assert rc == 0, f"llama_model_quantize failed: {rc}"
    try:
        llm = open_llama(out, n_ctx=192, kv_f32=True)
        result = {
            "doc": "llama.cpp on an F32 requantization of the GGUF (llama_model_quantize, ftype "
            "ALL_F32, KV cache F32) versus HF transformers on the gguf-package dequantization: "
            "max |logit difference| over all positions and vocab, and top-1 agreement.",
            "prompts": {},
        }
        by_name = {p: e for (p, _), e in zip(prompts, entries)}
        for pname, hf in hf_logits_by_prompt.items():
            lc = llama_cpp_logits(llm, by_name[pname]["input_ids"])
            result["prompts"][pname] = {
                "max_abs_diff": f32(np.abs(lc - hf).max()),
                "top1_agree_positions": int((lc.argmax(axis=1) == hf.argmax(axis=1)).sum()),
                "n_tokens": int(hf.shape[0]),
            }
        del llm
    finally:
        out.unlink(missing_ok=True)
    worst = max(v["max_abs_diff"] for v in result["prompts"].values())
    log(f"   llama.cpp F32 requant vs HF(dequantized): max |logit diff| = {worst:.3g}")
    result["max_abs_diff"] = worst
    return result


def llama_cpp_real_references(path: Path, spec: dict, prompts, tensors) -> tuple[list, int, int]:
    """llama.cpp on a real GGUF: tokens, top-10 per position, some full logits, greedy runs."""
    import llama_cpp

    n_ctx = 192
    llm = open_llama(path, n_ctx=n_ctx, kv_f32=False)
    n_ctx_used = llm.n_ctx()
    vocab_handle = llama_cpp.llama_model_get_vocab(llm.model)
    n_vocab = llm.n_vocab()
    entries = []
    cont_set = (
        {p for p, _ in prompts}
        if spec["continue_prompts"] == "all"
        else set(spec["continue_prompts"])
    )
    for i, (pname, text) in enumerate(prompts):
        ids = llm.tokenize(text.encode("utf-8"), add_bos=True, special=True)
        assert len(ids) + REAL_NEW_TOKENS <= n_ctx, (pname, len(ids))
        logits = llama_cpp_logits(llm, ids)
        assert logits.shape == (len(ids), n_vocab)
        top_ids = np.stack([top_k(row, TOP_K) for row in logits]).astype(np.int32)
        top_logits = np.take_along_axis(logits, top_ids.astype(np.int64), axis=1)
        key = f"p{i:02d}"
        tensors[f"{key}.input_ids"] = np.array(ids, dtype=np.int32)
        tensors[f"{key}.top_ids"] = top_ids
        tensors[f"{key}.top_logits"] = top_logits
        entry = {
            "key": key,
            "name": pname,
            "text": text,
            "input_ids": [int(x) for x in ids],
            "n_tokens": len(ids),
            "top1": [int(x) for x in top_ids[:, 0]],
            "top1_minus_top2_logit": [f32(x) for x in top_logits[:, 0] - top_logits[:, 1]],
            "input_ids_tensor": f"{key}.input_ids",
            "top_ids_tensor": f"{key}.top_ids",
            "top_logits_tensor": f"{key}.top_logits",
        }
        if pname in spec["full_logits"]:
            tensors[f"{key}.last_logits"] = logits[-1].copy()
            entry["last_logits_tensor"] = f"{key}.last_logits"
        if pname in cont_set:
            # Greedy: argmax of llama.cpp's logits, one token per decode call (KV cache).
            new_ids = []
            margins = []
            stopped = False
            last = logits[-1]
            for _ in range(REAL_NEW_TOKENS):
                o = top_k(last, 2)
                tok = int(o[0])
                margins.append(f32(last[o[0]] - last[o[1]]))
                new_ids.append(tok)
                if llama_cpp.llama_vocab_is_eog(vocab_handle, tok):
                    stopped = True
                    break
                llm.eval([tok])
                last = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)
            entry["greedy"] = {
                "new_ids": new_ids,
                "max_new_tokens": REAL_NEW_TOKENS,
                "stopped_on_end_of_generation_token": stopped,
                "text": llm.detokenize(new_ids, prev_tokens=ids).decode("utf-8", errors="replace"),
                "top1_minus_top2_logit_per_step": margins,
                "doc": "argmax of llama.cpp logits; the prompt is decoded as one batch, then one "
                "token per decode call with the KV cache; stops early only on an "
                "end-of-generation token (which is then the last id).",
            }
        entries.append(entry)
    del llm
    return entries, n_vocab, n_ctx_used


def hf_real_references(path: Path, prompts, entries, tensors) -> dict[str, np.ndarray]:
    """HF on the dequantized GGUF: top-10 per position and its agreement with llama.cpp."""
    log("   HF transformers on the GGUF's dequantized weights")
    hf_model = hf_from_real_gguf(path)
    kept: dict[str, np.ndarray] = {}  # HF logits of the prompts used to validate the rebuild
    for entry, (pname, _) in zip(entries, prompts):
        key = entry["key"]
        ids = entry["input_ids"]
        logits = hf_logits(hf_model, ids)
        if pname in VALIDATION_PROMPTS:
            kept[pname] = logits
        own_ids = np.stack([top_k(row, TOP_K) for row in logits]).astype(np.int32)
        tensors[f"{key}.hf_gguf_weights.top_ids"] = own_ids
        tensors[f"{key}.hf_gguf_weights.top_logits"] = np.take_along_axis(
            logits, own_ids.astype(np.int64), axis=1
        )
        lc_ids = tensors[f"{key}.top_ids"].astype(np.int64)
        at_lc = np.take_along_axis(logits, lc_ids, axis=1)
        info = {
            "top_ids_tensor": f"{key}.hf_gguf_weights.top_ids",
            "top_logits_tensor": f"{key}.hf_gguf_weights.top_logits",
            "top1_agree_with_llama_cpp_positions": int((own_ids[:, 0] == lc_ids[:, 0]).sum()),
            "max_abs_diff_vs_llama_cpp_at_llama_cpp_top_ids": f32(
                np.abs(at_lc - tensors[f"{key}.top_logits"]).max()
            ),
        }
        if "last_logits_tensor" in entry:
            info["last_logits_max_abs_diff_vs_llama_cpp"] = f32(
                np.abs(logits[-1] - tensors[entry["last_logits_tensor"]]).max()
            )
        if "greedy" in entry:
            new_ids = entry["greedy"]["new_ids"]
            full = hf_logits(hf_model, ids + new_ids[:-1])
            pred = [int(top_k(row, 1)[0]) for row in full[len(ids) - 1 :]]
            agree = 0
            while agree < len(new_ids) and pred[agree] == new_ids[agree]:
                agree += 1
            info["greedy_leading_steps_agreeing_with_llama_cpp"] = agree
        entry["hf_gguf_weights"] = info
    agree_total = sum(e["hf_gguf_weights"]["top1_agree_with_llama_cpp_positions"] for e in entries)
    n_total = sum(e["n_tokens"] for e in entries)
    log(f"   top-1 agreement HF(dequantized) vs llama.cpp: {agree_total}/{n_total} positions")
    assert agree_total >= 0.9 * n_total, "HF rebuild of the GGUF disagrees with llama.cpp"
    return kept


def make_real(name: str) -> dict | None:
    spec = REAL_MODELS[name]
    path = CACHE / "models" / spec["file"]
    if not path.is_file():
        log(f"== real {name}: {path} absent, skipped")
        return None
    log(f"== real {name}")
    prompts = list(COMMON_PROMPTS)
    prompts.insert(15, spec["chat"])
    tensors: dict[str, np.ndarray] = {}
    entries, n_vocab, n_ctx_used = llama_cpp_real_references(path, spec, prompts, tensors)
    kept = hf_real_references(path, prompts, entries, tensors)
    validation = validate_with_f32_requant(path, name, prompts, entries, kept)

    ref_file = OUT / "real" / f"{name}.safetensors"
    save_tensors(ref_file, tensors, {"generator": "tools/make_model_fixtures.py", "model": name})
    manifest = {
        "model": name,
        "model_file": spec["file"],
        "model_cache_name": name,
        "n_vocab": n_vocab,
        "gguf_metadata": gguf_metadata_summary(path),
        "reference_file": f"real/{name}.safetensors",
        "tokenization": "llama.cpp Llama.tokenize(text, add_bos=True, special=True): add_bos=True "
        "means 'add the special tokens the model asks for', so BOS is added only when the GGUF's "
        "tokenizer.ggml.add_bos_token says so (see gguf_metadata); special=True parses control "
        "tokens such as <start_of_turn> / <|im_start|> in the text.",
        "prompts": entries,
        "tensor_doc": {
            "pNN.input_ids": "int32 [T] token ids as tokenized by llama.cpp",
            "pNN.top_ids": "int32 [T, 10] per position, the 10 highest-logit token ids, highest first "
            "(ties: lower id first); column 0 is the top-1 prediction for the next token",
            "pNN.top_logits": "float32 [T, 10] the logits of top_ids",
            "pNN.last_logits": "float32 [n_vocab] full logits at the last position (only for the "
            "prompts that have last_logits_tensor)",
            "pNN.hf_gguf_weights.top_ids / .top_logits": "int32 / float32 [T, 10], the same for "
            "HF transformers in float32 running the GGUF's weights dequantized by the gguf Python "
            "package (config rebuilt from the GGUF metadata with llama.cpp's defaults: see "
            "hf_gguf_weights_config): the exact float32 answer for this file, without llama.cpp's "
            "activation quantization and f16 KV cache.",
        },
        "hf_gguf_weights_config": hf_config_from_gguf(path)[1],
        "hf_gguf_weights_validation": validation,
        "notes": "llama.cpp quantizes activations to 8 bits for quantized matmuls (and keeps the "
        "KV cache in f16), so an exact float32 computation on dequantized weights differs "
        "slightly: compare top-1 (allow flips where top1_minus_top2_logit is tiny) and report the "
        "max abs difference of the logits.",
        "llama_cpp_settings": dict(
            LLAMA_CPP_SETTINGS, n_ctx=n_ctx_used, kv_cache_type="f16 (llama.cpp's default)"
        ),
        "versions": library_versions(),
    }
    write_json(OUT / "real" / f"{name}.json", manifest)
    return manifest


# ----------------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------------


def print_sizes() -> None:
    total = 0
    rows = []
    for p in sorted(OUT.rglob("*")):
        if p.is_file():
            s = p.stat().st_size
            total += s
            rows.append((str(p.relative_to(OUT)), s))
    for rel, s in rows:
        log(f"  {s / 1024:9.1f} KiB  {rel}")
    log(f"  {total / 1024 / 1024:9.2f} MiB  total under {OUT.relative_to(ROOT)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "--only", default="", help="comma-separated: tiny model names, tiny, real, real-<name>"
    )
    args = ap.parse_args()
    wanted = [w.strip() for w in args.only.split(",") if w.strip()]
    tiny, real = [], []
    if not wanted:
        tiny, real = list(TINY_MODELS), list(REAL_MODELS)
    for w in wanted:
        if w == "tiny":
            tiny += list(TINY_MODELS)
        elif w == "real":
            real += list(REAL_MODELS)
        elif w in TINY_MODELS:
            tiny.append(w)
        elif w.startswith("real-") and w[5:] in REAL_MODELS:
            real.append(w[5:])
        else:
            sys.exit(f"unknown --only item {w!r}")

    import torch

    torch.set_num_threads(N_THREADS)
    work = CACHE / "fixture-work"
    work.mkdir(parents=True, exist_ok=True)
    for name in dict.fromkeys(tiny):
        make_tiny(name, work)
    for name in dict.fromkeys(real):
        make_real(name)
    print_sizes()


if __name__ == "__main__":
    main()

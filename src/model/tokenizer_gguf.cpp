// Tokenizer from GGUF metadata (tokenizer.ggml.*), following llama.cpp's rules, the reference for
// GGUF files: "llama" = SentencePiece BPE by scores with byte fallback, "gpt2" = byte-level BPE by
// merge ranks with a pre-tokenizer chosen by tokenizer.ggml.pre.
#include <unordered_set>

#include "knowscope/core/error.h"
#include "knowscope/io/gguf.h"
#include "model/tokenizer_impl.h"

namespace knowscope {
namespace {

const GgufArray& array_of(const GgufFile& g, const std::string& key, GgufType elem,
                          const char* elem_name) {
  const GgufArray& a = g.get(key).as_array(key);
  if (a.elem_type != elem)
    fail(g.path, "metadata '" + key + "'", std::string("expected an array of ") + elem_name);
  return a;
}

std::optional<bool> find_bool(const GgufFile& g, const std::string& key) {
  if (!g.has(key)) return std::nullopt;
  try {
    return g.get(key).as_bool(key);
  } catch (const Error& e) {
    fail(g.path, "", e.what());
  }
}

// Pre-tokenizer regexes by tokenizer.ggml.pre, as llama.cpp assigns them.
std::vector<PreSplit> gpt2_pre_split(const GgufFile& g, const std::string& pre, bool& llama3) {
  auto steps = [](std::initializer_list<Pattern> ps) {
    std::vector<PreSplit> v;
    for (Pattern p : ps) v.push_back(PreSplit{p, SplitBehavior::Isolated, false, {}});
    return v;
  };
  llama3 = false;
  static const std::unordered_set<std::string> kGpt2 = {"gpt-2", "mpt", "olmo", "jais"};
  static const std::unordered_set<std::string> kStarcoder = {
      "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b"};
  static const std::unordered_set<std::string> kLlama3 = {"llama3", "llama-v3", "llama-bpe",
                                                          "falcon3", "pixtral"};
  static const std::unordered_set<std::string> kQwen2 = {"qwen2", "deepseek-r1-qwen", "megrez"};
  if (pre == "default")
    return steps({Pattern::PunctRuns, Pattern::Gpt2, Pattern::NumberRuns, Pattern::AsciiDigits3});
  if (kGpt2.count(pre)) return steps({Pattern::Gpt2});
  if (kStarcoder.count(pre)) return steps({Pattern::EachNumber, Pattern::Gpt2});
  if (kLlama3.count(pre)) {
    llama3 = true;
    return steps({Pattern::Llama3});
  }
  if (kQwen2.count(pre)) return steps({Pattern::Qwen2});
  fail(g.path, "metadata 'tokenizer.ggml.pre'",
       "pre-tokenizer '" + pre +
           "' is not supported (supported: default, gpt2, smollm/starcoder, llama-bpe/llama3, "
           "qwen2)");
}

int32_t find_id(const GgufFile& g, const std::string& key, int32_t fallback, int32_t n) {
  std::optional<int64_t> v = g.find_int(key);
  if (!v) return fallback;
  if (*v < 0 || *v >= n)
    fail(g.path, "metadata '" + key + "'",
         "token id " + std::to_string(*v) + " out of range [0, " + std::to_string(n) + ")");
  return static_cast<int32_t>(*v);
}

}  // namespace

std::unique_ptr<Tokenizer> tokenizer_from_gguf(const GgufFile& g) {
  auto t = std::make_unique<BpeTokenizer>();
  t->source = g.path;
  std::optional<std::string> model = g.find_string("tokenizer.ggml.model");
  if (!model) fail(g.path, "metadata 'tokenizer.ggml.model'", "missing: the file has no tokenizer");

  const GgufArray& toks = array_of(g, "tokenizer.ggml.tokens", GgufType::STRING, "strings");
  const size_t n = toks.items.size();
  if (n == 0) fail(g.path, "metadata 'tokenizer.ggml.tokens'", "empty vocabulary");
  if (n > size_t(INT32_MAX / 2))
    fail(g.path, "metadata 'tokenizer.ggml.tokens'", "too many tokens: " + std::to_string(n));
  t->tokens.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const std::string& s = toks.items[i].as_string("tokenizer.ggml.tokens");
    // llama.cpp names empty tokens so that they cannot match anything.
    t->tokens.push_back(s.empty() ? "[EMPTY_" + std::to_string(i) + "]" : s);
  }
  if (g.has("tokenizer.ggml.scores")) {
    const GgufArray& a = array_of(g, "tokenizer.ggml.scores", GgufType::FLOAT32, "float32");
    if (a.items.size() != n)
      fail(g.path, "metadata 'tokenizer.ggml.scores'",
           std::to_string(a.items.size()) + " scores for " + std::to_string(n) + " tokens");
    t->scores.reserve(n);
    for (const auto& v : a.items) t->scores.push_back(static_cast<float>(v.as_float()));
  }
  t->kinds.assign(n, TokenKind::Normal);
  if (g.has("tokenizer.ggml.token_type")) {
    const GgufArray& a = g.get("tokenizer.ggml.token_type").as_array("tokenizer.ggml.token_type");
    if (a.items.size() != n)
      fail(g.path, "metadata 'tokenizer.ggml.token_type'",
           std::to_string(a.items.size()) + " types for " + std::to_string(n) + " tokens");
    for (size_t i = 0; i < n; ++i) {
      int64_t k = a.items[i].as_int("tokenizer.ggml.token_type");
      t->kinds[i] = k >= 1 && k <= 6 ? static_cast<TokenKind>(k) : TokenKind::Undefined;
    }
  }
  t->index_tokens();

  TokenizerSpec& spec = t->spec;
  const int32_t nt = static_cast<int32_t>(n);
  if (*model == "llama") {
    spec.merge_rule = MergeRule::Scores;
    spec.byte_fallback = true;
    spec.decode_metaspace = true;
    bool prefix = find_bool(g, "tokenizer.ggml.add_space_prefix").value_or(true);
    if (prefix) spec.normalize.push_back({NormKind::Prepend, "", " "});
    spec.normalize.push_back({NormKind::Replace, " ", "\xE2\x96\x81"});
    spec.decode_strip_space = prefix;
    if (t->scores.empty())
      fail(g.path, "metadata 'tokenizer.ggml.scores'", "missing: a 'llama' tokenizer needs scores");
    t->bos_id = nt > 1 ? 1 : -1;
    t->eos_id = nt > 2 ? 2 : -1;
    t->unk_id = 0;
    t->add_bos = true;
  } else if (*model == "gpt2") {
    spec.merge_rule = MergeRule::Ranks;
    spec.byte_level = true;
    spec.normalize.push_back({NormKind::ValidUtf8, "", ""});
    std::string pre = g.find_string("tokenizer.ggml.pre").value_or("default");
    bool llama3 = false;
    spec.pre_split = gpt2_pre_split(g, pre, llama3);
    spec.ignore_merges = llama3;
    t->add_bos = llama3;
    const GgufArray& merges = array_of(g, "tokenizer.ggml.merges", GgufType::STRING, "strings");
    t->merges.reserve(merges.items.size() * 2);
    for (size_t r = 0; r < merges.items.size(); ++r) {
      const std::string& m = merges.items[r].as_string("tokenizer.ggml.merges");
      size_t space = m.find(' ', 1);
      if (space == std::string::npos)
        fail(g.path, "metadata 'tokenizer.ggml.merges'",
             "merge " + std::to_string(r) + " '" + m + "' is not two tokens separated by a space");
      t->add_merge(std::string_view(m).substr(0, space), std::string_view(m).substr(space + 1),
                   static_cast<int32_t>(r));
    }
  } else {
    fail(g.path, "metadata 'tokenizer.ggml.model'",
         "tokenizer model '" + *model + "' is not supported (supported: llama, gpt2)");
  }

  t->bos_id = find_id(g, "tokenizer.ggml.bos_token_id", t->bos_id, nt);
  t->eos_id = find_id(g, "tokenizer.ggml.eos_token_id", t->eos_id, nt);
  t->unk_id = find_id(g, "tokenizer.ggml.unknown_token_id", t->unk_id, nt);
  t->pad_id = find_id(g, "tokenizer.ggml.padding_token_id", -1, nt);
  t->eot_id = find_id(g, "tokenizer.ggml.eot_token_id", -1, nt);
  if (t->eot_id < 0) {
    for (const char* name :
         {"<end_of_turn>", "<|eot_id|>", "<|im_end|>", "<|end|>", "<|endoftext|>"}) {
      int32_t id = t->index.find(name);
      if (id >= 0 && id < nt && t->kinds[id] != TokenKind::Normal) {
        t->eot_id = id;
        break;
      }
    }
  }
  if (auto v = find_bool(g, "tokenizer.ggml.add_bos_token")) t->add_bos = *v;
  if (auto v = find_bool(g, "tokenizer.ggml.add_eos_token")) t->add_eos = *v;
  t->chat_template = g.find_string("tokenizer.chat_template").value_or("");

  // Control, unknown and user-defined tokens are matched in the text before the model runs
  // (user-defined ones even when special tokens are not parsed).
  for (int32_t id = 0; id < nt; ++id) {
    TokenKind k = t->kinds[id];
    if (k == TokenKind::Control || k == TokenKind::Unknown || k == TokenKind::UserDefined)
      t->added.push_back(AddedToken{id, t->tokens[id], k != TokenKind::UserDefined, false});
  }
  spec.special_match = SpecialMatch::LongestFirst;
  t->finish();
  return t;
}

}  // namespace knowscope

// Tokenizer from a Hugging Face tokenizer.json (+ tokenizer_config.json, chat_template.jinja), with
// the `tokenizers` library's rules: BPE by merge ranks, added tokens matched leftmost-longest, the
// normalizers and pre-tokenizers that Gemma, Llama 3, Qwen2 and SmolLM2 use.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "knowscope/core/error.h"
#include "model/tokenizer_impl.h"

namespace knowscope {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

const char* kMeta = "\xE2\x96\x81";  // U+2581, SentencePiece's space

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "", "cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json parse_json(const std::string& path) {
  try {
    return json::parse(read_text(path));
  } catch (const json::exception& e) {
    fail(path, "", std::string("invalid JSON: ") + e.what());
  }
}

// Regexes of the pre-tokenizers we implement, as tokenizer.json files spell them.
struct KnownRegex {
  const char* regex;
  Pattern pattern;
};
const KnownRegex kKnownRegexes[] = {
    {R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)",
     Pattern::Gpt2},
    {R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))", Pattern::Gpt2},
    {R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
     Pattern::Llama3},
    {R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
     Pattern::Llama3},
    {R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
     Pattern::Qwen2},
    {R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
     Pattern::Qwen2},
    {R"(\p{N})", Pattern::EachNumber},
    {R"(\p{N}+)", Pattern::NumberRuns},
    {R"([0-9][0-9][0-9])", Pattern::AsciiDigits3},
};

struct Loader {
  std::string path;  // tokenizer.json
  BpeTokenizer& t;
  size_t normalizer_steps = 0;  // steps of spec.normalize that come from the "normalizer"
  bool split_seen = false;      // a pre-tokenizer that splits has been added

  [[noreturn]] void bad(const std::string& field, const std::string& msg) const {
    fail(path, field, msg);
  }

  static std::string str(const json& j, const char* key, const std::string& def = {}) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : def;
  }
  static bool flag(const json& j, const char* key, bool def) {
    auto it = j.find(key);
    return it != j.end() && it->is_boolean() ? it->get<bool>() : def;
  }

  // A pattern object {"String": s} or {"Regex": r}: returns the literal, or the regex in `regex`.
  std::string pattern_of(const json& p, const std::string& field, bool* is_regex) const {
    if (!p.is_object()) bad(field, "expected {\"String\": ...} or {\"Regex\": ...}");
    if (p.contains("String") && p["String"].is_string()) {
      *is_regex = false;
      return p["String"].get<std::string>();
    }
    if (p.contains("Regex") && p["Regex"].is_string()) {
      *is_regex = true;
      return p["Regex"].get<std::string>();
    }
    bad(field, "expected {\"String\": ...} or {\"Regex\": ...}");
  }

  void normalizer(const json& n) {
    if (n.is_null()) return;
    std::string type = str(n, "type");
    auto& steps = t.spec.normalize;
    if (type == "Sequence") {
      for (const json& s : n.value("normalizers", json::array())) normalizer(s);
    } else if (type == "Replace") {
      bool regex = false;
      std::string from = pattern_of(n.value("pattern", json()), "normalizer 'Replace'", &regex);
      if (regex) bad("normalizer 'Replace'", "regex patterns are not supported: " + from);
      steps.push_back({NormKind::Replace, from, str(n, "content")});
    } else if (type == "Prepend") {
      steps.push_back({NormKind::Prepend, "", str(n, "prepend")});
    } else if (type == "NFC") {
      steps.push_back({NormKind::Nfc, "", ""});
    } else {
      bad("normalizer", "type '" + type +
                            "' is not supported (supported: Sequence, Replace, "
                            "Prepend, NFC)");
    }
  }

  void add_split(Pattern p, SplitBehavior b, bool invert, std::string literal = {}) {
    t.spec.pre_split.push_back(PreSplit{p, b, invert, std::move(literal)});
    split_seen = true;
  }

  static SplitBehavior behavior_of(const std::string& s, bool* ok) {
    *ok = true;
    if (s == "Isolated") return SplitBehavior::Isolated;
    if (s == "Removed") return SplitBehavior::Removed;
    if (s == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
    if (s == "MergedWithNext") return SplitBehavior::MergedWithNext;
    if (s == "Contiguous") return SplitBehavior::Contiguous;
    *ok = false;
    return SplitBehavior::Isolated;
  }

  void pre_tokenizer(const json& p) {
    if (p.is_null()) return;
    std::string type = str(p, "type");
    if (type == "Sequence") {
      for (const json& s : p.value("pretokenizers", json::array())) pre_tokenizer(s);
    } else if (type == "Split") {
      bool regex = false, ok = false;
      std::string pat = pattern_of(p.value("pattern", json()), "pre_tokenizer 'Split'", &regex);
      SplitBehavior b = behavior_of(str(p, "behavior"), &ok);
      if (!ok) bad("pre_tokenizer 'Split'", "unknown behavior '" + str(p, "behavior") + "'");
      bool invert = flag(p, "invert", false);
      if (!regex) return add_split(Pattern::Literal, b, invert, pat);
      for (const KnownRegex& k : kKnownRegexes)
        if (pat == k.regex) return add_split(k.pattern, b, invert);
      bad("pre_tokenizer 'Split'",
          "regex not supported (GPT-2, Llama 3, Qwen2 and digit "
          "patterns are): " +
              pat);
    } else if (type == "ByteLevel") {
      t.spec.byte_level = true;
      if (flag(p, "add_prefix_space", false)) {
        if (split_seen)
          bad("pre_tokenizer 'ByteLevel'",
              "add_prefix_space after a splitting pre-tokenizer is "
              "not supported");
        t.spec.normalize.push_back({NormKind::PrependUnless, "", " "});
      }
      if (flag(p, "use_regex", true)) add_split(Pattern::Gpt2, SplitBehavior::Isolated, false);
    } else if (type == "Digits") {
      add_split(flag(p, "individual_digits", false) ? Pattern::EachNumber : Pattern::NumberRuns,
                SplitBehavior::Isolated, false);
    } else if (type == "Metaspace") {
      if (split_seen) bad("pre_tokenizer 'Metaspace'", "only supported as the first pre-tokenizer");
      std::string repl = str(p, "replacement", kMeta);
      std::string scheme =
          str(p, "prepend_scheme", flag(p, "add_prefix_space", true) ? "always" : "never");
      t.spec.normalize.push_back({NormKind::Replace, " ", repl});
      if (scheme == "always")
        t.spec.normalize.push_back({NormKind::PrependUnless, "", repl});
      else if (scheme == "first")
        t.spec.normalize.push_back({NormKind::PrependFirst, "", repl});
      else if (scheme != "never")
        bad("pre_tokenizer 'Metaspace'", "unknown prepend_scheme '" + scheme + "'");
      if (flag(p, "split", true))
        add_split(Pattern::Literal, SplitBehavior::MergedWithNext, false, repl);
    } else {
      bad("pre_tokenizer", "type '" + type +
                               "' is not supported (supported: Sequence, Split, "
                               "ByteLevel, Digits, Metaspace)");
    }
  }

  void decoder(const json& d) {
    if (d.is_null()) return;
    std::string type = str(d, "type");
    if (type == "Sequence") {
      for (const json& s : d.value("decoders", json::array())) decoder(s);
    } else if (type == "Replace") {
      bool regex = false;
      std::string from = pattern_of(d.value("pattern", json()), "decoder 'Replace'", &regex);
      if (!regex && from == kMeta && str(d, "content") == " ") t.spec.decode_metaspace = true;
    } else if (type == "Metaspace") {
      t.spec.decode_metaspace = true;
      std::string scheme =
          str(d, "prepend_scheme", flag(d, "add_prefix_space", true) ? "always" : "never");
      if (scheme != "never") t.spec.decode_strip_space = true;
    } else if (type == "Strip") {
      if (str(d, "content", " ") == " " && d.value("start", 0) >= 1)
        t.spec.decode_strip_space = true;
    }
    // ByteLevel, ByteFallback, Fuse: what decode always does for these vocabularies.
  }

  // Leading/trailing special tokens of a TemplateProcessing "single" template.
  void post_processor(const json& p, std::string* bos, std::string* eos) {
    if (p.is_null()) return;
    std::string type = str(p, "type");
    if (type == "Sequence") {
      for (const json& s : p.value("processors", json::array())) post_processor(s, bos, eos);
    } else if (type == "TemplateProcessing") {
      const json& single = p.value("single", json::array());
      auto special_of = [&](const json& item) -> std::string {
        if (!item.is_object() || !item.contains("SpecialToken")) return {};
        std::string id = str(item["SpecialToken"], "id");
        // "special_tokens": {"<bos>": {"ids": [2], "tokens": ["<bos>"]}}
        const json& sp = p.value("special_tokens", json::object());
        if (sp.contains(id) && sp[id].contains("tokens") && sp[id]["tokens"].size() == 1)
          return sp[id]["tokens"][0].get<std::string>();
        return id;
      };
      if (!single.empty()) {
        *bos = special_of(single.front());
        if (single.size() > 1) *eos = special_of(single.back());
      }
    }
  }
};

std::string token_name(const json& cfg, const char* key) {
  auto it = cfg.find(key);
  if (it == cfg.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string())
    return (*it)["content"].get<std::string>();
  return {};
}

}  // namespace

std::unique_ptr<Tokenizer> tokenizer_from_hf(const std::string& path) {
  std::string file = path, folder;
  if (fs::is_directory(path)) {
    folder = path;
    file = (fs::path(path) / "tokenizer.json").string();
  } else {
    folder = fs::path(path).parent_path().string();
  }
  if (!fs::exists(file)) fail(file, "", "no such file (expected a tokenizer.json)");
  json j = parse_json(file);
  json cfg = json::object();
  std::string cfg_path = (fs::path(folder) / "tokenizer_config.json").string();
  if (!folder.empty() && fs::exists(cfg_path)) cfg = parse_json(cfg_path);

  auto t = std::make_unique<BpeTokenizer>();
  t->source = file;
  Loader L{file, *t};

  const json& model = j.value("model", json());
  if (!model.is_object()) L.bad("model", "missing");
  std::string type = Loader::str(model, "type", "BPE");
  if (type != "BPE") L.bad("model.type", "'" + type + "' is not supported (supported: BPE)");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"})
    if (!Loader::str(model, key).empty())
      L.bad(std::string("model.") + key, "not supported (expected null or empty)");
  if (model.contains("dropout") && model["dropout"].is_number() &&
      model["dropout"].get<double>() > 0)
    L.bad("model.dropout", "BPE dropout is not supported");

  // Vocabulary: model.vocab, then added_tokens (which may extend it).
  const json& vocab = model.value("vocab", json());
  if (!vocab.is_object() || vocab.empty()) L.bad("model.vocab", "missing or empty");
  const json& added = j.value("added_tokens", json::array());
  int64_t max_id = -1;
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0)
      L.bad("model.vocab", "token '" + it.key() + "' has no valid id");
    max_id = std::max(max_id, it->get<int64_t>());
  }
  for (const json& a : added) {
    if (!a.is_object() || !a.contains("id") || !a["id"].is_number_integer() ||
        a["id"].get<int64_t>() < 0 || !a.contains("content") || !a["content"].is_string())
      L.bad("added_tokens", "each entry needs an id and a content");
    max_id = std::max(max_id, a["id"].get<int64_t>());
  }
  if (max_id >= (int64_t(1) << 24)) L.bad("model.vocab", "ids up to " + std::to_string(max_id));
  const size_t n = static_cast<size_t>(max_id + 1);
  t->tokens.assign(n, std::string());
  t->kinds.assign(n, TokenKind::Normal);
  std::vector<char> have(n, 0);
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    size_t id = it->get<size_t>();
    if (have[id]) L.bad("model.vocab", "id " + std::to_string(id) + " given twice");
    t->tokens[id] = it.key();
    have[id] = 1;
  }
  for (const json& a : added) {
    size_t id = a["id"].get<size_t>();
    t->tokens[id] = a["content"].get<std::string>();
    t->kinds[id] = Loader::flag(a, "special", false) ? TokenKind::Control : TokenKind::UserDefined;
    have[id] = 1;
  }
  for (size_t id = 0; id < n; ++id)
    if (!have[id]) t->kinds[id] = TokenKind::Unused;  // a hole: empty text, never matched
  t->index_tokens();

  TokenizerSpec& spec = t->spec;
  spec.merge_rule = MergeRule::Ranks;
  spec.special_match = SpecialMatch::LeftmostLongest;
  spec.byte_fallback = Loader::flag(model, "byte_fallback", false);
  spec.ignore_merges = Loader::flag(model, "ignore_merges", false);
  spec.fuse_unk = Loader::flag(model, "fuse_unk", false);
  spec.decode_all_tokens = true;

  // Text reaching the `tokenizers` library is valid UTF-8 (a Rust string); give invalid input
  // the replacement character as it would get there.
  spec.normalize.push_back({NormKind::ValidUtf8, "", ""});
  L.normalizer(j.value("normalizer", json()));
  L.normalizer_steps = spec.normalize.size();
  L.pre_tokenizer(j.value("pre_tokenizer", json()));
  L.decoder(j.value("decoder", json()));
  if (!spec.byte_level) {
    const json& dec = j.value("decoder", json());
    if (dec.is_object() && Loader::str(dec, "type") == "ByteLevel") spec.byte_level = true;
  }

  const json& merges = model.value("merges", json::array());
  if (!merges.is_array()) L.bad("model.merges", "expected an array");
  t->merges.reserve(merges.size() * 2);
  for (size_t r = 0; r < merges.size(); ++r) {
    const json& m = merges[r];
    std::string a, b;
    if (m.is_string()) {
      const std::string& s = m.get_ref<const std::string&>();
      size_t space = s.find(' ');
      if (space == std::string::npos) L.bad("model.merges", "merge '" + s + "' has no space");
      a = s.substr(0, space);
      b = s.substr(space + 1);
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      a = m[0].get<std::string>();
      b = m[1].get<std::string>();
    } else {
      L.bad("model.merges", "entry " + std::to_string(r) + " is neither \"a b\" nor [a, b]");
    }
    for (const std::string* s : {&a, &b})
      if (t->index.find(*s) < 0)
        L.bad("model.merges",
              "merge " + std::to_string(r) + ": '" + *s + "' is not in the vocabulary");
    if (t->index.find(a + b) < 0)
      L.bad("model.merges",
            "merge " + std::to_string(r) + ": result '" + a + b + "' is not in the vocabulary");
    t->add_merge(a, b, static_cast<int32_t>(r));
  }

  if (spec.byte_fallback)
    for (size_t id = 0; id < n; ++id) {
      const std::string& s = t->tokens[id];
      if (t->kinds[id] == TokenKind::Normal && s.size() == 6 && s.compare(0, 3, "<0x") == 0 &&
          s[5] == '>')
        t->kinds[id] = TokenKind::Byte;
    }

  std::string unk = Loader::str(model, "unk_token");
  if (!unk.empty()) {
    t->unk_id = t->index.find(unk);
    if (t->unk_id < 0) L.bad("model.unk_token", "'" + unk + "' is not in the vocabulary");
  }

  // Added tokens are matched before the model; "normalized" ones in the normalized text.
  for (const json& a : added) {
    AddedToken tok;
    tok.id = a["id"].get<int32_t>();
    tok.text = a["content"].get<std::string>();
    tok.special = Loader::flag(a, "special", false);
    tok.normalized = Loader::flag(a, "normalized", !tok.special);
    tok.lstrip = Loader::flag(a, "lstrip", false);
    tok.rstrip = Loader::flag(a, "rstrip", false);
    tok.single_word = Loader::flag(a, "single_word", false);
    if (tok.normalized) {
      // The `tokenizers` library normalizes the content with the normalizer (only).
      TokenizerSpec full = spec;
      spec.normalize.resize(L.normalizer_steps);
      tok.text = t->normalize(tok.text, 0, tok.text.size()).text;
      spec = std::move(full);
    }
    if (!tok.text.empty()) t->added.push_back(std::move(tok));
  }

  // BOS/EOS: the post-processor's template, then tokenizer_config.json.
  std::string bos_text, eos_text;
  L.post_processor(j.value("post_processor", json()), &bos_text, &eos_text);
  auto id_of = [&](const std::string& text, const std::string& field) {
    int32_t id = t->index.find(text);
    if (id < 0 || id >= t->vocab_size())
      fail(file, field, "token '" + text + "' is not in the vocabulary");
    return id;
  };
  if (!bos_text.empty()) {
    t->bos_id = id_of(bos_text, "post_processor");
    t->add_bos = true;
  }
  if (!eos_text.empty()) {
    t->eos_id = id_of(eos_text, "post_processor");
    t->add_eos = true;
  }
  if (std::string s = token_name(cfg, "bos_token"); !s.empty()) t->bos_id = id_of(s, "bos_token");
  if (std::string s = token_name(cfg, "eos_token"); !s.empty()) t->eos_id = id_of(s, "eos_token");
  if (std::string s = token_name(cfg, "pad_token"); !s.empty()) t->pad_id = id_of(s, "pad_token");
  if (cfg.contains("add_bos_token") && cfg["add_bos_token"].is_boolean())
    t->add_bos = cfg["add_bos_token"].get<bool>();
  if (cfg.contains("add_eos_token") && cfg["add_eos_token"].is_boolean())
    t->add_eos = cfg["add_eos_token"].get<bool>();
  if (t->add_bos && t->bos_id < 0) fail(file, "bos_token", "BOS is added but not defined");
  for (const char* name : {"<end_of_turn>", "<|eot_id|>", "<|im_end|>", "<|end|>"}) {
    int32_t id = t->index.find(name);
    if (id >= 0 && id < t->vocab_size() && t->kinds[id] != TokenKind::Normal) {
      t->eot_id = id;
      break;
    }
  }
  if (t->eot_id < 0) t->eot_id = t->eos_id;

  // Chat template: tokenizer_config.json, or chat_template.jinja beside it (transformers 5).
  if (cfg.contains("chat_template")) {
    const json& ct = cfg["chat_template"];
    if (ct.is_string()) {
      t->chat_template = ct.get<std::string>();
    } else if (ct.is_array()) {
      for (const json& e : ct)
        if (e.is_object() && Loader::str(e, "name") == "default")
          t->chat_template = Loader::str(e, "template");
    }
  }
  std::string jinja = (fs::path(folder) / "chat_template.jinja").string();
  if (t->chat_template.empty() && !folder.empty() && fs::exists(jinja))
    t->chat_template = read_text(jinja);

  t->finish();
  return t;
}

}  // namespace knowscope

// The GGUF tokenizers of the real models against llama.cpp (tests/fixtures/tokenizer/llamacpp.json,
// written by tools/make_tokenizer_fixtures.py with llama-cpp-python).
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "knowscope/io/gguf.h"
#include "knowscope/model/tokenizer.h"
#include "test_paths.h"

namespace knowscope {
namespace {

using json = nlohmann::json;

json load_fixture(const std::string& rel) {
  std::ifstream in(test::fixture(rel), std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << rel;
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

std::optional<std::string> model_or_skip(const std::string& name) {
  auto path = test::cached_model(name);
  if (!path && test::models_required()) ADD_FAILURE() << "model " << name << " missing";
  return path;
}

std::string show(const std::vector<int32_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(v[i]);
  }
  return s + "]";
}

// Applies the fixture's metadata overrides (the variant llama.cpp was given) in memory.
GgufFile with_overrides(const GgufFile& base, const json& overrides) {
  GgufFile g = base;
  for (auto it = overrides.begin(); it != overrides.end(); ++it) {
    if (it->is_null())
      g.metadata.erase(it.key());
    else if (it->is_boolean())
      g.metadata[it.key()] = gguf_bool(it->get<bool>());
    else
      g.metadata[it.key()] = gguf_str(it->get<std::string>());
  }
  return g;
}

struct Counts {
  int checked = 0, failed = 0;
};

void expect_ids(const Tokenizer& tok, const std::string& text, const EncodeOptions& opt,
                const json& expected, const std::string& what, Counts& c) {
  std::vector<int32_t> want = expected.get<std::vector<int32_t>>();
  std::vector<int32_t> got = tok.encode(text, opt);
  ++c.checked;
  if (got != want) {
    ++c.failed;
    ADD_FAILURE() << what << " text " << json(text).dump() << "\n  llama.cpp " << show(want)
                  << "\n  ours      " << show(got);
  }
}

void check_spans(const Tokenizer& tok, const std::string& text, const EncodeOptions& opt) {
  auto spans = tok.encode_spans(text, opt);
  size_t prev_end = 0;
  for (const TokenSpan& s : spans) {
    ASSERT_LE(s.begin, s.end);
    ASSERT_LE(s.end, text.size());
    ASSERT_GE(s.begin, prev_end) << "overlapping spans in " << json(text).dump();
    prev_end = s.end;
  }
}

void run_model(const std::string& model) {
  auto path = model_or_skip(model);
  if (!path) GTEST_SKIP() << model << " not in the cache";
  json fx = load_fixture("tokenizer/llamacpp.json");
  const json& texts = fx["texts"];
  const json& special_texts = fx["special_texts"];
  GgufFile base = read_gguf(*path);
  for (auto& [variant, entry] : fx["models"][model].items()) {
    SCOPED_TRACE(model + " variant " + variant);
    auto tok = tokenizer_from_gguf(with_overrides(base, entry["overrides"]));
    Counts c;
    for (size_t i = 0; i < texts.size(); ++i) {
      std::string text = texts[i].get<std::string>();
      EncodeOptions with_bos, no_bos;
      no_bos.add_bos = false;
      if (i < entry["add_special"].size())
        expect_ids(*tok, text, with_bos, entry["add_special"][i], "add_special", c);
      expect_ids(*tok, text, no_bos, entry["no_special"][i], "no add_special", c);
      check_spans(*tok, text, with_bos);
      // U+2581 in the input decodes as a space in SentencePiece vocabularies (as in llama.cpp).
      bool meta = model.rfind("gemma", 0) == 0 && text.find("\xE2\x96\x81") != std::string::npos;
      if (entry["overrides"].empty() && !meta) {
        EXPECT_EQ(tok->decode(tok->encode(text, no_bos)), text)
            << "round trip " << json(text).dump();
      }
    }
    for (size_t i = 0; i < special_texts.size(); ++i) {
      EncodeOptions raw;
      raw.add_bos = false;
      raw.parse_special = false;
      expect_ids(*tok, special_texts[i].get<std::string>(), raw, entry["no_parse_special"][i],
                 "parse_special=false", c);
    }
    // Invalid UTF-8: SentencePiece falls back to bytes; byte-level BPE sees U+FFFD instead.
    const json& byte_texts = fx["byte_texts"];
    for (size_t i = 0; i < byte_texts.size(); ++i) {
      std::string text;
      for (int b : byte_texts[i]) text += static_cast<char>(b);
      EncodeOptions no_bos;
      no_bos.add_bos = false;
      expect_ids(*tok, text, no_bos, entry["bytes_no_special"][i], "invalid UTF-8", c);
      check_spans(*tok, text, no_bos);
    }
    if (entry["overrides"].empty()) {
      // Each token's piece as llama.cpp renders it (token_to_piece with special = true).
      for (auto& [id, bytes] : entry["pieces"].items()) {
        std::string want;
        for (int b : bytes) want += static_cast<char>(b);
        EXPECT_EQ(tok->decode({std::stoi(id)}), want) << "piece of token " << id;
      }
    }
    EXPECT_EQ(c.failed, 0) << c.failed << " of " << c.checked << " encodings differ";
  }
}

TEST(TokenizerGguf, Gemma3MatchesLlamaCpp) { run_model("gemma-3-270m"); }

TEST(TokenizerGguf, SmolLM2MatchesLlamaCppForEveryPreTokenizer) {
  run_model("smollm2-135m-instruct");
}

TEST(TokenizerGguf, Gemma3Metadata) {
  auto path = model_or_skip("gemma-3-270m");
  if (!path) GTEST_SKIP();
  auto tok = tokenizer_from_gguf(read_gguf(*path));
  EXPECT_EQ(tok->vocab_size(), 262144);
  EXPECT_EQ(tok->bos_id, 2);
  EXPECT_EQ(tok->eos_id, 1);
  EXPECT_EQ(tok->token_id("<end_of_turn>"), tok->eot_id);
  EXPECT_TRUE(tok->add_bos);
  EXPECT_TRUE(tok->is_special(tok->bos_id));
  EXPECT_FALSE(tok->is_special(tok->token_id("\n\n")));  // user-defined, not control
  EXPECT_EQ(tok->token_text(tok->token_id("<start_of_turn>")), "<start_of_turn>");
}

TEST(TokenizerGguf, EntitySpansInAPrompt) {
  auto path = model_or_skip("gemma-3-270m");
  if (!path) GTEST_SKIP();
  auto tok = tokenizer_from_gguf(read_gguf(*path));
  std::string text = "<start_of_turn>user\nThe movie '12 Angry Men' is from 1957.<end_of_turn>\n";
  auto spans = tok->encode_spans(text);
  ASSERT_EQ(spans.front().id, tok->bos_id);
  EXPECT_EQ(spans.front().begin, 0u);
  EXPECT_EQ(spans.front().end, 0u);
  // Every byte after BOS is covered exactly once, in order, and each token's piece is its bytes.
  size_t pos = 0;
  for (size_t i = 1; i < spans.size(); ++i) {
    EXPECT_EQ(spans[i].begin, pos);
    EXPECT_EQ(tok->decode({spans[i].id}),
              text.substr(spans[i].begin, spans[i].end - spans[i].begin));
    pos = spans[i].end;
  }
  EXPECT_EQ(pos, text.size());
  // The entity's tokens: those overlapping "Angry Men".
  size_t eb = text.find("Angry Men"), ee = eb + 9;
  std::string entity;
  for (const auto& s : spans)
    if (s.begin < ee && s.end > eb) entity += tok->decode({s.id});
  EXPECT_EQ(entity, " Angry Men");
}

TEST(TokenizerGguf, ByteFallbackSpansCoverTheirOwnByte) {
  auto path = model_or_skip("gemma-3-270m");
  if (!path) GTEST_SKIP();
  auto tok = tokenizer_from_gguf(read_gguf(*path));
  // U+10FFFD (private use) is not in the vocabulary: four <0xXX> tokens, one byte each.
  std::string text = "a\xF4\x8F\xBF\xBDz";
  EncodeOptions no_bos;
  no_bos.add_bos = false;
  auto spans = tok->encode_spans(text, no_bos);
  std::vector<std::pair<size_t, size_t>> byte_spans;
  for (const auto& s : spans)
    if (tok->token_text(s.id).rfind("<0x", 0) == 0) byte_spans.push_back({s.begin, s.end});
  ASSERT_EQ(byte_spans.size(), 4u);
  for (size_t k = 0; k < 4; ++k)
    EXPECT_EQ(byte_spans[k], (std::pair<size_t, size_t>{k + 1, k + 2}));
  EXPECT_EQ(tok->decode(tok->encode(text, no_bos)), text);
}

TEST(TokenizerGguf, LoadsFastAndEncodesLongTextInLinearTime) {
  auto path = model_or_skip("gemma-3-270m");
  if (!path) GTEST_SKIP();
  GgufFile g = read_gguf(*path);
  auto t0 = std::chrono::steady_clock::now();
  auto tok = tokenizer_from_gguf(g);
  double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(load_s, 1.0) << "loading the 262k-token Gemma tokenizer took " << load_s << " s";

  // One long fragment (no special tokens, no pre-tokenizer: a single BPE word for Gemma).
  std::string unit = "Researchers keep testing these theories at 13.6 TeV; naïve café, 日本語. ";
  auto time_encode = [&](size_t reps) {
    std::string text;
    for (size_t i = 0; i < reps; ++i) text += unit;
    auto a = std::chrono::steady_clock::now();
    size_t n = tok->encode(text).size();
    EXPECT_GT(n, reps);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
  };
  // 8 times the text: n log n gives ~9x the time, quadratic 64x.
  double t1 = time_encode(1000), t8 = time_encode(8000);
  std::printf("gemma tokenizer: load %.3f s; encode %zu KB %.3f s, %zu KB %.3f s\n", load_s,
              unit.size() * 1000 / 1024, t1, unit.size() * 8000 / 1024, t8);
  EXPECT_LT(t8, 24 * t1 + 0.1) << "encoding grows much faster than n log n";
  EXPECT_LT(t8, 5.0);
}

TEST(TokenizerGguf, ByteLevelEncodesLongTextQuickly) {
  auto path = model_or_skip("smollm2-135m-instruct");
  if (!path) GTEST_SKIP();
  auto tok = tokenizer_from_gguf(read_gguf(*path));
  std::string text;
  for (int i = 0; i < 4000; ++i)
    text += "Researchers keep testing 13.6 TeV; na\xC3\xAFve caf\xC3\xA9. ";
  auto a = std::chrono::steady_clock::now();
  auto spans = tok->encode_spans(text);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
  std::printf("smollm2 tokenizer: encode %zu KB in %.3f s (%zu tokens)\n", text.size() / 1024, s,
              spans.size());
  EXPECT_EQ(spans.back().end, text.size());
  EXPECT_LT(s, 2.0);
}

}  // namespace
}  // namespace knowscope

// tokenizer.json loading against the Hugging Face `tokenizers` library: small tokenizers trained by
// tools/make_tokenizer_fixtures.py (ids, byte offsets, decoded text in hf_reference.json), and the
// real models' tokenizers converted by transformers into the cache (converted.json).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "knowscope/core/error.h"
#include "knowscope/io/gguf.h"
#include "knowscope/model/registry.h"
#include "knowscope/model/tokenizer.h"
#include "model/unicode.h"
#include "test_paths.h"

namespace knowscope {
namespace {

using json = nlohmann::json;

json load_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

std::string show(const std::vector<int32_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(v[i]);
  }
  return s + "]";
}

bool continuation(const std::string& text, size_t pos) {
  return pos < text.size() && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80;
}

class HfTrained : public ::testing::TestWithParam<std::string> {};

TEST_P(HfTrained, MatchesTokenizersLibrary) {
  const std::string name = GetParam();
  json ref = load_json(test::fixture("tokenizer/hf_reference.json"));
  const json& entry = ref["tokenizers"][name];
  ASSERT_FALSE(entry.is_null()) << name;
  auto tok = tokenizer_from_hf(test::fixture("tokenizer/hf_" + name + ".json"));
  const json& texts = ref["texts"];
  int failed = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    std::string text = texts[i].get<std::string>();
    SCOPED_TRACE("text " + json(text).dump());
    EncodeOptions with_special, plain;
    plain.add_bos = false;
    bool has_special = i < entry["add_special"].size();  // fixed texts only
    auto want_special =
        has_special ? entry["add_special"][i].get<std::vector<int32_t>>() : std::vector<int32_t>{};
    auto want = entry["no_special"][i].get<std::vector<int32_t>>();
    auto got_special = tok->encode(text, with_special);
    auto spans = tok->encode_spans(text, plain);
    std::vector<int32_t> got;
    for (const auto& s : spans) got.push_back(s.id);
    if ((has_special && got_special != want_special) || got != want) {
      ++failed;
      ADD_FAILURE() << "tokenizers " << show(want) << "\n  ours       " << show(got)
                    << "\n  with special: tokenizers " << show(want_special) << " ours "
                    << show(got_special);
      continue;
    }
    // Offsets: ours are exact bytes; the library's cover whole characters. Equal, except where a
    // token starts or ends inside a multi-byte character (byte fallback / byte-level pieces).
    // Where NFC changes the text the two alignments differ (the library maps a composed character
    // to its first source character); there only order and bounds are checked.
    bool nfc_changed = name == "bl_qwen2" && nfc(text) != text;
    const json& offsets = entry["offsets"][i];
    size_t prev_end = 0;
    for (size_t k = 0; k < spans.size(); ++k) {
      size_t hb = offsets[k][0].get<size_t>(), he = offsets[k][1].get<size_t>();
      const TokenSpan& s = spans[k];
      EXPECT_LE(s.begin, s.end);
      EXPECT_GE(s.begin, prev_end) << "token " << k << " overlaps the previous one";
      prev_end = std::max(prev_end, s.end);
      EXPECT_LE(s.end, text.size());
      if (s.begin == s.end || nfc_changed) continue;  // only inserted text (a prefix U+2581)
      if (continuation(text, s.begin) || continuation(text, s.end)) {
        EXPECT_TRUE(hb <= s.begin && s.end <= he)
            << "token " << k << " [" << s.begin << "," << s.end << ") outside [" << hb << "," << he
            << ")";
      } else {
        EXPECT_EQ(s.begin, hb) << "token " << k;
        EXPECT_EQ(s.end, he) << "token " << k;
      }
    }
    EXPECT_EQ(tok->decode(got), entry["decoded"][i].get<std::string>());
  }
  const json& special_texts = ref["special_texts"];
  for (size_t i = 0; i < special_texts.size(); ++i) {
    EncodeOptions raw;
    raw.add_bos = false;
    raw.parse_special = false;
    std::string text = special_texts[i].get<std::string>();
    auto want = entry["no_parse_special"][i].get<std::vector<int32_t>>();
    EXPECT_EQ(show(tok->encode(text, raw)), show(want))
        << "parse_special=false " << json(text).dump();
  }
  EXPECT_EQ(failed, 0);
}

INSTANTIATE_TEST_SUITE_P(Tokenizers, HfTrained,
                         ::testing::Values("spm_gemma3", "spm_prefix", "spm_metaspace", "bl_llama3",
                                           "bl_qwen2", "bl_smollm"));

TEST(HfTokenizer, SpecialTokenIdsAndFlags) {
  auto spm = tokenizer_from_hf(test::fixture("tokenizer/hf_spm_gemma3.json"));
  EXPECT_TRUE(spm->add_bos);
  EXPECT_EQ(spm->bos_id, spm->token_id("<bos>"));
  EXPECT_EQ(spm->eot_id, spm->token_id("<end_of_turn>"));
  EXPECT_EQ(spm->unk_id, spm->token_id("<unk>"));
  EXPECT_TRUE(spm->is_special(spm->token_id("<start_of_turn>")));
  EXPECT_FALSE(spm->is_special(spm->token_id("\n\n")));
  auto bl = tokenizer_from_hf(test::fixture("tokenizer/hf_bl_llama3.json"));
  EXPECT_TRUE(bl->add_bos);
  EXPECT_EQ(bl->token_text(bl->bos_id), "<|begin_of_text|>");
  EXPECT_EQ(bl->eot_id, bl->token_id("<|eot_id|>"));
  auto qwen = tokenizer_from_hf(test::fixture("tokenizer/hf_bl_qwen2.json"));
  EXPECT_FALSE(qwen->add_bos);
  // skip_special drops control tokens only.
  auto ids = bl->encode("<|begin_of_text|>Hi<|eot_id|>", EncodeOptions{false, true, true});
  EXPECT_EQ(bl->decode(ids, true), "Hi");
  EXPECT_EQ(bl->decode(ids), "<|begin_of_text|>Hi<|eot_id|>");
}

TEST(HfTokenizer, FolderWithConfigAndTemplate) {
  std::string dir = test::temp_dir();
  std::filesystem::copy_file(test::fixture("tokenizer/hf_spm_gemma3.json"),
                             dir + "/tokenizer.json");
  {
    std::ofstream cfg(dir + "/tokenizer_config.json");
    cfg << R"({"add_bos_token": false, "bos_token": {"content": "<bos>"}, "eos_token": "<eos>",
              "chat_template": "{{ bos_token }}<start_of_turn>"})";
  }
  auto tok = tokenizer_from_hf(dir);
  EXPECT_FALSE(tok->add_bos);
  EXPECT_EQ(tok->eos_id, tok->token_id("<eos>"));
  EXPECT_EQ(tok->chat_template, "{{ bos_token }}<start_of_turn>");
  EXPECT_EQ(tok->encode("Hi").front(), tok->encode("Hi", EncodeOptions{true, false, true})[1]);
}

TEST(HfTokenizer, RejectsWhatItCannotDo) {
  std::string dir = test::temp_dir();
  json j = load_json(test::fixture("tokenizer/hf_bl_llama3.json"));
  auto write_and_load = [&](const json& doc) {
    std::ofstream(dir + "/tokenizer.json") << doc.dump();
    return tokenizer_from_hf(dir + "/tokenizer.json");
  };
  json bad = j;
  bad["model"]["type"] = "Unigram";
  EXPECT_THROW(write_and_load(bad), Error);
  bad = j;
  bad["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "\\w+";
  EXPECT_THROW(write_and_load(bad), Error);
  bad = j;
  bad["model"]["merges"][0] = json::array({"notatoken", "x"});
  EXPECT_THROW(write_and_load(bad), Error);
  bad = j;
  bad["normalizer"] = json{{"type", "NFKC"}};
  EXPECT_THROW(write_and_load(bad), Error);
  EXPECT_THROW(tokenizer_from_hf(dir + "/missing.json"), Error);
  std::ofstream(dir + "/tokenizer.json") << "{not json";
  try {
    tokenizer_from_hf(dir + "/tokenizer.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer.json"), std::string::npos) << e.what();
  }
}

// The real models' tokenizers as transformers converts them from the GGUF (cached by the fixture
// script, not committed): our tokenizer.json path against `tokenizers` on the same file, and the
// GGUF path on the same texts where the conversion keeps llama.cpp's rules.
TEST(HfTokenizer, ConvertedRealTokenizersMatchTokenizersLibrary) {
  json ref = load_json(test::fixture("tokenizer/converted.json"));
  int ran = 0;
  for (auto& [model, entry] : ref["models"].items()) {
    std::string file = cache_dir() + "/tokenizers/" + model + "/tokenizer.json";
    if (!std::filesystem::exists(file) ||
        std::filesystem::file_size(file) != entry["size"].get<uintmax_t>())
      continue;
    SCOPED_TRACE(model);
    ++ran;
    auto tok = tokenizer_from_hf(file);
    const json& texts = ref["texts"];
    EncodeOptions plain;
    plain.add_bos = false;
    int failed = 0;
    for (size_t i = 0; i < texts.size(); ++i) {
      std::string text = texts[i].get<std::string>();
      auto want = entry["no_special"][i].get<std::vector<int32_t>>();
      auto got = tok->encode(text, plain);
      if (got != want && ++failed <= 5)
        ADD_FAILURE() << json(text).dump() << "\n  tokenizers " << show(want) << "\n  ours       "
                      << show(got);
    }
    EXPECT_EQ(failed, 0);
    // Where the conversion kept llama.cpp's rules (the library agrees with llama.cpp on the GGUF),
    // our tokenizer.json path agrees with llama.cpp too.
    json lc = load_json(test::fixture("tokenizer/llamacpp.json"));
    const json& lc_ids = lc["models"][model]["base"]["no_special"];
    int same = 0;
    for (size_t i = 0; i < texts.size() && i < lc_ids.size(); ++i) {
      if (lc_ids[i] != entry["no_special"][i]) continue;
      ++same;
      EXPECT_EQ(show(tok->encode(texts[i].get<std::string>(), plain)),
                show(lc_ids[i].get<std::vector<int32_t>>()));
    }
    std::printf("%s: converted tokenizer.json agrees with llama.cpp on %d of %zu texts\n",
                model.c_str(), same, texts.size());
  }
  if (ran == 0) GTEST_SKIP() << "no converted tokenizer.json in " << cache_dir() << "/tokenizers";
}

}  // namespace
}  // namespace knowscope

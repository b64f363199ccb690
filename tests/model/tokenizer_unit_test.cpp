// Unit tests of the tokenizer's parts: Unicode tables, NFC, UTF-8, and GGUF tokenizer metadata
// validation on small files written by our GGUF writer.
#include <gtest/gtest.h>

#include <algorithm>

#include "knowscope/core/error.h"
#include "knowscope/io/gguf.h"
#include "knowscope/model/tokenizer.h"
#include "model/unicode.h"
#include "test_paths.h"

namespace knowscope {
namespace {

TEST(Unicode, CategoriesOfKnownCharacters) {
  EXPECT_TRUE(char_flags('a') & kLetter);
  EXPECT_TRUE(char_flags(0x00E9) & kLetter);  // é
  EXPECT_TRUE(char_flags(0x4E2D) & kLetter);  // 中
  EXPECT_TRUE(char_flags(0x0663) & kNumber);  // Arabic-Indic three
  EXPECT_TRUE(char_flags(0x00BD) & kNumber);  // ½ (No)
  EXPECT_TRUE(char_flags(0x216B) & kNumber);  // Ⅻ (Nl)
  EXPECT_TRUE(char_flags('!') & kPunctuation);
  EXPECT_TRUE(char_flags('$') & kSymbol);
  EXPECT_TRUE(char_flags(0x1F600) & kSymbol);  // 😀
  EXPECT_TRUE(char_flags(0x0301) & kMark);
  EXPECT_TRUE(char_flags(0x200D) & kOther);  // ZWJ (Cf)
  EXPECT_TRUE(char_flags(0x3000) & kWhitespace);
  EXPECT_TRUE(char_flags(0x00A0) & kWhitespace);
  EXPECT_TRUE(char_flags('\n') & kWhitespace);
  EXPECT_FALSE(char_flags(0x200B) & kWhitespace);  // zero-width space is not White_Space
  EXPECT_FALSE(char_flags(0x1C) & kWhitespace);
  EXPECT_EQ(general_category(0x0041), GeneralCategory::Lu);
  EXPECT_EQ(general_category(0x10FFFF), GeneralCategory::Cn);
  EXPECT_EQ(combining_class(0x0301), 230);
  EXPECT_EQ(combining_class(0x0323), 220);
}

TEST(Unicode, Utf8DecodingCoversEveryByte) {
  std::string s = "a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80\xFF\xC3";  // a é 中 😀, stray, truncated
  std::vector<uint32_t> cps, starts;
  decode_utf8_all(s, cps, starts);
  EXPECT_EQ(cps, (std::vector<uint32_t>{'a', 0xE9, 0x4E2D, 0x1F600, 0xFFFD, 0xFFFD}));
  EXPECT_EQ(starts, (std::vector<uint32_t>{0, 1, 3, 6, 10, 11, 12}));
  std::string back;
  for (uint32_t cp : {0x61u, 0xE9u, 0x4E2Du, 0x1F600u}) append_utf8(back, cp);
  EXPECT_EQ(back, s.substr(0, 10));
  size_t pos = 0;
  EXPECT_EQ(decode_utf8("\xC0\xAF", pos), 0xFFFDu);  // overlong
  EXPECT_EQ(pos, 1u);
}

TEST(Unicode, NfcComposesAndOrders) {
  EXPECT_EQ(nfc("e\xCC\x81"), "\xC3\xA9");              // e + U+0301 -> é
  EXPECT_EQ(nfc("A\xCC\x8A"), "\xC3\x85");              // A + ring -> Å
  EXPECT_EQ(nfc("\xE2\x84\xAB"), "\xC3\x85");           // Angstrom sign -> Å (singleton)
  EXPECT_EQ(nfc("o\xCC\x82\xCC\xA3"), "\xE1\xBB\x99");  // o + ^ + dot below -> ộ
  EXPECT_EQ(nfc("\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8"), "\xEA\xB0\x81");  // jamo -> 각
  EXPECT_EQ(nfc("plain ascii"), "plain ascii");
  std::vector<std::pair<uint32_t, uint32_t>> src;
  EXPECT_EQ(nfc("xe\xCC\x81y", &src), "x\xC3\xA9y");
  ASSERT_EQ(src.size(), 4u);
  EXPECT_EQ(src[0], (std::pair<uint32_t, uint32_t>{0, 1}));
  EXPECT_EQ(src[1], (std::pair<uint32_t, uint32_t>{1, 4}));  // é came from bytes 1..3
  EXPECT_EQ(src[3], (std::pair<uint32_t, uint32_t>{4, 5}));
}

// A small SentencePiece-style vocabulary written with our GGUF writer.
std::map<std::string, GgufValue> tiny_spm() {
  std::vector<std::string> tokens = {"<unk>",
                                     "<s>",
                                     "</s>",
                                     "\xE2\x96\x81",
                                     "a",
                                     "b",
                                     "\xE2\x96\x81"
                                     "a",
                                     "ab",
                                     "\xE2\x96\x81"
                                     "ab"};
  std::vector<float> scores = {0, 0, 0, -1, -2, -3, -1.5f, -0.5f, -0.2f};
  std::vector<int32_t> types = {2, 3, 3, 1, 1, 1, 1, 1, 1};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    tokens.push_back(name);
    scores.push_back(0);
    types.push_back(6);
  }
  return {{"general.architecture", gguf_str("llama")},
          {"tokenizer.ggml.model", gguf_str("llama")},
          {"tokenizer.ggml.tokens", gguf_str_array(tokens)},
          {"tokenizer.ggml.scores", gguf_f32_array(scores)},
          {"tokenizer.ggml.token_type", gguf_i32_array(types)},
          {"tokenizer.ggml.bos_token_id", gguf_u32(1)},
          {"tokenizer.ggml.eos_token_id", gguf_u32(2)}};
}

GgufFile write_and_read(const std::map<std::string, GgufValue>& md) {
  std::string path = test::temp_dir() + "/tok.gguf";
  write_gguf(path, md, {});
  return read_gguf(path);
}

TEST(TokenizerGgufTiny, SpaceAndScoreRules) {
  auto tok = tokenizer_from_gguf(write_and_read(tiny_spm()));
  // add_space_prefix defaults to true for "llama": " ab" -> "▁ab" by the best-scored merges.
  EXPECT_EQ(tok->encode("ab"), (std::vector<int32_t>{1, 8}));
  EXPECT_EQ(tok->encode("ab", EncodeOptions{false, true, true}), (std::vector<int32_t>{8}));
  // "c" is not in the vocabulary: byte fallback <0x63>.
  EXPECT_EQ(tok->encode("ac", EncodeOptions{false, true, true}),
            (std::vector<int32_t>{6, 9 + 0x63}));
  EXPECT_EQ(tok->decode(tok->encode("ab ac", EncodeOptions{false, true, true})), "ab ac");
  auto spans = tok->encode_spans("ab", EncodeOptions{false, true, true});
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].begin, 0u);  // the inserted prefix covers nothing
  EXPECT_EQ(spans[0].end, 2u);
}

TEST(TokenizerGgufTiny, ValidatesMetadata) {
  auto expect_error = [](std::map<std::string, GgufValue> md, const std::string& needle) {
    try {
      tokenizer_from_gguf(write_and_read(md));
      ADD_FAILURE() << "expected an error mentioning " << needle;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("tok.gguf"), std::string::npos) << e.what();
    }
  };
  auto md = tiny_spm();
  md["tokenizer.ggml.bos_token_id"] = gguf_u32(100000);
  expect_error(md, "tokenizer.ggml.bos_token_id");
  md = tiny_spm();
  md["tokenizer.ggml.scores"] = gguf_f32_array({1.0f});
  expect_error(md, "tokenizer.ggml.scores");
  md = tiny_spm();
  md["tokenizer.ggml.model"] = gguf_str("bert");
  expect_error(md, "tokenizer.ggml.model");
  md = tiny_spm();
  md.erase("tokenizer.ggml.model");
  expect_error(md, "tokenizer.ggml.model");
  md = tiny_spm();
  md["tokenizer.ggml.model"] = gguf_str("gpt2");
  md["tokenizer.ggml.pre"] = gguf_str("no-such-pre");
  md["tokenizer.ggml.merges"] = gguf_str_array({"a b"});
  expect_error(md, "tokenizer.ggml.pre");
  md["tokenizer.ggml.pre"] = gguf_str("gpt-2");
  md["tokenizer.ggml.merges"] = gguf_str_array({"ab"});
  expect_error(md, "tokenizer.ggml.merges");
  auto tok = tokenizer_from_gguf(write_and_read(tiny_spm()));
  EXPECT_THROW(tok->decode({100000}), Error);
  EXPECT_THROW(tok->token_text(-1), Error);
}

// Random bytes (valid UTF-8 or not, special markers included) through every fixture tokenizer:
// no exception, spans ordered and inside the text, byte-level decoding gives the text back.
TEST(TokenizerFuzz, RandomBytesKeepTheInvariants) {
  std::vector<std::string> pieces = {"a",
                                     "Z",
                                     "7",
                                     " ",
                                     "  ",
                                     "\n",
                                     "\t",
                                     "'s",
                                     "<",
                                     ">",
                                     "\xC3\xA9",
                                     "\xE4\xB8\xAD",
                                     "\xF0\x9F\x98\x80",
                                     "\xCC\x81",
                                     "\xE2\x96\x81",
                                     "\x80",
                                     "\xFF",
                                     "\xC3",
                                     "<start_of_turn>",
                                     "<|im_end|>",
                                     "<mask>",
                                     "\xE2\x80\x8D"};
  uint64_t state = 12345;
  auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(state >> 33);
  };
  for (const char* name :
       {"spm_gemma3", "spm_prefix", "spm_metaspace", "bl_llama3", "bl_qwen2", "bl_smollm"}) {
    SCOPED_TRACE(name);
    auto tok = tokenizer_from_hf(test::fixture(std::string("tokenizer/hf_") + name + ".json"));
    bool byte_level = std::string(name).rfind("bl_", 0) == 0;
    for (int iter = 0; iter < 400; ++iter) {
      std::string text;
      for (uint32_t k = next() % 12; k > 0; --k) text += pieces[next() % pieces.size()];
      EncodeOptions opt;
      opt.parse_special = next() % 2;
      auto spans = tok->encode_spans(text, opt);
      size_t prev = 0;
      for (const auto& s : spans) {
        ASSERT_LE(prev, s.begin) << iter;
        ASSERT_LE(s.begin, s.end);
        ASSERT_LE(s.end, text.size());
        prev = s.end;
      }
      std::vector<uint32_t> cps, starts;
      decode_utf8_all(text, cps, starts);
      bool valid = std::find(cps.begin(), cps.end(), 0xFFFDu) == cps.end();
      if (byte_level && valid) {
        std::vector<int32_t> ids;
        for (const auto& s : tok->encode_spans(text, EncodeOptions{false, true, true}))
          ids.push_back(s.id);
        EXPECT_EQ(tok->decode(ids), std::string(name) == "bl_qwen2" ? nfc(text) : text);
      }
    }
  }
}

}  // namespace
}  // namespace knowscope

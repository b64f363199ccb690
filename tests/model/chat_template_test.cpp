// Chat formats against jinja2 renderings of the real templates (tests/fixtures/tokenizer/
// chat_templates.json, written by tools/make_tokenizer_fixtures.py).
#include "knowscope/model/chat_template.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "knowscope/core/error.h"
#include "knowscope/io/gguf.h"
#include "knowscope/model/tokenizer.h"
#include "test_paths.h"

namespace knowscope {
namespace {

using json = nlohmann::json;

json fixture() {
  std::ifstream in(test::fixture("tokenizer/chat_templates.json"), std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

std::vector<ChatMessage> messages_of(const json& conv) {
  std::vector<ChatMessage> out;
  for (const json& m : conv) out.push_back({m["role"], m["content"]});
  return out;
}

TEST(ChatTemplate, MatchesJinjaRenderingsOfTheRealTemplates) {
  json fx = fixture();
  const json& convs = fx["conversations"];
  for (auto& [name, renders] : fx["renders"].items()) {
    auto format = chat_format_from_name(name);
    ASSERT_TRUE(format) << name;
    EXPECT_EQ(detect_chat_format(fx["templates"][name].get<std::string>(), ""), format) << name;
    for (size_t i = 0; i < convs.size(); ++i) {
      auto msgs = messages_of(convs[i]);
      for (bool gen : {false, true}) {
        const json& want = renders[i][gen ? "true" : "false"];
        SCOPED_TRACE(name + " conversation " + std::to_string(i) + (gen ? " +gen" : ""));
        if (want.is_null()) {
          EXPECT_THROW(apply_chat_template(*format, msgs, gen), Error);
        } else {
          EXPECT_EQ(apply_chat_template(*format, msgs, gen), want.get<std::string>());
        }
      }
    }
  }
}

TEST(ChatTemplate, GemmaFoldsTheSystemPromptAndRejectsBadOrder) {
  std::string s =
      apply_chat_template(ChatFormat::Gemma, {{"system", "Be brief."}, {"user", "Hi"}}, true);
  EXPECT_EQ(s, "<bos><start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\n");
  EXPECT_THROW(apply_chat_template(ChatFormat::Gemma, {{"assistant", "x"}}, false), Error);
  EXPECT_THROW(apply_chat_template(ChatFormat::Gemma, {{"user", "a"}, {"user", "b"}}, false),
               Error);
  EXPECT_TRUE(chat_format_has_bos(ChatFormat::Gemma));
  EXPECT_FALSE(chat_format_has_bos(ChatFormat::Qwen2));
}

TEST(ChatTemplate, DetectsByTemplateOrArchitecture) {
  EXPECT_EQ(detect_chat_format("", "gemma3"), ChatFormat::Gemma);
  EXPECT_EQ(detect_chat_format("", "gemma2"), ChatFormat::Gemma);
  EXPECT_EQ(detect_chat_format("", "qwen2"), ChatFormat::Qwen2);
  EXPECT_EQ(detect_chat_format("", "llama"), std::nullopt);
  EXPECT_EQ(detect_chat_format("{{ '<|im_start|>' + role }}", "llama"), ChatFormat::ChatML);
  EXPECT_EQ(detect_chat_format("{% unknown %}", "gemma3"), std::nullopt);
  EXPECT_EQ(chat_format_from_name("nope"), std::nullopt);
}

TEST(ChatTemplate, SmolLM2GgufCarriesItsTemplate) {
  auto path = test::cached_model("smollm2-135m-instruct");
  if (!path) {
    if (test::models_required()) FAIL() << "smollm2-135m-instruct missing";
    GTEST_SKIP();
  }
  auto tok = tokenizer_from_gguf(read_gguf(*path));
  EXPECT_EQ(detect_chat_format(tok->chat_template, "llama"), ChatFormat::SmolLM2);
  // The formatted prompt's markers become single special tokens.
  std::string prompt = apply_chat_template(ChatFormat::SmolLM2, {{"user", "Hi"}}, true);
  auto ids = tok->encode(prompt, EncodeOptions{false, true, true});
  int markers = 0;
  for (int32_t id : ids) markers += id == tok->token_id("<|im_start|>");
  EXPECT_EQ(markers, 3);
}

}  // namespace
}  // namespace knowscope

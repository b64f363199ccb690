// Hook names, position specs and the paper's latent notation.
#include "knowscope/hooks/hook_names.h"

#include <gtest/gtest.h>

#include "knowscope/core/error.h"
#include "knowscope/hooks/positions.h"
#include "knowscope/model/model.h"
#include "test_paths.h"

namespace knowscope {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(HookNames, ParseAndPrintEveryForm) {
  const std::vector<std::pair<std::string, HookName>> cases = {
      {"hook_embed", {HookPoint::Embed, -1}},
      {"blocks.0.hook_resid_pre", {HookPoint::ResidPre, 0}},
      {"blocks.12.hook_resid_mid", {HookPoint::ResidMid, 12}},
      {"blocks.3.hook_resid_post", {HookPoint::ResidPost, 3}},
      {"blocks.1.attn.hook_q", {HookPoint::Q, 1}},
      {"blocks.1.attn.hook_k", {HookPoint::K, 1}},
      {"blocks.1.attn.hook_v", {HookPoint::V, 1}},
      {"blocks.2.attn.hook_attn_scores", {HookPoint::AttnScores, 2}},
      {"blocks.2.attn.hook_pattern", {HookPoint::Pattern, 2}},
      {"blocks.2.attn.hook_z", {HookPoint::Z, 2}},
      {"blocks.4.hook_attn_out", {HookPoint::AttnOut, 4}},
      {"blocks.4.mlp.hook_post", {HookPoint::MlpPost, 4}},
      {"blocks.4.hook_mlp_out", {HookPoint::MlpOut, 4}},
      {"ln_final.hook_normalized", {HookPoint::FinalNorm, -1}},
  };
  for (const auto& [name, h] : cases) {
    EXPECT_EQ(parse_hook_name(name, 18), h) << name;
    EXPECT_EQ(hook_name(h), name);
  }
}

TEST(HookNames, BadNamesSayTheValidForms) {
  for (const char* bad :
       {"blocks.x.hook_resid_pre", "blocks.3.hook_resid", "resid_pre", "blocks.-1.hook_resid_pre",
        "blocks.3", "blocks..hook_z", "blocks.3.attn.hook_zz", "hook_embed ", ""}) {
    std::string msg = error_of([&] { parse_hook_name(bad, 18); });
    EXPECT_NE(msg.find("valid forms"), std::string::npos) << bad << ": " << msg;
    EXPECT_NE(msg.find("blocks.{l}.hook_resid_pre"), std::string::npos) << msg;
  }
  std::string msg = error_of([] { parse_hook_name("blocks.18.hook_resid_pre", 18); });
  EXPECT_NE(msg.find("out of range"), std::string::npos) << msg;
  EXPECT_NE(msg.find("0..17"), std::string::npos) << msg;
  EXPECT_NO_THROW(parse_hook_name("blocks.17.hook_resid_pre", 18));
  EXPECT_NO_THROW(parse_hook_name("blocks.99.hook_resid_pre"));  // no model: no range check
}

TEST(HookNames, PaperLatentNotation) {
  PaperLatent p = parse_paper_latent("L13F7957");
  EXPECT_EQ(p.layer, 13);
  EXPECT_EQ(p.latent, 7957);
  EXPECT_EQ(p.str(), "L13F7957");
  EXPECT_EQ(p.resid_pre_hook(), "blocks.13.hook_resid_pre");
  EXPECT_EQ(p.resid_post_hook(), "blocks.12.hook_resid_post");
  EXPECT_NE(p.describe().find("layer_12"), std::string::npos) << p.describe();
  EXPECT_EQ(paper_latent_for("blocks.12.hook_resid_post", 7957).str(), "L13F7957");
  EXPECT_EQ(paper_latent_for("blocks.13.hook_resid_pre", 7957).str(), "L13F7957");
  EXPECT_EQ(parse_paper_latent("l15f11898").str(), "L15F11898");
  for (const char* bad : {"L13", "13F7957", "L13F", "LxF1", "L-1F3", "L13F7957x"})
    EXPECT_THROW(parse_paper_latent(bad), Error) << bad;
  EXPECT_THROW(paper_latent_for("blocks.3.hook_mlp_out", 1), Error);
}

TEST(Positions, ParseAndResolve) {
  EXPECT_EQ(parse_position_spec("all").kind, PositionSpec::Kind::All);
  EXPECT_EQ(parse_position_spec("last").kind, PositionSpec::Kind::Last);
  PositionSpec s = parse_position_spec("0,3,-1");
  EXPECT_EQ(s.list, (std::vector<int64_t>{0, 3, -1}));
  EXPECT_EQ(position_spec_str(s), "0,3,-1");
  PositionSpec sub = parse_position_spec("substring:12 Angry Men");
  EXPECT_EQ(sub.substring, "12 Angry Men");
  PositionContext ctx;
  ctx.n_tokens = 6;
  EXPECT_EQ(resolve_positions(s, ctx, "p"), (std::vector<int64_t>{0, 3, 5}));
  EXPECT_EQ(resolve_positions(parse_position_spec("last"), ctx, "p"), (std::vector<int64_t>{5}));
  EXPECT_EQ(resolve_positions(parse_position_spec("all"), ctx, "p").size(), 6u);
  EXPECT_EQ(resolve_positions(parse_position_spec("-6,5,5"), ctx, "p"),
            (std::vector<int64_t>{0, 5}));
  std::string msg = error_of([&] { resolve_positions(parse_position_spec("6"), ctx, "prompt 2"); });
  EXPECT_NE(msg.find("prompt 2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("-6..5"), std::string::npos) << msg;
  EXPECT_THROW(resolve_positions(parse_position_spec("-7"), ctx, "p"), Error);
  for (const char* bad : {"", "1,,2", "first", "1.5", "substring:", "3x"})
    EXPECT_THROW(parse_position_spec(bad), Error) << bad;
}

TEST(Positions, SubstringRulesOnHandMadeSpans) {
  // "The movie 'Up'" tokenized by hand: [BOS][The][ movie][ '][Up]['] with byte spans.
  const std::string text = "The movie 'Up'";
  std::vector<TokenSpan> spans = {{2, 0, 0},   {10, 0, 3},   {11, 3, 9},
                                  {12, 9, 11}, {13, 11, 13}, {14, 13, 14}};
  auto s = substring_tokens_by_bytes(spans, text, "Up");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->begin, 4);
  EXPECT_EQ(s->end, 5);
  s = substring_tokens_by_bytes(spans, text, "movie 'U");  // ends inside a token
  ASSERT_TRUE(s);
  EXPECT_EQ(s->begin, 2);
  EXPECT_EQ(s->end, 5);
  EXPECT_FALSE(substring_tokens_by_bytes(spans, text, "Down"));
}

// Both rules on a real tokenizer: they agree on entity names in the paper's prompt formats.
TEST(Positions, SubstringRulesAgreeOnTinyAndRealTokenizers) {
  std::vector<std::string> paths = {test::fixture("models/gguf/gemma3-f32.gguf"),
                                    test::fixture("models/gguf/llama-f32.gguf")};
  for (const char* name : {"gemma-3-270m", "smollm2-135m-instruct"})
    if (auto p = test::cached_model(name)) paths.push_back(*p);
  const std::vector<std::pair<std::string, std::string>> prompts = {
      {"The movie '12 Angry Men'", "12 Angry Men"},
      {"The player 'Kawhi Leonard'", "Kawhi Leonard"},
      {"Who directed the movie 12 Angry Men?", "12 Angry Men"},
      {"The city 'Zürich' is", "Zürich"},
      {"<start_of_turn>user\nWhen was the player Wilson Brown born?<end_of_turn>\n"
       "<start_of_turn>model\n",
       "model"},
  };
  for (const std::string& path : paths) {
    Model m = load_model(path);
    ASSERT_TRUE(m.tokenizer) << path;
    for (const auto& [text, sub] : prompts) {
      auto spans = m.tokenizer->encode_spans(text);
      std::vector<int32_t> ids;
      for (auto& s : spans) ids.push_back(s.id);
      auto a = substring_tokens_by_bytes(spans, text, sub);
      auto b = substring_tokens_by_decode(*m.tokenizer, ids, sub);
      ASSERT_TRUE(a) << path << ": " << text;
      ASSERT_TRUE(b) << path << ": " << text;
      EXPECT_EQ(a->end, b->end) << path << ": " << text;
      // The last token's decode must end the substring (it holds its last byte).
      std::string upto = m.tokenizer->decode({ids.begin(), ids.begin() + a->end});
      EXPECT_NE(upto.find(sub), std::string::npos);
      std::string before = m.tokenizer->decode({ids.begin(), ids.begin() + a->end - 1});
      EXPECT_EQ(before.find(sub), std::string::npos) << path << ": " << text;
    }
  }
}

// Where the rules differ: text that only the decoding of a special token contains.
TEST(Positions, SubstringRulesDifferOnSpecialTokenRendering) {
  Model m = load_model(test::fixture("models/gguf/gemma3-f32.gguf"));
  const std::string text = "The movie 'Up'";
  auto spans = m.tokenizer->encode_spans(text);
  ASSERT_EQ(spans[0].id, m.tokenizer->bos_id);
  std::vector<int32_t> ids;
  for (auto& s : spans) ids.push_back(s.id);
  const std::string bos_text = m.tokenizer->decode({m.tokenizer->bos_id});
  ASSERT_FALSE(bos_text.empty());
  EXPECT_FALSE(substring_tokens_by_bytes(spans, text, bos_text));
  auto b = substring_tokens_by_decode(*m.tokenizer, ids, bos_text);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->end, 1);
}

}  // namespace
}  // namespace knowscope

// Mechanistic prompts and aligned known/unknown pairs (spec 5.1, 5.2).
#include <gtest/gtest.h>

#include <set>

#include "knowscope/model/model.h"
#include "knowscope/study/heads.h"
#include "study/tiny_model.h"
#include "test_paths.h"

namespace knowscope::study {
namespace {

HeadEntity city(const std::string& name, Knowledge label, const std::string& country) {
  return {name, "city", label, {{"city_country", country}, {"city_population", "1000, 2000"}}};
}

std::string trimmed(std::string s) {
  while (!s.empty() && s.front() == ' ') s.erase(s.begin());
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

TEST(HeadsPrompts, TemplateEntitySpanAndAnswer) {
  const Tokenizer& tok = *test_tiny::tiny_model().tokenizer;
  const std::vector<HeadEntity> ents = {city("Paris", Knowledge::known, "Italy, France")};
  const auto prompts = build_head_prompts(tok, ents);
  ASSERT_EQ(prompts.size(), 3u);  // city: country, elevation, population
  std::set<std::string> texts;
  for (const auto& p : prompts) {
    texts.insert(p.text);
    // The entity span decodes to the entity name.
    std::vector<int32_t> span(p.tokens.begin() + p.entity_first,
                              p.tokens.begin() + p.entity_last + 1);
    EXPECT_EQ(trimmed(tok.decode(span)), "Paris") << p.text;
    EXPECT_EQ(position_role(p, p.entity_last), 3);
    EXPECT_EQ(position_role(p, p.last()), 5);
    EXPECT_EQ(position_roles()[size_t(position_role(p, p.entity_last + 1))], "relation");
  }
  EXPECT_TRUE(texts.count("The city Paris is located in"));
  // Answers: last comma item with a leading space; no answer for the elevation here.
  for (const auto& p : prompts) {
    if (p.prompt_type == "city_country") {
      EXPECT_EQ(p.answer, " France");
      EXPECT_GE(p.answer_token, 0);
    } else if (p.prompt_type == "city_population") {
      EXPECT_EQ(p.answer, " 2000");
    } else {
      EXPECT_EQ(p.answer, "");
      EXPECT_EQ(p.answer_token, -1);
    }
  }
}

TEST(HeadsPrompts, PlayerRelationsFollowTheirOwnAttribute) {
  const Tokenizer& tok = *test_tiny::tiny_model().tokenizer;
  HeadEntity p{"Abc Def", "player", Knowledge::known, {}};
  for (const auto& pr : build_head_prompts(tok, std::vector<HeadEntity>{p})) {
    if (pr.prompt_type == "player_place_birth") {
      EXPECT_NE(pr.text.find("city"), std::string::npos) << pr.text;
    }
    if (pr.prompt_type == "player_date_birth") {
      EXPECT_NE(pr.text.find("year"), std::string::npos) << pr.text;
    }
  }
}

std::vector<HeadPrompt> country_prompts(const std::vector<HeadEntity>& ents) {
  std::vector<HeadPrompt> out;
  for (auto& p : build_head_prompts(*test_tiny::tiny_model().tokenizer, ents))
    if (p.prompt_type == "city_country") out.push_back(p);
  return out;
}

TEST(HeadsPairs, AlignmentRules) {
  auto ps = country_prompts({city("Paris", Knowledge::known, "France"),
                             city("Lyonx", Knowledge::unknown, "Fiji"),
                             city("Rome", Knowledge::unknown, "Italy")});
  ASSERT_EQ(ps.size(), 3u);
  // The character vocabulary makes every answer start with the same space token: no pair.
  EXPECT_EQ(ps[0].answer_token, ps[1].answer_token);
  EXPECT_FALSE(pair_aligned(ps[0], ps[1]));
  ps[1].answer_token = ps[0].answer_token + 1;
  ps[2].answer_token = ps[0].answer_token + 2;
  EXPECT_TRUE(pair_aligned(ps[0], ps[1]));
  EXPECT_FALSE(pair_aligned(ps[0], ps[2]));  // "Rome" is one token shorter
  HeadPrompt other_relation = ps[1];
  other_relation.prompt_type = "city_population";
  EXPECT_FALSE(pair_aligned(ps[0], other_relation));
  HeadPrompt changed_relation_token = ps[1];
  changed_relation_token.tokens.back() += 1;
  EXPECT_FALSE(pair_aligned(ps[0], changed_relation_token));
}

TEST(HeadsPairs, SelectionCapsAndDirection) {
  std::vector<HeadEntity> ents;
  const std::vector<std::string> names = {"Abcde", "Bcdef", "Cdefg", "Defgh", "Efghi", "Fghij"};
  for (size_t i = 0; i < names.size(); ++i)
    ents.push_back(city(names[i], i < 2 ? Knowledge::known : Knowledge::unknown, "X"));
  auto ps = country_prompts(ents);
  for (size_t i = 0; i < ps.size(); ++i) ps[i].answer_token = int32_t(100 + i);
  PairOptions opt;
  opt.per_type = 100;
  opt.max_uses = 100;
  auto all = select_pairs(ps, opt);
  EXPECT_EQ(all.size(), 8u);  // 2 known x 4 unknown
  for (const auto& p : all) {
    EXPECT_EQ(ps[size_t(p.clean)].label, Knowledge::known);
    EXPECT_EQ(ps[size_t(p.corrupt)].label, Knowledge::unknown);
    EXPECT_TRUE(pair_aligned(ps[size_t(p.clean)], ps[size_t(p.corrupt)]));
  }
  opt.per_type = 3;
  EXPECT_EQ(select_pairs(ps, opt).size(), 3u);
  opt.per_type = 100;
  opt.max_uses = 2;  // each known prompt in at most 2 pairs
  EXPECT_EQ(select_pairs(ps, opt).size(), 4u);
  // Same seed, same pairs.
  const auto a = select_pairs(ps, opt), b = select_pairs(ps, opt);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].corrupt, b[i].corrupt);
}

TEST(HeadsPrompts, GemmaTokenizerEntitySpan) {
  auto path = test::cached_model("gemma-3-270m");
  if (!path) {
    if (test::models_required()) FAIL() << "gemma-3-270m missing";
    GTEST_SKIP() << "gemma-3-270m not in the cache";
  }
  const auto tok = load_tokenizer(*path);
  const auto ps = build_head_prompts(
      *tok, std::vector<HeadEntity>{{"12 Angry Men", "movie", Knowledge::known, {}}});
  ASSERT_FALSE(ps.empty());
  for (const auto& p : ps) {
    EXPECT_EQ(p.tokens[0], tok->bos_id);
    std::vector<int32_t> span(p.tokens.begin() + p.entity_first,
                              p.tokens.begin() + p.entity_last + 1);
    EXPECT_EQ(trimmed(tok->decode(span)), "12 Angry Men") << p.text;
    std::vector<int32_t> before(p.tokens.begin() + 1, p.tokens.begin() + p.entity_first);
    EXPECT_EQ(trimmed(tok->decode(before)), "The movie");
  }
}

}  // namespace
}  // namespace knowscope::study

#include "knowscope/study/templates.h"

#include <gtest/gtest.h>

#include <set>

#include "knowscope/core/error.h"
#include "knowscope/study/fewshot.h"

namespace knowscope::study {
namespace {

Entity movie() {
  return {"12 Angry Men",
          "movie",
          {{"directors", "Sidney Lumet"}, {"release_year", "1957"}, {"budget", "350000"}},
          "test"};
}

TEST(Templates, SeventeenPromptTypesInTheAuthorsOrder) {
  auto t = prompt_templates();
  ASSERT_EQ(t.size(), 17u);
  std::vector<std::string> order;
  for (const auto& x : t) order.emplace_back(x.prompt_type);
  std::vector<std::string> want = {
      "player_place_birth", "player_date_birth",   "player_teams_list",     "movie_directors",
      "movie_cast",         "movie_screenwriters", "movie_genres",          "movie_release_year",
      "movie_durations",    "city_country",        "city_location",         "city_population",
      "city_elevation",     "song_album",          "song_publication_year", "song_genres",
      "song_performers"};
  EXPECT_EQ(order, want);
  for (const auto& x : t) {
    EXPECT_EQ(std::string(x.entity_type) + "_" + std::string(x.attribute_type), x.prompt_type);
    EXPECT_NE(x.question.find("'{entity}'"), std::string_view::npos) << x.prompt_type;
    EXPECT_NE(x.base_prefix.find("'{entity}'"), std::string_view::npos) << x.prompt_type;
  }
}

TEST(Templates, CorrectnessFunctionPerPromptType) {
  // spec 1.2 table
  auto fn = [](std::string_view pt) { return prompt_template(pt).check; };
  EXPECT_EQ(fn("player_date_birth").kind, CheckKind::number);
  EXPECT_EQ(fn("player_date_birth").tolerance, 5);
  EXPECT_EQ(fn("movie_release_year").tolerance, 2);
  EXPECT_EQ(fn("movie_genres").kind, CheckKind::genres_list);
  EXPECT_EQ(fn("movie_durations").kind, CheckKind::number_in_list);
  EXPECT_EQ(fn("movie_durations").tolerance, 3);
  EXPECT_EQ(fn("city_location").kind, CheckKind::geo);
  EXPECT_EQ(fn("city_population").pct.value_or(0), 0.1);
  EXPECT_EQ(fn("city_elevation").tolerance, 20);
  EXPECT_EQ(fn("song_publication_year").tolerance, 0);
  EXPECT_EQ(fn("song_genres").kind, CheckKind::name);
  EXPECT_EQ(fn("city_country").kind, CheckKind::name);
  // free generation differs in two places
  EXPECT_EQ(prompt_template("player_date_birth").free_check.tolerance, 0);
  EXPECT_EQ(prompt_template("city_country").free_check.kind, CheckKind::substring);
  EXPECT_TRUE(
      is_correct("city_country", "France", " the French Republic (France)", PromptFormat::free));
  EXPECT_FALSE(is_correct("player_date_birth", "1963", " 1961", PromptFormat::free));
  EXPECT_TRUE(is_correct("player_date_birth", "1963", " 1961", PromptFormat::base));
}

TEST(Templates, BasePromptIsQuestionSpacePrefix) {
  auto p = build_prompt(movie(), "movie_directors", PromptFormat::base);
  EXPECT_EQ(p.text,
            "Who is the director of the movie '12 Angry Men'? The director of the movie '12 "
            "Angry Men' is");
  EXPECT_EQ(p.correct_answer, "Sidney Lumet");
}

TEST(Templates, ChatAndFreeUseGemmaTurns) {
  auto p = build_prompt(movie(), "movie_release_year", PromptFormat::chat);
  EXPECT_EQ(p.text,
            "<start_of_turn>user\nWhat was the release year for the movie '12 Angry "
            "Men'?<end_of_turn>\n<start_of_turn>model\nRelease year=");
  auto f = build_prompt(movie(), "movie_release_year", PromptFormat::free);
  EXPECT_EQ(f.assistant_prefix, "");
  EXPECT_TRUE(f.text.ends_with("<start_of_turn>model\n"));
  EXPECT_EQ(prompt_template("movie_durations").chat_prefix, "Duration(minutes)=");
  EXPECT_EQ(prompt_template("city_country").chat_prefix, "Country (official name)=");
}

TEST(Templates, BuildPromptsFollowsAttributesAndSkipsUnknownTypes) {
  auto ps = build_prompts(movie(), PromptFormat::base);
  ASSERT_EQ(ps.size(), 2u);  // "budget" has no prompt type
  EXPECT_EQ(ps[0].prompt_type, "movie_directors");
  EXPECT_EQ(ps[1].prompt_type, "movie_release_year");
  EXPECT_THROW(build_prompt(movie(), "movie_cast", PromptFormat::base), Error);
  EXPECT_THROW(build_prompt(movie(), "city_country", PromptFormat::base), Error);
  EXPECT_THROW(build_prompt(movie(), "nope", PromptFormat::base), Error);
  EXPECT_THROW(parse_format("instruct"), Error);
  EXPECT_EQ(parse_format("fewshot"), PromptFormat::fewshot);
}

TEST(Templates, RefusalYesNoAndRelationPrompts) {
  auto q = refusal_questions("12 Angry Men", "movie");
  ASSERT_EQ(q.size(), 6u);
  EXPECT_EQ(q[0].text, "Who is starring in the movie 12 Angry Men?");
  EXPECT_EQ(q[1].text, "Who directed the movie 12 Angry Men?");
  EXPECT_EQ(q[5].text, "Who wrote the movie 12 Angry Men?");
  auto players = refusal_questions("Leo Barnhorst", "player");
  ASSERT_EQ(players.size(), 3u);
  EXPECT_EQ(players[1].text, "Where was born the player Leo Barnhorst?");  // spec 4.1 example
  EXPECT_EQ(refusal_questions("Paris", "city").size(), 3u);                // no location relation
  EXPECT_EQ(yes_no_question("Paris", "city").content,
            "Are you sure you know the city Paris? Answer yes or no.");
  auto rel = base_relation_prompts("LeBron James", "player");
  ASSERT_EQ(rel.size(), 3u);
  EXPECT_EQ(rel[0].prompt_type, "player_date_birth");
  EXPECT_EQ(rel[0].text, "The player LeBron James was born in the city of");  // authors' swap
  auto fixed = base_relation_prompts("LeBron James", "player", false);
  EXPECT_EQ(fixed[0].text, "The player LeBron James was born in the year");
  EXPECT_EQ(entity_activation_prompt("12 Angry Men", "movie"), "The movie '12 Angry Men'");
  EXPECT_EQ(patching_answer("Mark Millar, Matthew Vaughn "), " Matthew Vaughn");
  EXPECT_THROW(refusal_questions("x", "book"), Error);
}

TEST(Fewshot, HeaderAndAnswer) {
  std::string h = fewshot_header();
  EXPECT_NE(h.find("Q: What is the place of birth for the player 'Michael Jordan'?\nA: Brooklyn\n"),
            std::string::npos);
  EXPECT_NE(h.find("\nA: I don't know.\n"), std::string::npos);
  int real = 0, invented = 0;
  std::set<std::string> types;
  for (const auto& d : fewshot_demonstrations()) {
    (d.real ? real : invented)++;
    types.emplace(d.entity_type);
    EXPECT_EQ(prompt_template(d.prompt_type).entity_type, d.entity_type);
    EXPECT_EQ(d.answer == kFewshotRefusal, !d.real);
  }
  EXPECT_EQ(real, 4);
  EXPECT_EQ(invented, 4);
  EXPECT_EQ(types.size(), 4u);
  auto p = build_prompt(movie(), "movie_directors", PromptFormat::fewshot);
  EXPECT_TRUE(p.text.ends_with("\nQ: Who is the director of the movie '12 Angry Men'?\nA:"));
  EXPECT_EQ(fewshot_answer(" Sidney Lumet\nQ: next"), "Sidney Lumet");
  EXPECT_EQ(fewshot_answer("\n\n Sidney Lumet  \n"), "Sidney Lumet");
  EXPECT_EQ(fewshot_answer(" Lumet Q: Who"), "Lumet");
  EXPECT_EQ(fewshot_answer("   "), "");
  EXPECT_TRUE(
      is_correct("movie_directors", "Sidney Lumet", " Sidney Lumet\nQ: x", PromptFormat::fewshot));
  EXPECT_FALSE(is_correct("movie_directors", "Sidney Lumet", " I don't know.\nA: Sidney Lumet",
                          PromptFormat::fewshot));
}

}  // namespace
}  // namespace knowscope::study

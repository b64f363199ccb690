#include "knowscope/study/entities.h"

#include <gtest/gtest.h>

#include "knowscope/core/error.h"
#include "test_paths.h"

namespace knowscope::study {
namespace {

std::string error_of(std::string_view text) {
  try {
    parse_entities(text, "f.jsonl");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Entities, ReadsJsonListAndJsonl) {
  std::string list = R"([{"entity": "It", "entity_type": "book", "attributes":
      [{"attribute_type": "creator", "attribute_value": "Stephen King"}]}])";
  auto a = parse_entities(list, "book.json");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].name, "It");
  EXPECT_EQ(a[0].attributes[0].value, "Stephen King");
  EXPECT_FALSE(a[0].source.has_value());
  std::string jsonl =
      "{\"entity\": \"Zürich\", \"entity_type\": \"city\", \"attributes\": [], \"source\": "
      "\"geonames\"}\n\n{\"entity\": \"B\", \"entity_type\": \"city\", \"attributes\": "
      "[{\"attribute_type\": \"country\", \"attribute_value\": \"\"}]}";
  auto b = parse_entities(jsonl, "c.jsonl");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].source.value_or(""), "geonames");
  EXPECT_EQ(b[1].attributes[0].value, "");
  EXPECT_TRUE(parse_entities("  \n", "empty").empty());
}

TEST(Entities, ErrorsNameFileLineAndField) {
  std::string ok = R"({"entity": "A", "entity_type": "city", "attributes": []})";
  EXPECT_EQ(error_of(ok + "\n" + R"({"entity": "B", "attributes": []})"),
            "f.jsonl: line 2: entity_type: missing (expected a string)");
  EXPECT_EQ(error_of(R"({"entity": "B", "entity_type": "city", "attributes": )"
                     R"([{"attribute_type": "population", "attribute_value": 5}]})"),
            "f.jsonl: line 1: attributes[0].attribute_value: expected a string, got number (write "
            "numbers as strings, e.g. \"1994\")");
  EXPECT_NE(error_of(ok + "\n{broken").find("f.jsonl: line 2: invalid JSON"), std::string::npos);
  EXPECT_EQ(error_of(R"([{"entity": "", "entity_type": "city", "attributes": []}])"),
            "f.jsonl: [0]: entity: empty");
  EXPECT_EQ(error_of(R"([1])"), "f.jsonl: [0]: expected an object, got number");
  EXPECT_EQ(error_of(R"({"entity": "A", "entity_type": "city", "attributes": {}})"),
            "f.jsonl: line 1: attributes: expected a list, got object");
  EXPECT_NE(error_of("[{\"entity\": \"A\",\n\"entity_type\": }]").find("f.jsonl: line 2"),
            std::string::npos);
}

TEST(Entities, WriteThenReadRoundTrips) {
  std::vector<Entity> es = {
      {"Zürich \"quoted\"", "city", {{"country", "Switzerland"}, {"population", "421878"}}, "x"},
      {"B", "song", {}, std::nullopt}};
  std::string dir = test::temp_dir();
  write_entities_jsonl(dir + "/e.jsonl", es);
  auto back = load_entities(dir + "/e.jsonl");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].name, es[0].name);
  EXPECT_EQ(back[0].attributes[1].value, "421878");
  EXPECT_EQ(back[0].source, es[0].source);
  EXPECT_FALSE(back[1].source.has_value());
  EXPECT_EQ(entity_to_json(es[1]), R"({"entity": "B", "entity_type": "song", "attributes": []})");
  EXPECT_THROW(load_entities(dir + "/missing.jsonl"), Error);
}

}  // namespace
}  // namespace knowscope::study

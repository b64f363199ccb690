// The corpus reader (documents, limits, errors with line numbers) and how documents become model
// inputs (BOS, pieces of context - 1 tokens, the token budget).
#include <gtest/gtest.h>

#include <cstdlib>

#include "knowscope/core/error.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/model/model.h"
#include "knowscope/sae/corpus.h"
#include "study/tiny_model.h"
#include "test_paths.h"

namespace knowscope {
namespace {

std::string write(const std::string& text) {
  const std::string p = test::temp_dir() + "/corpus.jsonl";
  write_file_atomic(p, text);
  return p;
}

std::string error_of(const std::string& text) {
  try {
    read_corpus(write(text));
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Corpus, ReadsDocumentsSkippingBlankLines) {
  const std::string p = write(
      "{\"text\": \"first doc\", \"source\": \"wordnet\"}\n\n"
      "{\"source\": \"gcide\", \"text\": \"second \\u00e9\", \"extra\": 1}\r\n"
      "{\"text\": \"third\", \"source\": \"\"}\n");
  auto docs = read_corpus(p);
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0].text, "first doc");
  EXPECT_EQ(docs[0].source, "wordnet");
  EXPECT_EQ(docs[1].text, "second \xC3\xA9");
  EXPECT_EQ(docs[2].source, "");
  EXPECT_EQ(read_corpus(p, 2).size(), 2u);
  EXPECT_EQ(read_corpus(p, 0).size(), 0u);
}

TEST(Corpus, ErrorsNameTheLine) {
  const std::string ok = "{\"text\": \"a\", \"source\": \"s\"}\n";
  std::string m = error_of(ok + "{\"text\": \"b\"\n");
  EXPECT_NE(m.find("corpus.jsonl:2: not valid JSON"), std::string::npos) << m;
  m = error_of(ok + ok + "[1, 2]\n");
  EXPECT_NE(m.find("corpus.jsonl:3: expected a JSON object"), std::string::npos) << m;
  m = error_of("{\"text\": \"\", \"source\": \"s\"}\n");
  EXPECT_NE(m.find("corpus.jsonl:1: text: expected a non-empty string"), std::string::npos) << m;
  m = error_of("{\"text\": 5, \"source\": \"s\"}\n");
  EXPECT_NE(m.find(":1: text"), std::string::npos) << m;
  m = error_of("{\"text\": \"a\"}\n");
  EXPECT_NE(m.find(":1: source: expected a string"), std::string::npos) << m;
  try {
    read_corpus(test::temp_dir() + "/none.jsonl");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("build_corpus.py"), std::string::npos);
  }
}

TEST(Corpus, DefaultPath) {
  const char* old = std::getenv("KNOWSCOPE_HOME");
  std::string saved = old ? old : "";
  setenv("KNOWSCOPE_HOME", "/some/home", 1);
  EXPECT_EQ(default_corpus_path(), "/some/home/corpus/debian-text.jsonl");
  if (old)
    setenv("KNOWSCOPE_HOME", saved.c_str(), 1);
  else
    unsetenv("KNOWSCOPE_HOME");
}

// Training and evaluation leave out position 0 only when it is BOS; a tokenizer without BOS keeps
// its first token.
TEST(Corpus, FirstPositionIsLeftOutOnlyWhenItIsBos) {
  const Model& m = study::test_tiny::tiny_model();
  const int32_t bos = m.tokenizer->bos_id;
  ASSERT_GE(bos, 0);
  const int32_t other = bos == 5 ? 6 : 5;
  EXPECT_TRUE(sequences_start_with_bos(m, {{bos, 7, 8}, {bos, 9}}));
  EXPECT_TRUE(sequences_start_with_bos(m, {}));
  EXPECT_FALSE(sequences_start_with_bos(m, {{bos, 7, 8}, {other, 9}}));
  Model no_tokenizer;
  no_tokenizer.config = m.config;
  EXPECT_FALSE(sequences_start_with_bos(no_tokenizer, {{bos, 7}}));
}

TEST(Corpus, SequencesStartWithBosAndRespectTheBudget) {
  const Tokenizer& tok = *study::test_tiny::tiny_model().tokenizer;
  ASSERT_GE(tok.bos_id, 0);
  // The tiny vocabulary has one token per character: "abcdefghij" is 10 tokens (plus a prefix
  // space token, when the tokenizer adds one, counted by encoding it here).
  EncodeOptions enc;
  enc.add_bos = false;
  enc.bos_auto = false;
  const int64_t n1 = int64_t(tok.encode("abcdefghij", enc).size());
  const int64_t n2 = int64_t(tok.encode("xyz", enc).size());
  std::vector<CorpusDoc> docs = {{"abcdefghij", "a"}, {"xyz", "b"}};
  CorpusChunkOptions o;
  o.context = 5;  // BOS + 4 tokens per piece
  o.min_tokens = 1;
  auto seqs = corpus_sequences(tok, docs, o);
  int64_t total = 0;
  for (const auto& s : seqs) {
    ASSERT_GE(s.size(), 2u);
    EXPECT_LE(s.size(), 5u);
    EXPECT_EQ(s[0], tok.bos_id);
    total += int64_t(s.size()) - 1;
  }
  EXPECT_EQ(total, n1 + n2);
  EXPECT_EQ(int64_t(seqs.size()), (n1 + 3) / 4 + (n2 + 3) / 4);
  // A document never shares a sequence with another: the first piece of doc 2 starts it.
  const std::vector<int32_t> xyz = tok.encode("xyz", enc);
  EXPECT_EQ(std::vector<int32_t>(seqs.back().begin() + 1, seqs.back().end()),
            std::vector<int32_t>(xyz.end() - ((n2 - 1) % 4 + 1), xyz.end()));

  o.max_tokens = 6;
  seqs = corpus_sequences(tok, docs, o);
  total = 0;
  for (const auto& s : seqs) total += int64_t(s.size()) - 1;
  EXPECT_EQ(total, 6);

  // Pieces shorter than min_tokens are dropped.
  o.max_tokens = -1;
  o.min_tokens = 4;
  seqs = corpus_sequences(tok, docs, o);
  for (const auto& s : seqs) EXPECT_EQ(s.size(), 5u);
  o.context = 1;
  EXPECT_THROW(corpus_sequences(tok, docs, o), Error);
}

}  // namespace
}  // namespace knowscope

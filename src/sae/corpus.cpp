// The generic corpus reader.
#include "knowscope/sae/corpus.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "knowscope/core/error.h"
#include "knowscope/model/model.h"
#include "knowscope/model/registry.h"
#include "knowscope/model/tokenizer.h"

namespace knowscope {

std::vector<CorpusDoc> read_corpus(const std::string& path, int64_t max_docs) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    fail(path, "", "cannot open the corpus (build it with: python3 scripts/build_corpus.py)");
  std::vector<CorpusDoc> docs;
  std::string line;
  int64_t lineno = 0;
  while ((max_docs < 0 || int64_t(docs.size()) < max_docs) && std::getline(in, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(lineno);
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      fail(where, "", std::string("not valid JSON: ") + e.what());
    }
    check(j.is_object(), where, "", "expected a JSON object {\"text\": ..., \"source\": ...}");
    auto t = j.find("text");
    check(t != j.end() && t->is_string() && !t->get_ref<const std::string&>().empty(), where,
          "text", "expected a non-empty string");
    auto s = j.find("source");
    check(s != j.end() && s->is_string(), where, "source", "expected a string");
    docs.push_back({t->get<std::string>(), s->get<std::string>()});
  }
  if (in.bad()) fail(path, "", "read error");
  return docs;
}

std::string default_corpus_path() {
  return (std::filesystem::path(cache_dir()) / "corpus" / "debian-text.jsonl").string();
}

std::vector<std::vector<int32_t>> corpus_sequences(const Tokenizer& tok,
                                                   std::span<const CorpusDoc> docs,
                                                   const CorpusChunkOptions& opt) {
  check(opt.context >= 2, "corpus", "context", "must be at least 2 (BOS and one token)");
  const bool bos = tok.add_bos && tok.bos_id >= 0;
  const int64_t piece = bos ? opt.context - 1 : opt.context;
  const int64_t min_tokens = std::max<int64_t>(1, std::min(opt.min_tokens, piece));
  EncodeOptions enc;
  enc.add_bos = false;
  enc.bos_auto = false;
  enc.parse_special = false;  // corpus text is text, never control tokens
  std::vector<std::vector<int32_t>> out;
  int64_t total = 0;
  for (const CorpusDoc& d : docs) {
    if (opt.max_tokens >= 0 && total >= opt.max_tokens) break;
    std::vector<int32_t> ids = tok.encode(d.text, enc);
    for (size_t b = 0; b < ids.size(); b += size_t(piece)) {
      int64_t n = std::min<int64_t>(piece, int64_t(ids.size() - b));
      if (opt.max_tokens >= 0) n = std::min(n, opt.max_tokens - total);
      if (n < min_tokens) break;
      std::vector<int32_t> seq;
      seq.reserve(size_t(n + 1));
      if (bos) seq.push_back(tok.bos_id);
      seq.insert(seq.end(), ids.begin() + int64_t(b), ids.begin() + int64_t(b) + n);
      out.push_back(std::move(seq));
      total += n;
    }
  }
  return out;
}

bool sequences_start_with_bos(const Model& model, const std::vector<std::vector<int32_t>>& seqs) {
  const int32_t bos = model.tokenizer ? model.tokenizer->bos_id : -1;
  for (const auto& s : seqs)
    if (!s.empty() && (bos < 0 || s.front() != bos)) return false;
  return true;
}

}  // namespace knowscope

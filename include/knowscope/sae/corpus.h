// The generic text corpus that SAEs are trained and evaluated on, and against which latents'
// generic firing frequency is measured: JSONL, one document per line, {"text": ..., "source": ...}
// (built from Debian-shipped text by scripts/build_corpus.py; docs/sae.md has its make-up).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace knowscope {

struct CorpusDoc {
  std::string text;
  std::string source;  // "wordnet", "gcide", "fortunes", "bible-kjv", "debian-doc", ...
};

// Reads up to max_docs documents (< 0: all). Blank lines are skipped; a line that is not a JSON
// object with a non-empty string "text" and a string "source" throws Error naming the file and
// line.
std::vector<CorpusDoc> read_corpus(const std::string& path, int64_t max_docs = -1);

// $KNOWSCOPE_HOME/corpus/debian-text.jsonl
std::string default_corpus_path();

class Tokenizer;

// Model inputs from documents: each document is tokenized on its own (no BOS), cut into pieces of
// at most context - 1 tokens (pieces shorter than min_tokens dropped), and each piece gets BOS in
// front (when the tokenizer adds one), so that every sequence starts like a real prompt. Stops once
// max_tokens tokens (BOS not counted; < 0: no limit) are collected; the last piece is cut to fit.
struct CorpusChunkOptions {
  int64_t context = 128;
  int64_t max_tokens = -1;
  int64_t min_tokens = 8;
};
std::vector<std::vector<int32_t>> corpus_sequences(const Tokenizer& tok,
                                                   std::span<const CorpusDoc> docs,
                                                   const CorpusChunkOptions& opt);

struct Model;
// True when every sequence starts with the model's BOS token (vacuously for none): then position
// 0 is the BOS row, which SAE training and evaluation leave out. False for tokenizers that add no
// BOS (SmolLM2), whose first position is a real token.
bool sequences_start_with_bos(const Model& model, const std::vector<std::vector<int32_t>>& seqs);

}  // namespace knowscope

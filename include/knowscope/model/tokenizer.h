// Tokenizers: SentencePiece-style BPE with byte fallback (Gemma; GGUF "llama" model, tokenizer.json
// "BPE" with byte_fallback) and GPT-2 byte-level BPE (Llama 3, SmolLM2, Qwen2; GGUF "gpt2").
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace knowscope {

struct GgufFile;

struct TokenSpan {
  int32_t id;
  // Byte range [begin, end) of the input text that this token covers. Special tokens parsed from
  // text cover their marker; BOS added by the tokenizer has begin == end == 0 (EOS: both
  // text.size()). Spans of consecutive tokens do not overlap and are in order. A byte-fallback
  // token (<0xXX>) covers its own byte; text that a normalizer inserted (a prefix space) covers
  // nothing, so a token made only of it is empty.
  size_t begin, end;
};

struct EncodeOptions {
  bool add_bos = true;        // subject to the tokenizer's own add_bos rule when `bos_auto`
  bool bos_auto = true;       // true: add BOS iff the model's tokenizer says so (and add_bos); like
                              // llama.cpp's add_special, this also appends EOS when add_eos
  bool parse_special = true;  // recognise "<start_of_turn>", "<|im_start|>" ... in the text
                              // (user-defined tokens such as Gemma's "\n\n" are always recognised)
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual std::vector<TokenSpan> encode_spans(std::string_view text,
                                              const EncodeOptions& opt = {}) const = 0;
  std::vector<int32_t> encode(std::string_view text, const EncodeOptions& opt = {}) const;
  // Concatenated pieces, with byte-fallback tokens turned back into bytes; special tokens rendered
  // as their text unless skip_special.
  virtual std::string decode(const std::vector<int32_t>& ids, bool skip_special = false) const = 0;
  virtual std::string token_text(int32_t id) const = 0;  // raw vocabulary string
  virtual int32_t vocab_size() const = 0;
  virtual int32_t token_id(std::string_view text) const = 0;  // -1 if absent
  virtual bool is_special(int32_t id) const = 0;

  int32_t bos_id = -1, eos_id = -1, eot_id = -1, pad_id = -1, unk_id = -1;
  bool add_bos = false;
  bool add_eos = false;
  std::string chat_template;  // jinja source when the file has one
};

std::unique_ptr<Tokenizer> tokenizer_from_gguf(const GgufFile& gguf);
// `path`: a tokenizer.json file or a folder holding tokenizer.json (+ tokenizer_config.json).
std::unique_ptr<Tokenizer> tokenizer_from_hf(const std::string& path);

}  // namespace knowscope

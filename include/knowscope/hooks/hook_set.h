// HookSet: named handlers at hook points, compiled into one ForwardHooks, plus what each batch
// sequence is (prompt, sample, prompt length) so that handlers can act per prompt and tell prompt
// positions from generated ones. Interventions (interventions.h) and capture (capture.h) are
// handlers added to a HookSet.
//
// Not thread-safe: one HookSet serves one forward call at a time (handlers keep scratch).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "knowscope/model/forward.h"

namespace knowscope {

// Identity of one sequence of a forward batch.
struct SeqInfo {
  int prompt = 0;           // index of the prompt this sequence continues
  int sample = 0;           // completion index (generation), 0 otherwise
  int64_t prompt_len = -1;  // tokens of the prompt; absolute positions >= it are generated
                            // tokens (-1: every position of the sequence is a prompt position)
};

// Which positions of one prompt's sequence. Positions are absolute (0 = first prompt token).
struct Where {
  enum class Kind {
    All,         // every position, prompt and generated
    Prompt,      // positions < prompt_len
    Generated,   // positions >= prompt_len (every decode step of generation)
    Positions,   // explicit prompt positions; negative count from the prompt's end (-1 = last)
    PromptFrom,  // from `positions[0]` (negative: from the end) to the end of the prompt
    None,
  };
  Kind kind = Kind::All;
  std::vector<int64_t> positions;

  static Where all() { return {Kind::All, {}}; }
  static Where prompt() { return {Kind::Prompt, {}}; }
  static Where generated() { return {Kind::Generated, {}}; }
  static Where at(std::vector<int64_t> p) { return {Kind::Positions, std::move(p)}; }
  static Where prompt_from(int64_t p) { return {Kind::PromptFrom, {p}}; }
  static Where none() { return {Kind::None, {}}; }
};

// Positions for every prompt, or per prompt (then prompts past the list get none).
struct Targets {
  Where where = Where::all();
  std::vector<Where> per_prompt;
  Targets() = default;
  Targets(Where w) : where(std::move(w)) {}  // NOLINT: implicit on purpose
  static Targets each(std::vector<Where> w) {
    Targets t;
    t.per_prompt = std::move(w);
    return t;
  }
  const Where& for_prompt(int prompt) const;
};

// One selected batch row.
struct RowRef {
  int seq;      // sequence of the batch
  int64_t row;  // row in [R, ...] buffers (per-sequence hooks: the query index within it)
  int64_t pos;  // absolute position
  int prompt, sample;
  bool generated;  // pos >= prompt_len
};

class HookSet {
 public:
  using Handler = std::function<void(const HookEvent&, std::span<const SeqInfo>)>;

  explicit HookSet(const ModelConfig& config);
  HookSet(const HookSet&) = delete;  // the compiled ForwardHooks point at this object
  HookSet& operator=(const HookSet&) = delete;

  const ModelConfig& config() const { return config_; }

  // A handler at (point, layer); handlers at one point run in the order they were added.
  void add(HookPoint point, int layer, Handler h);
  void add(const std::string& hook_name, Handler h);  // validates the name against the model

  // What each sequence of the next forward calls is. Unset (or a size that does not match the
  // batch): sequence s is prompt s and all its positions are prompt positions.
  void set_batch(std::span<const SeqInfo> seqs);
  void clear_batch() { batch_.clear(); }

  // For ForwardOptions::hooks (and GenerateOptions::hooks).
  const ForwardHooks* forward_hooks() const { return &compiled_; }
  bool empty() const { return n_handlers_ == 0; }
  // Highest block with a handler (-1: only hook_embed), or n_layers when ln_final/logits are
  // hooked: the forward pass may stop after this block.
  int last_layer() const { return last_layer_; }

  // The batch rows of `ev` (a per-row hook) that `t` selects, appended to `out` sequence by
  // sequence (within one, in the order of the Where's positions).
  // For a per-sequence hook (pattern, attn_scores) only rows of sequence ev.seq, with `row` the
  // query index within the sequence. Throws when an explicit position falls outside a prompt.
  static void select_rows(const Targets& t, const HookEvent& ev, std::span<const SeqInfo> seqs,
                          std::vector<RowRef>& out);

 private:
  size_t slot(HookPoint p, int layer) const;
  std::span<const SeqInfo> infos(const BatchLayout& lay) const;

  ModelConfig config_;
  std::vector<std::vector<Handler>> slots_;
  std::vector<SeqInfo> batch_;
  mutable std::vector<SeqInfo> defaults_;
  ForwardHooks compiled_;
  int n_handlers_ = 0;
  int last_layer_ = -1;
};

// One ForwardHooks that runs `a`'s handlers, then `b`'s (either may be null).
ForwardHooks combine_hooks(const ForwardHooks* a, const ForwardHooks* b);

}  // namespace knowscope

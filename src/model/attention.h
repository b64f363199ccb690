// Attention of one layer over a batch of sequences (internal to the forward pass).
#pragma once

#include <span>

#include "knowscope/model/forward.h"

namespace knowscope::detail {

// Reads state.q/k/v (RoPE applied) and writes state.z. Appends this layer's k/v rows to each
// sequence's cache first. Calls the AttnScores and Pattern hooks when they are wanted.
// Numerics::LlamaCpp: the query is rounded to f16 (Gemma: after its scale, as llama.cpp scales Q
// before Q.K) and the probabilities to f16 before P.V; k/v arrive already rounded.
// LlamaCppF32Cache: nothing is rounded here.
void attention_layer(const ModelConfig& c, int layer, std::span<const SequenceInput> batch,
                     ForwardState& st, const ForwardHooks* hooks,
                     Numerics numerics = Numerics::Exact);

}  // namespace knowscope::detail

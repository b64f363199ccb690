// Weight orthogonalization (paper-method.md 4.5, Eq. 9): remove a direction d from everything that
// writes to the residual stream, so the model can no longer express it there.
#pragma once

#include <span>

#include "knowscope/model/model.h"

namespace knowscope {

// A copy of `model` in which, with u = d / |d|, every matrix writing to the residual stream has
// its component along u removed on the d_model axis: token embedding rows e <- e - (e.u) u, and
// each block's W_O [d, H*D] and W_down [d, d_ff] W <- W - u (u^T W); an attention output bias
// (Llama attention_bias) b <- b - (b.u) u. Those weights become owned float32 copies (kept alive
// by weights.storage); every other weight stays a view of the original files. The unembedding is
// left alone, also when it is tied to the embedding (as TransformerLens keeps W_U separate).
// On Gemma the post-attention/post-MLP RMSNorm gains act after W_O/W_down and can bring a small
// component back, as in the paper. Throws Error when the direction has the wrong size or is zero.
Model orthogonalize_weights(const Model& model, std::span<const float> direction);

}  // namespace knowscope

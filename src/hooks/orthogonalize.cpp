// Projecting a direction out of the embedding, W_O and W_down.
#include "knowscope/hooks/orthogonalize.h"

#include <cmath>
#include <memory>
#include <vector>

#include "knowscope/core/error.h"
#include "knowscope/core/parallel.h"
#include "knowscope/core/quant.h"

namespace knowscope {
namespace {

// An owned float32 copy of `w` (any dtype), registered in `storage`; returns its view.
TensorView owned_f32(const TensorView& w, std::vector<std::shared_ptr<const void>>& storage,
                     float*& data) {
  auto buf = std::make_shared<std::vector<float>>(size_t(w.numel()));
  const int64_t rows = w.rows(), cols = w.cols();
  parallel_for(
      rows,
      [&](int64_t b, int64_t e, int) {
        for (int64_t r = b; r < e; ++r)
          dequantize_row(w.dtype, w.row(r), buf->data() + r * cols, cols);
      },
      64);
  data = buf->data();
  TensorView v{w.name, DType::F32, w.shape, buf->data(), buf->size() * sizeof(float)};
  storage.push_back(buf);
  return v;
}

// W [d, n] <- W - u (u^T W): each column loses its component along u. Threads over columns.
void project_columns(float* W, int64_t d, int64_t n, const std::vector<double>& u) {
  parallel_for(
      n,
      [&](int64_t jb, int64_t je, int) {
        std::vector<double> ut_w(size_t(je - jb), 0.0);
        for (int64_t i = 0; i < d; ++i)
          for (int64_t j = jb; j < je; ++j) ut_w[size_t(j - jb)] += u[size_t(i)] * W[i * n + j];
        for (int64_t i = 0; i < d; ++i)
          for (int64_t j = jb; j < je; ++j)
            W[i * n + j] = float(W[i * n + j] - u[size_t(i)] * ut_w[size_t(j - jb)]);
      },
      64);
}

void project_vector(float* x, int64_t d, const std::vector<double>& u) {
  double dot = 0;
  for (int64_t i = 0; i < d; ++i) dot += double(x[i]) * u[size_t(i)];
  for (int64_t i = 0; i < d; ++i) x[i] = float(x[i] - dot * u[size_t(i)]);
}

}  // namespace

Model orthogonalize_weights(const Model& model, std::span<const float> direction) {
  const ModelConfig& c = model.config;
  const int64_t d = c.d_model;
  if (int64_t(direction.size()) != d)
    fail("orthogonalize", "direction",
         "has " + std::to_string(direction.size()) + " values, the model's d_model is " +
             std::to_string(d));
  double norm = 0;
  for (float x : direction) {
    if (!std::isfinite(x)) fail("orthogonalize", "direction", "holds a non-finite value");
    norm += double(x) * x;
  }
  norm = std::sqrt(norm);
  if (norm == 0) fail("orthogonalize", "direction", "is the zero vector");
  std::vector<double> u(static_cast<size_t>(d));
  for (int64_t i = 0; i < d; ++i) u[size_t(i)] = direction[size_t(i)] / norm;

  Model out = model;  // views and shared storage: cheap
  ModelWeights& w = out.weights;
  // The unembedding keeps the original view even when tied (out.weights.output is untouched).
  float* emb = nullptr;
  w.token_embd = owned_f32(model.weights.token_embd, w.storage, emb);
  parallel_for(
      w.token_embd.rows(),
      [&](int64_t b, int64_t e, int) {
        for (int64_t r = b; r < e; ++r) project_vector(emb + r * d, d, u);
      },
      256);
  for (int l = 0; l < c.n_layers; ++l) {
    LayerWeights& L = w.layers[size_t(l)];
    float* o = nullptr;
    float* down = nullptr;
    L.o = owned_f32(L.o, w.storage, o);
    project_columns(o, d, L.o.cols(), u);
    L.down = owned_f32(L.down, w.storage, down);
    project_columns(down, d, L.down.cols(), u);
    if (!L.o_bias.empty()) project_vector(L.o_bias.data(), d, u);
  }
  return out;
}

}  // namespace knowscope

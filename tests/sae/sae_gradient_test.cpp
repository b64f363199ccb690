// The trainer's analytic gradients against central finite differences of its own loss, for every
// architecture, both the sparse and the dense path, with and without b_dec subtracted from the
// input. (The JumpReLU threshold gradient is a pseudo-derivative and is checked against its
// formula.)
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "knowscope/sae/activations.h"
#include "sae/train_internal.h"

namespace knowscope {
namespace {
using sae_detail::Param;
using sae_detail::Trainer;

// Loss = MSE (+ AuxK for TopK variants when dead latents exist), sparsity coefficient 0.
double loss_of(Trainer& t, int64_t B) {
  sae_detail::StepOutput o = t.forward_backward(B, 0.0f);
  return o.mse + o.aux;
}

void check_grads(SaeTrainArch arch, bool sub_b_dec, int64_t S, float threshold_init,
                 bool want_dense, float b_enc_shift = 0.0f) {
  SCOPED_TRACE(std::string("arch ") + std::to_string(int(arch)) + " sub " +
               std::to_string(sub_b_dec) + " S " + std::to_string(S));
  Trainer t;
  t.cfg.arch = arch;
  t.cfg.d_sae = S;
  t.cfg.k = 3;
  t.cfg.apply_b_dec_to_input = sub_b_dec;
  t.cfg.bandwidth = 0.01f;
  t.cfg.dead_tokens = 10;
  const int64_t d = 6, B = 5;
  t.init_shapes(d);
  Rng rng(5 + S);
  for (Param* p : t.params())
    for (float& v : p->value) v = 0.5f * rng.normal();
  for (float& v : t.log_th.value) v = std::log(threshold_init);
  for (float& v : t.b_enc.value) v += b_enc_shift;
  t.x.resize(size_t(B * d));
  for (float& v : t.x) v = rng.normal();

  loss_of(t, B);
  EXPECT_EQ(t.last_dense, want_dense);
  std::vector<std::vector<float>> analytic;
  for (Param* p : t.params()) analytic.push_back(p->grad);
  const double h = 1e-3;
  int checked = 0;
  for (size_t pi = 0; pi < t.params().size(); ++pi) {
    Param* p = t.params()[pi];
    if (p->name == "log_threshold") continue;
    for (size_t i = 0; i < p->value.size(); i += std::max<size_t>(1, p->value.size() / 40)) {
      float keep = p->value[i];
      p->value[i] = float(keep + h);
      double up = loss_of(t, B);
      p->value[i] = float(keep - h);
      double down = loss_of(t, B);
      p->value[i] = keep;
      double fd = (up - down) / (2 * h);
      EXPECT_NEAR(analytic[pi][i], fd, 2e-3 + 2e-2 * std::fabs(fd)) << p->name << "[" << i << "]";
      ++checked;
    }
  }
  EXPECT_GT(checked, 30);
}

TEST(SaeGradient, ReluDenseAndSparse) {
  check_grads(SaeTrainArch::Relu, false, 10, 0.01f, true);
  check_grads(SaeTrainArch::Relu, true, 10, 0.01f, true);
  check_grads(SaeTrainArch::Relu, false, 400, 0.01f, false, -3.2f);  // few positive
  check_grads(SaeTrainArch::Relu, true, 400, 0.01f, false, -3.2f);
}

TEST(SaeGradient, JumpReluDenseAndSparse) {
  check_grads(SaeTrainArch::JumpRelu, false, 10, 0.2f, true);  // many above threshold
  check_grads(SaeTrainArch::JumpRelu, true, 10, 0.2f, true);
  check_grads(SaeTrainArch::JumpRelu, false, 400, 3.0f, false);  // few above threshold
  check_grads(SaeTrainArch::JumpRelu, true, 400, 3.0f, false);
}

TEST(SaeGradient, TopKAndBatchTopK) {
  check_grads(SaeTrainArch::TopK, false, 12, 0.01f, false);
  check_grads(SaeTrainArch::TopK, true, 12, 0.01f, false);
  check_grads(SaeTrainArch::BatchTopK, true, 12, 0.01f, false);
  check_grads(SaeTrainArch::BatchTopK, false, 400, 0.01f, false);
}

// AuxK and the pre-activation loss: the extra gradient when every latent is dead equals finite
// differences of an independent double-precision version of the extra loss (for AuxK with the
// residual x - x_hat held fixed: it is detached).
struct ExtraLossCase {
  SaeTrainArch arch;
  bool sub;
  int64_t S;
  float threshold;
  bool aux, preact;
};

void check_extra_loss(const ExtraLossCase& k) {
  SCOPED_TRACE("arch " + std::to_string(int(k.arch)) + " S " + std::to_string(k.S) + " aux " +
               std::to_string(k.aux) + " preact " + std::to_string(k.preact));
  Trainer t;
  t.cfg.arch = k.arch;
  t.cfg.d_sae = k.S;
  t.cfg.k = 3;
  t.cfg.apply_b_dec_to_input = k.sub;
  t.cfg.dead_tokens = 10;
  t.cfg.aux_k_coefficient = k.aux ? 0.5f : 0.0f;
  t.cfg.jumprelu_aux_k = k.aux;
  t.cfg.pre_act_loss_coefficient = k.preact ? 0.4f : 0.0f;
  t.cfg.bandwidth = 0.01f;
  const int64_t d = 6, B = 5, S = k.S;
  t.init_shapes(d);
  Rng rng(21 + S);
  for (Param* p : t.params())
    for (float& v : p->value) v = 0.5f * rng.normal();
  for (float& v : t.log_th.value) v = std::log(k.threshold);
  t.x.resize(size_t(B * d));
  for (float& v : t.x) v = rng.normal();
  t.forward_backward(B, 0.0f);
  std::vector<std::vector<float>> g0;
  for (Param* p : t.params()) g0.push_back(p->grad);
  std::vector<double> resid(size_t(B * d));
  for (size_t i = 0; i < resid.size(); ++i) resid[i] = double(t.x[i]) - t.x_hat[i];
  for (auto& c : t.tokens_since_fired) c = 1000;  // every latent dead
  sae_detail::StepOutput o = t.forward_backward(B, 0.0f);
  const int64_t k_aux = std::min<int64_t>(d / 2, S);

  auto extra_loss = [&]() {
    double aux = 0, pre_act = 0;
    for (int64_t r = 0; r < B; ++r) {
      std::vector<std::pair<double, int64_t>> pre(static_cast<size_t>(S));
      for (int64_t j = 0; j < S; ++j) {
        double p = t.b_enc.value[size_t(j)];
        for (int64_t i = 0; i < d; ++i)
          p += (double(t.x[size_t(r * d + i)]) - (k.sub ? t.b_dec.value[size_t(i)] : 0.0)) *
               t.W_encT.value[size_t(j * d + i)];
        pre[size_t(j)] = {p, j};
        if (k.preact) pre_act += std::max(0.0, std::exp(double(t.log_th.value[size_t(j)])) - p);
      }
      std::sort(pre.begin(), pre.end(), [](auto& a, auto& b) { return a.first > b.first; });
      std::vector<double> e(static_cast<size_t>(d), 0.0);
      for (int64_t q = 0; q < k_aux; ++q)
        for (int64_t i = 0; i < d; ++i)
          e[size_t(i)] +=
              pre[size_t(q)].first * t.W_dec.value[size_t(pre[size_t(q)].second * d + i)];
      for (int64_t i = 0; i < d; ++i) {
        double v = e[size_t(i)] - resid[size_t(r * d + i)];
        aux += v * v;
      }
    }
    return (k.aux ? 0.5 * aux / double(B) : 0.0) + (k.preact ? 0.4 * pre_act / double(B) : 0.0);
  };
  EXPECT_NEAR(o.aux, extra_loss(), 1e-4 * (1 + o.aux));
  const double h = 1e-3;
  int checked = 0;
  for (size_t pi = 0; pi < t.params().size(); ++pi) {
    Param* p = t.params()[pi];
    if (p->name == "b_dec" && !k.sub) continue;  // only the detached residual depends on it
    if (p->name == "log_threshold" && !k.preact) continue;  // STE only
    for (size_t i = 0; i < p->value.size(); i += std::max<size_t>(1, p->value.size() / 40)) {
      float keep = p->value[i];
      p->value[i] = float(keep + h);
      double up = extra_loss();
      p->value[i] = float(keep - h);
      double down = extra_loss();
      p->value[i] = keep;
      double fd = (up - down) / (2 * h);
      EXPECT_NEAR(p->grad[i] - g0[pi][i], fd, 2e-3 + 2e-2 * std::fabs(fd))
          << p->name << "[" << i << "]";
      ++checked;
    }
  }
  EXPECT_GT(checked, 20);
}

TEST(SaeGradient, AuxKAndPreActLosses) {
  for (bool sub : {false, true}) {
    check_extra_loss({SaeTrainArch::TopK, sub, 12, 0.01f, true, false});
    check_extra_loss({SaeTrainArch::JumpRelu, sub, 12, 0.05f, true, false});  // dense steps
    check_extra_loss({SaeTrainArch::JumpRelu, sub, 400, 3.0f, true, false});  // sparse steps
    check_extra_loss({SaeTrainArch::JumpRelu, sub, 12, 0.05f, false, true});
    check_extra_loss({SaeTrainArch::JumpRelu, sub, 400, 3.0f, false, true});
  }
}

// The threshold pseudo-gradient: sum over in-window pairs of -(theta/eps) * dL/dact (MSE part),
// times theta for the log parameterisation; with a sparsity coefficient, the L0 term
// -coef/(B eps) per in-window pair is added.
TEST(SaeGradient, JumpReluThresholdFormula) {
  for (int64_t S : {10, 400}) {
    Trainer t;
    t.cfg.arch = SaeTrainArch::JumpRelu;
    t.cfg.d_sae = S;
    t.cfg.bandwidth = 0.5f;  // wide window: many pairs inside
    const int64_t d = 6, B = 5;
    t.init_shapes(d);
    Rng rng(11);
    for (Param* p : t.params())
      for (float& v : p->value) v = 0.5f * rng.normal();
    for (float& v : t.log_th.value) v = std::log(S == 10 ? 0.3f : 1.2f);
    t.x.resize(size_t(B * d));
    for (float& v : t.x) v = rng.normal();
    const float coef = 0.7f;
    t.forward_backward(B, coef);
    // Recompute from scratch: pre, x_hat, dL/dact = 2 (x_hat - x) . W_dec[j] / B.
    for (int64_t j = 0; j < S; ++j) {
      double th = std::exp(double(t.log_th.value[size_t(j)])), eps = t.cfg.bandwidth, g_th = 0;
      for (int64_t r = 0; r < B; ++r) {
        std::vector<double> xh(t.b_dec.value.begin(), t.b_dec.value.end());
        for (int64_t q = 0; q < S; ++q) {
          double pre = t.b_enc.value[size_t(q)];
          for (int64_t i = 0; i < d; ++i)
            pre += double(t.x[size_t(r * d + i)]) * t.W_encT.value[size_t(q * d + i)];
          if (pre > std::exp(double(t.log_th.value[size_t(q)])))
            for (int64_t i = 0; i < d; ++i) xh[size_t(i)] += pre * t.W_dec.value[size_t(q * d + i)];
        }
        double pre_j = t.b_enc.value[size_t(j)], g_act = 0;
        for (int64_t i = 0; i < d; ++i)
          pre_j += double(t.x[size_t(r * d + i)]) * t.W_encT.value[size_t(j * d + i)];
        for (int64_t i = 0; i < d; ++i)
          g_act += 2.0 * (xh[size_t(i)] - t.x[size_t(r * d + i)]) / double(B) *
                   t.W_dec.value[size_t(j * d + i)];
        if (std::fabs(pre_j - th) < eps / 2) g_th += -(th / eps) * g_act - coef / (double(B) * eps);
      }
      EXPECT_NEAR(t.log_th.grad[size_t(j)], g_th * th, 1e-3 + 1e-3 * std::fabs(g_th * th))
          << "latent " << j;
    }
  }
}

}  // namespace
}  // namespace knowscope

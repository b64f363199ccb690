// One training step: forward, losses and gradients of every parameter, then Adam with the unit-norm
// decoder constraint. Two paths with the same math: a sparse one that touches only the (row,
// latent) pairs that matter, and a dense one (four more sgemms) for JumpReLU/ReLU while most
// latents fire.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "gemm.h"
#include "knowscope/core/ops.h"
#include "knowscope/core/parallel.h"
#include "topk.h"
#include "train_internal.h"

namespace knowscope::sae_detail {
namespace {

// Above this fraction of active (row, latent) pairs the dense path is faster.
constexpr double kDenseDensity = 0.05;

}  // namespace

std::vector<Param*> Trainer::params() {
  std::vector<Param*> p = {&W_encT, &b_enc, &W_dec, &b_dec};
  if (cfg.arch == SaeTrainArch::JumpRelu) p.push_back(&log_th);
  return p;
}

void Trainer::init_shapes(int64_t d_in) {
  d = d_in;
  S = cfg.d_sae;
  W_encT.resize(size_t(S * d));
  b_enc.resize(size_t(S));
  W_dec.resize(size_t(S * d));
  b_dec.resize(size_t(d));
  if (cfg.arch == SaeTrainArch::JumpRelu) log_th.resize(size_t(S));
  tokens_since_fired.assign(size_t(S), 0);
  window_fires.assign(size_t(S), 0);
  fired.assign(size_t(S), 0);
}

StepOutput Trainer::forward_backward(int64_t B, float coef) {
  StepOutput out;
  const bool sub_b_dec = cfg.apply_b_dec_to_input;
  const SaeTrainArch arch = cfg.arch;
  const bool jump = arch == SaeTrainArch::JumpRelu;
  const float eps = cfg.bandwidth;

  // x_in = x - b_dec (optionally); pre = x_in . W_enc + b_enc.
  const float* xin = x.data();
  if (sub_b_dec) {
    x_in.resize(size_t(B * d));
    parallel_for(
        B,
        [&](int64_t r0, int64_t r1, int) {
          for (int64_t r = r0; r < r1; ++r)
            for (int64_t i = 0; i < d; ++i)
              x_in[size_t(r * d + i)] = x[size_t(r * d + i)] - b_dec.value[size_t(i)];
        },
        16);
    xin = x_in.data();
  }
  pre.resize(size_t(B * S));
  parallel_for(
      B,
      [&](int64_t r0, int64_t r1, int) {
        for (int64_t r = r0; r < r1; ++r)
          std::memcpy(pre.data() + r * S, b_enc.value.data(), size_t(S) * 4);
      },
      16);
  gemm(false, true, B, S, d, xin, d, W_encT.value.data(), d, 1.0f, pre.data(), S);

  std::vector<float> theta;
  if (jump) {
    theta.resize(size_t(S));
    for (int64_t j = 0; j < S; ++j) theta[size_t(j)] = std::exp(log_th.value[size_t(j)]);
  }
  auto is_active = [&](float p, int64_t j) { return jump ? p > theta[size_t(j)] : p > 0.0f; };

  // Which path: count active pairs (JumpReLU/ReLU); TopK variants are sparse by construction.
  bool dense = false;
  int64_t n_active = 0;
  if (arch == SaeTrainArch::JumpRelu || arch == SaeTrainArch::Relu) {
    std::vector<int64_t> counts(static_cast<size_t>(B));
    parallel_for(
        B,
        [&](int64_t r0, int64_t r1, int) {
          for (int64_t r = r0; r < r1; ++r) {
            const float* p = pre.data() + r * S;
            int64_t c = 0;
            if (jump)
              for (int64_t j = 0; j < S; ++j) c += p[j] > theta[size_t(j)];
            else
              for (int64_t j = 0; j < S; ++j) c += p[j] > 0.0f;
            counts[size_t(r)] = c;
          }
        },
        8);
    for (int64_t c : counts) n_active += c;
    dense = double(n_active) > kDenseDensity * double(B) * double(S);
  }
  last_dense = dense;

  // ---- Candidate entries (sparse path) -------------------------------------------------------
  row_ptr.assign(size_t(B) + 1, 0);
  entries.clear();
  if (!dense) {
    if (arch == SaeTrainArch::JumpRelu || arch == SaeTrainArch::Relu) {
      // JumpReLU keeps latents within half a bandwidth below the threshold: their threshold
      // gradient is nonzero.
      std::vector<int64_t> counts(static_cast<size_t>(B));
      parallel_for(
          B,
          [&](int64_t r0, int64_t r1, int) {
            for (int64_t r = r0; r < r1; ++r) {
              const float* p = pre.data() + r * S;
              int64_t c = 0;
              if (jump)
                for (int64_t j = 0; j < S; ++j) c += p[j] > theta[size_t(j)] - 0.5f * eps;
              else
                for (int64_t j = 0; j < S; ++j) c += p[j] > 0.0f;
              counts[size_t(r)] = c;
            }
          },
          8);
      for (int64_t r = 0; r < B; ++r)
        row_ptr[size_t(r) + 1] = row_ptr[size_t(r)] + counts[size_t(r)];
      entries.resize(size_t(row_ptr[size_t(B)]));
      parallel_for(
          B,
          [&](int64_t r0, int64_t r1, int) {
            for (int64_t r = r0; r < r1; ++r) {
              const float* p = pre.data() + r * S;
              size_t o = size_t(row_ptr[size_t(r)]);
              for (int64_t j = 0; j < S; ++j) {
                bool keep = jump ? p[j] > theta[size_t(j)] - 0.5f * eps : p[j] > 0.0f;
                if (keep)
                  entries[o++] = {int32_t(j), p[j], is_active(p[j], j) ? p[j] : 0.0f, 0, 0, 0};
              }
            }
          },
          8);
    } else if (arch == SaeTrainArch::TopK) {
      const int64_t k = std::min(cfg.k, S);
      std::vector<std::vector<Entry>> per_row(static_cast<size_t>(B));
      parallel_for(
          B,
          [&](int64_t r0, int64_t r1, int) {
            TopKHeap heap;
            for (int64_t r = r0; r < r1; ++r) {
              heap.select(pre.data() + r * S, S, k);
              auto& v = per_row[size_t(r)];
              v.clear();
              for (const auto& it : heap.items)
                if (it.value > 0.0f) v.push_back({it.index, it.value, it.value, 0, 0, 0});
              std::sort(v.begin(), v.end(),
                        [](const Entry& a, const Entry& b) { return a.latent < b.latent; });
            }
          },
          8);
      for (int64_t r = 0; r < B; ++r) {
        row_ptr[size_t(r) + 1] = row_ptr[size_t(r)] + int64_t(per_row[size_t(r)].size());
        entries.insert(entries.end(), per_row[size_t(r)].begin(), per_row[size_t(r)].end());
      }
    } else {  // BatchTopK: the k * B largest relu(pre) of the whole batch
      const int64_t K = std::min<int64_t>(cfg.k * B, B * S);
      int64_t m = std::min<int64_t>(S, std::max<int64_t>(4 * cfg.k, 16));
      std::vector<std::vector<Entry>> per_row(static_cast<size_t>(B));
      std::vector<uint8_t> redo(size_t(B), 1);
      struct Cand {
        float v;
        int32_t row, latent;
      };
      std::vector<Cand> cand;
      for (;;) {
        parallel_for(
            B,
            [&](int64_t r0, int64_t r1, int) {
              TopKHeap heap;
              for (int64_t r = r0; r < r1; ++r) {
                if (!redo[size_t(r)]) continue;
                heap.select(pre.data() + r * S, S, m);
                auto& v = per_row[size_t(r)];
                v.clear();
                for (const auto& it : heap.items)
                  if (it.value > 0.0f) v.push_back({it.index, it.value, it.value, 0, 0, 0});
              }
            },
            8);
        cand.clear();
        for (int64_t r = 0; r < B; ++r)
          for (const Entry& e : per_row[size_t(r)]) cand.push_back({e.pre, int32_t(r), e.latent});
        auto better = [](const Cand& a, const Cand& b) {
          return a.v > b.v ||
                 (a.v == b.v && (a.row < b.row || (a.row == b.row && a.latent < b.latent)));
        };
        int64_t take = std::min<int64_t>(K, int64_t(cand.size()));
        if (take < int64_t(cand.size()))
          std::nth_element(cand.begin(), cand.begin() + take, cand.end(), better);
        cand.resize(size_t(take));
        // A row whose every candidate was taken may hold more: widen its candidates and redo.
        std::vector<int64_t> taken(size_t(B), 0);
        for (const Cand& c : cand) ++taken[size_t(c.row)];
        bool again = false;
        for (int64_t r = 0; r < B; ++r) {
          redo[size_t(r)] = m < S && taken[size_t(r)] == m;
          again |= bool(redo[size_t(r)]);
        }
        if (!again) break;
        m = std::min(S, 4 * m);
      }
      std::sort(cand.begin(), cand.end(), [](const Cand& a, const Cand& b) {
        return a.row < b.row || (a.row == b.row && a.latent < b.latent);
      });
      double min_pos = 0;
      bool any = false;
      for (const Cand& c : cand) {
        entries.push_back({c.latent, c.v, c.v, 0, 0, 0});
        ++row_ptr[size_t(c.row) + 1];
        if (!any || c.v < min_pos) min_pos = c.v;
        any = true;
      }
      for (int64_t r = 0; r < B; ++r) row_ptr[size_t(r) + 1] += row_ptr[size_t(r)];
      if (any) {
        double lr = cfg.batch_topk_threshold_lr;
        batch_topk_threshold = (1 - lr) * batch_topk_threshold + lr * min_pos;
      }
    }
  }

  // ---- Reconstruction -------------------------------------------------------------------------
  x_hat.resize(size_t(B * d));
  dx_hat.resize(size_t(B * d));
  if (dense) {
    acts.resize(size_t(B * S));
    parallel_for(
        B,
        [&](int64_t r0, int64_t r1, int) {
          for (int64_t r = r0; r < r1; ++r) {
            const float* p = pre.data() + r * S;
            float* a = acts.data() + r * S;
            if (jump)
              for (int64_t j = 0; j < S; ++j) a[j] = p[j] > theta[size_t(j)] ? p[j] : 0.0f;
            else
              for (int64_t j = 0; j < S; ++j) a[j] = p[j] > 0.0f ? p[j] : 0.0f;
            std::memcpy(x_hat.data() + r * d, b_dec.value.data(), size_t(d) * 4);
          }
        },
        8);
    gemm(false, false, B, d, S, acts.data(), S, W_dec.value.data(), d, 1.0f, x_hat.data(), d);
  } else {
    parallel_for(
        B,
        [&](int64_t r0, int64_t r1, int) {
          for (int64_t r = r0; r < r1; ++r) {
            float* o = x_hat.data() + r * d;
            std::memcpy(o, b_dec.value.data(), size_t(d) * 4);
            for (int64_t e = row_ptr[size_t(r)]; e < row_ptr[size_t(r) + 1]; ++e)
              if (entries[size_t(e)].act != 0.0f)
                axpy(entries[size_t(e)].act,
                     W_dec.value.data() + int64_t(entries[size_t(e)].latent) * d, o, d);
          }
        },
        8);
    n_active = 0;
    for (const Entry& e : entries) n_active += e.act != 0.0f;
  }

  // MSE = mean_b ||x_hat - x||^2; dL/dx_hat = 2 (x_hat - x) / B.
  std::vector<double> row_err(static_cast<size_t>(B)), row_sq(static_cast<size_t>(B));
  const float two_over_b = 2.0f / float(B);
  parallel_for(
      B,
      [&](int64_t r0, int64_t r1, int) {
        for (int64_t r = r0; r < r1; ++r) {
          double se = 0, sx = 0;
          for (int64_t i = 0; i < d; ++i) {
            float xv = x[size_t(r * d + i)];
            float e = x_hat[size_t(r * d + i)] - xv;
            dx_hat[size_t(r * d + i)] = two_over_b * e;
            se += double(e) * e;
            sx += double(xv) * xv;
          }
          row_err[size_t(r)] = se;
          row_sq[size_t(r)] = sx;
        }
      },
      8);
  for (int64_t r = 0; r < B; ++r) {
    out.sum_sq_err += row_err[size_t(r)];
    out.sum_sq_x += row_sq[size_t(r)];
  }
  out.sum_x.assign(size_t(d), 0.0);
  for (int64_t r = 0; r < B; ++r)
    for (int64_t i = 0; i < d; ++i) out.sum_x[size_t(i)] += x[size_t(r * d + i)];
  out.mse = out.sum_sq_err / double(B);
  out.l0 = double(n_active) / double(B);
  if (jump || arch == SaeTrainArch::Relu) out.sparsity = double(coef) * out.l0;
  if (arch == SaeTrainArch::Relu) {  // L1 of the activations (decoder rows have unit norm)
    double l1 = 0;
    if (dense) {
      for (float a : acts) l1 += a;
    } else {
      for (const Entry& e : entries) l1 += e.act;
    }
    out.sparsity = double(coef) * l1 / double(B);
  }

  // ---- Backward -------------------------------------------------------------------------------
  // AuxK: the top aux_k dead latents (by pre-activation) reconstruct the residual x - x_hat.
  aux_entries.clear();
  aux_ptr.assign(size_t(B) + 1, 0);
  if (arch == SaeTrainArch::TopK || arch == SaeTrainArch::BatchTopK ||
      (jump && cfg.jumprelu_aux_k)) {
    std::vector<int32_t> dead;
    for (int64_t j = 0; j < S; ++j)
      if (tokens_since_fired[size_t(j)] > cfg.dead_tokens) dead.push_back(int32_t(j));
    int64_t k_aux = cfg.aux_k > 0 ? cfg.aux_k : d / 2;
    if (!dead.empty() && cfg.aux_k_coefficient > 0 && k_aux > 0) {
      const double scale = std::min(double(dead.size()) / double(k_aux), 1.0);
      k_aux = std::min<int64_t>(k_aux, int64_t(dead.size()));
      std::vector<std::vector<Entry>> per_row(static_cast<size_t>(B));
      aux_recon.resize(size_t(B * d));
      std::vector<double> aux_row(static_cast<size_t>(B));
      const float c = float(2.0 * cfg.aux_k_coefficient * scale / double(B));
      parallel_for(
          B,
          [&](int64_t r0, int64_t r1, int) {
            TopKHeap heap;
            std::vector<float> vals(dead.size());
            for (int64_t r = r0; r < r1; ++r) {
              const float* p = pre.data() + r * S;
              for (size_t q = 0; q < dead.size(); ++q) vals[q] = p[dead[q]];
              heap.select(vals.data(), int64_t(vals.size()), k_aux);
              auto& v = per_row[size_t(r)];
              v.clear();
              for (const auto& it : heap.items) {
                int32_t j = dead[size_t(it.index)];
                v.push_back({j, it.value, it.value, 0, 0, 0});
              }
              std::sort(v.begin(), v.end(),
                        [](const Entry& a, const Entry& b) { return a.latent < b.latent; });
              float* ar = aux_recon.data() + r * d;
              std::fill(ar, ar + d, 0.0f);
              for (const Entry& en : v)
                axpy(en.pre, W_dec.value.data() + int64_t(en.latent) * d, ar, d);
              // e = aux_recon - (x - x_hat); the residual is a constant (detached).
              double se = 0;
              for (int64_t i = 0; i < d; ++i) {
                float e = ar[i] - (x[size_t(r * d + i)] - x_hat[size_t(r * d + i)]);
                se += double(e) * e;
                ar[i] = c * e;  // dL/daux_recon
              }
              aux_row[size_t(r)] = se;
              for (Entry& en : v) {
                en.g = dot_f32(ar, W_dec.value.data() + int64_t(en.latent) * d, d);
                en.dpre = en.g;  // aux activations are the raw pre-activations
              }
            }
          },
          8);
      double se = 0;
      for (double v : aux_row) se += v;
      out.aux = cfg.aux_k_coefficient * scale * se / double(B);
      for (int64_t r = 0; r < B; ++r) {
        aux_ptr[size_t(r) + 1] = aux_ptr[size_t(r)] + int64_t(per_row[size_t(r)].size());
        aux_entries.insert(aux_entries.end(), per_row[size_t(r)].begin(), per_row[size_t(r)].end());
      }
    }
  }

  std::fill(fired.begin(), fired.end(), 0);
  const float l0_term = -coef / (float(B) * eps);  // d(L0 loss)/dtheta per in-window pair
  const float l1_term = coef / float(B);
  for (float& g : log_th.grad) g = 0.0f;
  if (dense) {
    G.resize(size_t(B * S));
    gemm(false, true, B, S, d, dx_hat.data(), d, W_dec.value.data(), d, 0.0f, G.data(), S);
    // Column-parallel so that every latent's sums run over rows in order (deterministic).
    parallel_for(
        S,
        [&](int64_t j0, int64_t j1, int) {
          for (int64_t j = j0; j < j1; ++j) {
            b_enc.grad[size_t(j)] = 0.0f;
            if (jump) log_th.grad[size_t(j)] = 0.0f;
          }
          for (int64_t r = 0; r < B; ++r) {
            const float* p = pre.data() + r * S;
            float* g = G.data() + r * S;
            for (int64_t j = j0; j < j1; ++j) {
              float th = jump ? theta[size_t(j)] : 0.0f;
              bool act = p[j] > th;
              if (jump && std::fabs(p[j] - th) < 0.5f * eps)
                log_th.grad[size_t(j)] += -(th / eps) * g[j] + l0_term;
              float dp = act ? g[j] + (jump ? 0.0f : l1_term) : 0.0f;
              g[j] = dp;
              b_enc.grad[size_t(j)] += dp;
              fired[size_t(j)] += act;
            }
          }
          if (jump)
            for (int64_t j = j0; j < j1; ++j) log_th.grad[size_t(j)] *= theta[size_t(j)];
        },
        64);
    gemm(true, false, S, d, B, acts.data(), S, dx_hat.data(), d, 0.0f, W_dec.grad.data(), d);
    gemm(true, false, S, d, B, G.data(), S, xin, d, 0.0f, W_encT.grad.data(), d);
    if (!aux_entries.empty()) {  // AuxK entries on top, latent by latent
      col_ptr.assign(size_t(S) + 1, 0);
      for (const Entry& e : aux_entries) ++col_ptr[size_t(e.latent) + 1];
      for (int64_t j = 0; j < S; ++j) col_ptr[size_t(j) + 1] += col_ptr[size_t(j)];
      cols.resize(size_t(col_ptr[size_t(S)]));
      std::vector<int64_t> fill(col_ptr.begin(), col_ptr.end() - 1);
      for (int64_t r = 0; r < B; ++r)
        for (int64_t e = aux_ptr[size_t(r)]; e < aux_ptr[size_t(r) + 1]; ++e)
          cols[size_t(fill[size_t(aux_entries[size_t(e)].latent)]++)] = {int32_t(r),
                                                                         int32_t(-1 - e)};
      parallel_for(
          S,
          [&](int64_t j0, int64_t j1, int) {
            for (int64_t j = j0; j < j1; ++j)
              for (int64_t q = col_ptr[size_t(j)]; q < col_ptr[size_t(j) + 1]; ++q) {
                const ColItem& c = cols[size_t(q)];
                const Entry& en = aux_entries[size_t(-1 - c.entry)];
                axpy(en.pre, aux_recon.data() + int64_t(c.row) * d, W_dec.grad.data() + j * d, d);
                axpy(en.dpre, xin + int64_t(c.row) * d, W_encT.grad.data() + j * d, d);
                b_enc.grad[size_t(j)] += en.dpre;
              }
          },
          16);
    }
  } else {
    // dL/dact for every entry, then dL/dpre and the threshold terms.
    parallel_for(
        B,
        [&](int64_t r0, int64_t r1, int) {
          for (int64_t r = r0; r < r1; ++r) {
            const float* dx = dx_hat.data() + r * d;
            for (int64_t e = row_ptr[size_t(r)]; e < row_ptr[size_t(r) + 1]; ++e) {
              Entry& en = entries[size_t(e)];
              en.g = dot_f32(dx, W_dec.value.data() + int64_t(en.latent) * d, d);
              bool act = en.act != 0.0f;
              en.dpre = act ? en.g + (arch == SaeTrainArch::Relu ? l1_term : 0.0f) : 0.0f;
              if (jump) {
                float th = theta[size_t(en.latent)];
                en.dth = std::fabs(en.pre - th) < 0.5f * eps ? -(th / eps) * en.g + l0_term : 0.0f;
              }
            }
          }
        },
        8);
    for (const Entry& e : entries)
      if (e.act != 0.0f) ++fired[size_t(e.latent)];

    // Per-latent lists (rows ascending), then each latent's gradients in parallel.
    col_ptr.assign(size_t(S) + 1, 0);
    for (const Entry& e : entries) ++col_ptr[size_t(e.latent) + 1];
    for (const Entry& e : aux_entries) ++col_ptr[size_t(e.latent) + 1];
    for (int64_t j = 0; j < S; ++j) col_ptr[size_t(j) + 1] += col_ptr[size_t(j)];
    cols.resize(size_t(col_ptr[size_t(S)]));
    {
      std::vector<int64_t> fill(col_ptr.begin(), col_ptr.end() - 1);
      for (int64_t r = 0; r < B; ++r) {
        for (int64_t e = row_ptr[size_t(r)]; e < row_ptr[size_t(r) + 1]; ++e)
          cols[size_t(fill[size_t(entries[size_t(e)].latent)]++)] = {int32_t(r), int32_t(e)};
        for (int64_t e = aux_ptr[size_t(r)]; e < aux_ptr[size_t(r) + 1]; ++e)
          cols[size_t(fill[size_t(aux_entries[size_t(e)].latent)]++)] = {int32_t(r),
                                                                         int32_t(-1 - e)};
      }
    }
    parallel_for(
        S,
        [&](int64_t j0, int64_t j1, int) {
          for (int64_t j = j0; j < j1; ++j) {
            float* gdec = W_dec.grad.data() + j * d;
            float* genc = W_encT.grad.data() + j * d;
            std::fill(gdec, gdec + d, 0.0f);
            std::fill(genc, genc + d, 0.0f);
            float gb = 0.0f, gth = 0.0f;
            for (int64_t q = col_ptr[size_t(j)]; q < col_ptr[size_t(j) + 1]; ++q) {
              const ColItem& c = cols[size_t(q)];
              const float* xr = xin + int64_t(c.row) * d;
              if (c.entry >= 0) {
                const Entry& en = entries[size_t(c.entry)];
                if (en.act != 0.0f) axpy(en.act, dx_hat.data() + int64_t(c.row) * d, gdec, d);
                if (en.dpre != 0.0f) axpy(en.dpre, xr, genc, d);
                gb += en.dpre;
                gth += en.dth;
              } else {
                const Entry& en = aux_entries[size_t(-1 - c.entry)];
                axpy(en.pre, aux_recon.data() + int64_t(c.row) * d, gdec, d);
                axpy(en.dpre, xr, genc, d);
                gb += en.dpre;
              }
            }
            b_enc.grad[size_t(j)] = gb;
            if (jump) log_th.grad[size_t(j)] = gth * theta[size_t(j)];
          }
        },
        16);
  }

  // Pre-activation loss on dead JumpReLU latents: c * mean_b sum_{j dead} relu(theta_j - pre_bj).
  // d/dpre = -c/B where pre < theta; d/dtheta = +c/B there. Rows above the threshold are rare for
  // a dead latent, so the W_enc gradient is -c/B (sum of all rows - rows above theta).
  if (jump && cfg.pre_act_loss_coefficient > 0) {
    std::vector<int32_t> dead;
    for (int64_t j = 0; j < S; ++j)
      if (tokens_since_fired[size_t(j)] > cfg.dead_tokens) dead.push_back(int32_t(j));
    if (!dead.empty()) {
      const float c = cfg.pre_act_loss_coefficient / float(B);
      std::vector<float> sum_rows(static_cast<size_t>(d), 0.0f);
      for (int64_t r = 0; r < B; ++r) axpy(1.0f, xin + r * d, sum_rows.data(), d);
      std::vector<double> loss_part(dead.size(), 0.0);
      parallel_for(
          int64_t(dead.size()),
          [&](int64_t q0, int64_t q1, int) {
            for (int64_t q = q0; q < q1; ++q) {
              const int64_t j = dead[size_t(q)];
              const float th = theta[size_t(j)];
              float* genc = W_encT.grad.data() + j * d;
              axpy(-c, sum_rows.data(), genc, d);
              int64_t below = 0;
              double l = 0;
              for (int64_t r = 0; r < B; ++r) {
                float p = pre[size_t(r * S + j)];
                if (p < th) {
                  ++below;
                  l += th - p;
                } else {
                  axpy(c, xin + r * d, genc, d);  // this row is not in the loss
                }
              }
              b_enc.grad[size_t(j)] -= c * float(below);
              log_th.grad[size_t(j)] += c * float(below) * th;
              loss_part[size_t(q)] = l;
            }
          },
          4);
      double l = 0;
      for (double v : loss_part) l += v;
      out.aux = cfg.pre_act_loss_coefficient * l / double(B);
    }
  }

  // b_dec: through the output, and through the input when x_in = x - b_dec.
  parallel_for(
      d,
      [&](int64_t i0, int64_t i1, int) {
        for (int64_t i = i0; i < i1; ++i) {
          float g = 0.0f;
          for (int64_t r = 0; r < B; ++r) g += dx_hat[size_t(r * d + i)];
          b_dec.grad[size_t(i)] = g;
        }
        if (sub_b_dec) {
          for (int64_t j = 0; j < S; ++j) {
            float gb = b_enc.grad[size_t(j)];
            if (gb == 0.0f) continue;
            const float* w = W_encT.value.data() + j * d;
            for (int64_t i = i0; i < i1; ++i) b_dec.grad[size_t(i)] -= gb * w[i];
          }
        }
      },
      16);
  return out;
}

void Trainer::adam_update(float lr) {
  // Keep decoder rows on the unit sphere: drop the radial part of their gradient first.
  parallel_for(
      S,
      [&](int64_t j0, int64_t j1, int) {
        for (int64_t j = j0; j < j1; ++j) {
          float* g = W_dec.grad.data() + j * d;
          const float* w = W_dec.value.data() + j * d;
          float gw = dot_f32(g, w, d);
          if (gw != 0.0f) axpy(-gw, w, g, d);
        }
      },
      64);
  const double t = double(step + 1);
  const float bc1 = float(1.0 - std::pow(double(cfg.adam_beta1), t));
  const float bc2 = float(1.0 - std::pow(double(cfg.adam_beta2), t));
  const float b1 = cfg.adam_beta1, b2 = cfg.adam_beta2, eps = cfg.adam_eps;
  for (Param* p : params()) {
    const int64_t n = int64_t(p->value.size());
    parallel_for(
        n,
        [&](int64_t i0, int64_t i1, int) {
          float* v = p->value.data();
          const float* g = p->grad.data();
          float* m = p->m.data();
          float* s = p->v.data();
          for (int64_t i = i0; i < i1; ++i) {
            m[i] = b1 * m[i] + (1.0f - b1) * g[i];
            s[i] = b2 * s[i] + (1.0f - b2) * g[i] * g[i];
            v[i] -= lr * (m[i] / bc1) / (std::sqrt(s[i] / bc2) + eps);
          }
        },
        4096);
  }
  parallel_for(
      S,
      [&](int64_t j0, int64_t j1, int) {
        for (int64_t j = j0; j < j1; ++j) {
          float* w = W_dec.value.data() + j * d;
          float n = std::sqrt(dot_f32(w, w, d));
          if (n > 0.0f)
            for (int64_t i = 0; i < d; ++i) w[i] /= n;
        }
      },
      64);
}

}  // namespace knowscope::sae_detail

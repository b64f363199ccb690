// L2-regularised logistic regression by L-BFGS on sklearn's objective
//   C * sum_i w_i log(1 + exp(-y_i (coef . x_i + b))) + 0.5 |coef|^2,   y_i in {-1, +1}.
#include <algorithm>
#include <cmath>
#include <deque>
#include <string>

#include "knowscope/core/error.h"
#include "knowscope/study/stats.h"

namespace knowscope::study {
namespace {

// log(1 + exp(-m)) without overflow.
double log1p_exp_neg(double m) {
  return m > 0 ? std::log1p(std::exp(-m)) : -m + std::log1p(std::exp(m));
}
double sigmoid(double z) {
  if (z >= 0) return 1 / (1 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1 + e);
}

struct Problem {
  std::span<const float> x;
  size_t rows, cols;
  std::vector<double> target;  // 0 or 1
  std::vector<double> weight;  // C * sample weight
  bool intercept;

  // params = coef (cols) then the intercept when fitted; fills grad, returns the objective.
  double eval(const std::vector<double>& p, std::vector<double>& grad) const {
    std::fill(grad.begin(), grad.end(), 0.0);
    double f = 0;
    const double b = intercept ? p[cols] : 0;
    for (size_t r = 0; r < rows; ++r) {
      const float* xr = x.data() + r * cols;
      double z = b;
      for (size_t c = 0; c < cols; ++c) z += p[c] * xr[c];
      const double y = target[r] > 0.5 ? 1 : -1;
      f += weight[r] * log1p_exp_neg(y * z);
      const double g = weight[r] * (sigmoid(z) - target[r]);
      for (size_t c = 0; c < cols; ++c) grad[c] += g * xr[c];
      if (intercept) grad[cols] += g;
    }
    for (size_t c = 0; c < cols; ++c) {
      f += 0.5 * p[c] * p[c];
      grad[c] += p[c];
    }
    return f;
  }
};

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}
// Where the line search finds no decrease left, the gradient is as small as rounding allows;
// count that as converged when it is this small relative to the objective.
constexpr double kFloorTolerance = 1e-5;

double max_abs(const std::vector<double>& a) {
  double m = 0;
  for (double v : a) m = std::max(m, std::fabs(v));
  return m;
}

}  // namespace

LogisticModel fit_logistic(std::span<const float> x, size_t rows, size_t cols,
                           std::span<const int> labels, const LogisticOptions& options) {
  const char* where = "fit_logistic";
  if (x.size() != rows * cols) fail(where, "x", "size is not rows * cols");
  if (labels.size() != rows) fail(where, "labels", "size is not rows");
  if (!(options.C > 0)) fail(where, "C", "must be positive");
  size_t n_pos = 0;
  for (size_t r = 0; r < rows; ++r) {
    if (labels[r] != 0 && labels[r] != 1)
      fail(where, "labels[" + std::to_string(r) + "]", "must be 0 or 1");
    n_pos += labels[r] == 1;
  }
  if (n_pos == 0 || n_pos == rows) fail(where, "labels", "needs rows of both classes");

  Problem prob{x, rows, cols, {}, {}, options.fit_intercept};
  prob.target.resize(rows);
  prob.weight.resize(rows);
  const double n = static_cast<double>(rows);
  const double w_pos = options.balanced ? n / (2.0 * static_cast<double>(n_pos)) : 1.0;
  const double w_neg = options.balanced ? n / (2.0 * static_cast<double>(rows - n_pos)) : 1.0;
  for (size_t r = 0; r < rows; ++r) {
    prob.target[r] = labels[r];
    prob.weight[r] = options.C * (labels[r] == 1 ? w_pos : w_neg);
  }

  const size_t dim = cols + (options.fit_intercept ? 1 : 0);
  std::vector<double> p(dim, 0.0), g(dim), p_new(dim), g_new(dim), dir(dim);
  double f = prob.eval(p, g);
  constexpr size_t memory = 10;
  std::deque<std::vector<double>> s_hist, y_hist;
  std::deque<double> rho_hist;

  LogisticModel model;
  for (int it = 0; it < options.max_iter; ++it) {
    model.iterations = it;
    if (max_abs(g) <= options.gradient_tolerance * std::max(1.0, std::fabs(f))) {
      model.converged = true;
      break;
    }
    // two-loop recursion: dir = -H g
    dir = g;
    std::vector<double> alpha(s_hist.size());
    for (size_t k = s_hist.size(); k-- > 0;) {
      alpha[k] = rho_hist[k] * dot(s_hist[k], dir);
      for (size_t i = 0; i < dim; ++i) dir[i] -= alpha[k] * y_hist[k][i];
    }
    const double gamma =
        s_hist.empty() ? 1.0 / std::max(1.0, std::sqrt(dot(g, g)))
                       : dot(s_hist.back(), y_hist.back()) / dot(y_hist.back(), y_hist.back());
    for (double& v : dir) v *= gamma;
    for (size_t k = 0; k < s_hist.size(); ++k) {
      const double beta = rho_hist[k] * dot(y_hist[k], dir);
      for (size_t i = 0; i < dim; ++i) dir[i] += (alpha[k] - beta) * s_hist[k][i];
    }
    for (double& v : dir) v = -v;
    double slope = dot(g, dir);
    if (slope >= 0) {  // not a descent direction: restart from steepest descent
      s_hist.clear(), y_hist.clear(), rho_hist.clear();
      for (size_t i = 0; i < dim; ++i) dir[i] = -g[i] / std::max(1.0, std::sqrt(dot(g, g)));
      slope = dot(g, dir);
    }
    // backtracking line search (Armijo)
    double step = 1, f_new = f;
    bool accepted = false;
    for (int ls = 0; ls < 60; ++ls) {
      for (size_t i = 0; i < dim; ++i) p_new[i] = p[i] + step * dir[i];
      f_new = prob.eval(p_new, g_new);
      // Armijo, and a strict decrease: near the optimum rounding makes f_new == f pass Armijo
      // with no progress at all.
      if (f_new <= f + 1e-4 * step * slope && f_new < f) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) {  // no decrease left at double precision: as close as we can get
      model.converged = max_abs(g) <= kFloorTolerance * std::max(1.0, std::fabs(f));
      break;
    }
    std::vector<double> s(dim), y(dim);
    for (size_t i = 0; i < dim; ++i) {
      s[i] = p_new[i] - p[i];
      y[i] = g_new[i] - g[i];
    }
    const double sy = dot(s, y);
    if (sy > 1e-12 * std::sqrt(dot(s, s) * dot(y, y))) {
      s_hist.push_back(std::move(s));
      y_hist.push_back(std::move(y));
      rho_hist.push_back(1.0 / sy);
      if (s_hist.size() > memory) {
        s_hist.pop_front(), y_hist.pop_front(), rho_hist.pop_front();
      }
    }
    p.swap(p_new);
    g.swap(g_new);
    f = f_new;
    model.iterations = it + 1;
  }
  model.coef.assign(p.begin(), p.begin() + static_cast<long>(cols));
  model.intercept = options.fit_intercept ? p[cols] : 0;
  model.objective = f;
  return model;
}

std::vector<double> decision_function(const LogisticModel& model, std::span<const float> x,
                                      size_t rows, size_t cols) {
  if (model.coef.size() != cols) fail("decision_function", "x", "column count differs from model");
  if (x.size() != rows * cols) fail("decision_function", "x", "size is not rows * cols");
  std::vector<double> out(rows, model.intercept);
  for (size_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < cols; ++c) out[r] += model.coef[c] * x[r * cols + c];
  return out;
}

std::vector<double> predict_proba(const LogisticModel& model, std::span<const float> x, size_t rows,
                                  size_t cols) {
  std::vector<double> z = decision_function(model, x, rows, cols);
  for (double& v : z) v = sigmoid(v);
  return z;
}

}  // namespace knowscope::study

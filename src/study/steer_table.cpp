// Readable tables of the steering results for the command line.
#include <cstdio>

#include "knowscope/study/stats.h"
#include "knowscope/study/steering.h"

namespace knowscope::study {
namespace {

std::string fmt(const char* f, double a, double b = 0, double c = 0) {
  char buf[96];
  std::snprintf(buf, sizeof buf, f, a, b, c);
  return buf;
}

// "0.35 [0.18,0.57] n=20"
std::string rate_str(int k, int n) {
  if (n == 0) return "-";
  const Interval ci = wilson_interval(size_t(k), size_t(n));
  return fmt("%.2f [%.2f,%.2f]", double(k) / n, ci.lo, ci.hi);
}

std::string pad(std::string s, size_t w) {
  if (s.size() < w) s.append(w - s.size(), ' ');
  return s + " ";
}

std::string latent_line(const SteerContext& ctx) {
  std::string s;
  for (const auto* side : {"known", "unknown"}) {
    const bool k = std::string(side) == "known";
    const SteerLatent& l = k ? ctx.latents.known : ctx.latents.unknown;
    const SteerCalibration& c = k ? ctx.known_norm : ctx.unknown_norm;
    s += std::string(side) + " latent " + l.id + " on " + l.hook +
         (l.sae_hook.empty() ? "" : " (SAE " + l.sae_hook + ")") +
         fmt(": |W_dec| %.3f, mean |resid| %.2f, factor %.2f", l.raw_norm, c.mean_resid_norm,
             k ? ctx.factor_known : ctx.factor_unknown) +
         fmt(", alpha %.2f\n", k ? ctx.alpha_known() : ctx.alpha_unknown());
  }
  s += "format " + std::string(steer_format_name(ctx.format)) + ", " +
       std::to_string(ctx.unknown_prompts.size()) + " unknown-entity and " +
       std::to_string(ctx.known_prompts.size()) + " known-entity prompts\n";
  return s;
}

std::string header_row(const SteerContext& ctx, const std::string& first, size_t w0) {
  std::string s = pad(first, w0);
  for (const auto& t : ctx.types) s += pad(t, 24);
  return s + pad("all", 24) + "\n";
}

}  // namespace

std::string format_table(const SteerContext& ctx, const RefusalResult& r) {
  std::string s = latent_line(ctx);
  for (const auto& set : r.sets) {
    s += "\nrefusal rate on " + set.entities + " entities (Wilson 95%; random: mean +- std)\n";
    s += header_row(ctx, "condition", 16);
    for (const auto& c : set.conditions) {
      s += pad(c.name, 16);
      for (size_t ti = 0; ti < c.runs[0].size(); ++ti) {
        if (c.is_random()) {
          std::vector<double> rr;
          for (const auto& run : c.runs) {
            const RateCell& x = run[ti].second;
            rr.push_back(x.n ? double(x.refusals) / x.n : 0.0);
          }
          s += pad(fmt("%.2f +- %.2f", mean(rr), stddev(rr, 0)) +
                       " n=" + std::to_string(c.runs[0][ti].second.n),
                   24);
        } else {
          const RateCell& x = c.runs[0][ti].second;
          s += pad(rate_str(x.refusals, x.n) + " n=" + std::to_string(x.n), 24);
        }
      }
      s += "\n";
    }
    s += "correct-answer rate on " + set.entities + " entities\n";
    for (const auto& c : set.conditions) {
      if (c.is_random()) continue;
      s += pad(c.name, 16);
      for (const auto& [t, x] : c.runs[0]) s += pad(rate_str(x.correct, x.n), 24);
      s += "\n";
    }
  }
  return s;
}

std::string format_table(const SteerContext& ctx, const SweepResult& r) {
  std::string s = latent_line(ctx);
  s += "\nsweep of the unknown latent on " + r.split + " " + r.entities +
       " entities: refusal rate\n";
  s += header_row(ctx, "factor  alpha", 16);
  for (const auto& p : r.points) {
    s += pad(fmt("%-6.2f %.1f", p.factor, p.alpha), 16);
    for (const auto& [t, x] : p.rates) s += pad(rate_str(x.refusals, x.n), 24);
    s += "\n";
  }
  s += fmt("chosen factor %.2f (alpha %.2f)", r.chosen_factor, r.chosen_alpha) +
       (r.target_reached ? " reaches" : " does NOT reach") + fmt(" the target %.2f\n", r.target);
  if (!r.example_rows.empty()) {
    s += "\nexample: " + r.example_rows[0].question + "\n";
    for (const auto& e : r.example_rows) {
      std::string c = e.completion;
      for (auto& ch : c)
        if (ch == '\n') ch = ' ';
      if (c.size() > 70) c = c.substr(0, 70) + "...";
      s += fmt("  %-5.2f %7.1f  ", e.factor, e.alpha) + (e.refusal ? "[refusal] " : "") + c + "\n";
    }
  }
  return s;
}

std::string format_table(const SteerContext& ctx, const BalanceResult& r) {
  std::string s = latent_line(ctx);
  s += "\nbalance curve (coefficient < 0: known latent, > 0: unknown latent; x mean |resid|)\n";
  s += pad("coef", 6) + pad("alpha", 8) + pad("refusal | unknown", 24) +
       pad("correct | known", 24) + pad("refusal | known", 24) + "\n";
  for (const auto& p : r.points) {
    const RateCell& u = table_cell(p.unknown_entities, "all");
    const RateCell& k = table_cell(p.known_entities, "all");
    s += pad(fmt("%.2f", p.coefficient), 6) + pad(fmt("%.1f", p.alpha), 8) +
         pad(rate_str(u.refusals, u.n) + " n=" + std::to_string(u.n), 24) +
         pad(rate_str(k.correct, k.n) + " n=" + std::to_string(k.n), 24) +
         pad(rate_str(k.refusals, k.n), 24) + "\n";
  }
  return s;
}

std::string format_table(const SteerContext& ctx, const YesNoResult& r) {
  std::string s = latent_line(ctx);
  for (const auto& set : r.sets) {
    s += "\nlogit(Yes) - logit(No), " + set.entities + " entities, steered with the " + set.steer +
         " latent " + set.latent + fmt(" (alpha %.1f)\n", set.alpha);
    s += pad("type", 8) + pad("n", 4) + pad("original", 16) + pad("steered", 16) +
         pad("random", 16) + "\n";
    for (const auto& [t, st] : set.per_type) {
      if (st.original.empty()) continue;
      std::vector<double> pooled;
      for (const auto& v : st.random) pooled.insert(pooled.end(), v.begin(), v.end());
      s += pad(t, 8) + pad(std::to_string(st.original.size()), 4) +
           pad(fmt("%.2f +- %.2f", mean(st.original), stddev(st.original, 0)), 16) +
           pad(fmt("%.2f +- %.2f", mean(st.steered), stddev(st.steered, 0)), 16) +
           pad(pooled.empty() ? "-" : fmt("%.2f +- %.2f", mean(pooled), stddev(pooled, 0)), 16) +
           "\n";
    }
  }
  return s;
}

}  // namespace knowscope::study

// Steering latents: decoder rows of the SAE that reads blocks.{l}.hook_resid_pre, from
// latents.json or named directly, with their random controls.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "knowscope/core/error.h"
#include "knowscope/hooks/hook_names.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/sae/sae_io.h"
#include "knowscope/study/stats.h"
#include "knowscope/study/steering_latents.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace knowscope::study {
namespace {

// True when an SAE on `hook` reads the input of block `layer`.
bool reads_resid_pre(const std::string& hook, int layer) {
  try {
    const HookName h = parse_hook_name(hook);
    return (h.point == HookPoint::ResidPre && h.layer == layer) ||
           (h.point == HookPoint::ResidPost && h.layer == layer - 1) ||
           (h.point == HookPoint::Embed && layer == 0);
  } catch (const Error&) {
    return false;
  }
}

// Subfolders of a plain SAE folder whose SAE reads the layer (loads each; only without
// sae_set.json).
std::string scan_folder(const std::string& dir, int layer, std::string& seen) {
  std::vector<fs::path> cands = {fs::path(dir)};
  if (fs::is_directory(dir))
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_directory()) cands.push_back(e.path());
  for (const auto& c : cands) {
    try {
      const Sae s = load_sae(c.string());
      seen += ' ';
      seen += c.filename().string();
      seen += '=';
      seen += s.hook_name;
      if (reads_resid_pre(s.hook_name, layer)) return c.string();
    } catch (const Error&) {
    }
  }
  return "";
}

}  // namespace

std::string find_sae_for_layer(const std::string& sae_set, int layer) {
  const fs::path manifest = fs::path(sae_set) / "sae_set.json";
  std::string seen;
  if (fs::exists(manifest)) {
    const json j = json::parse(read_file(manifest.string()), nullptr, false);
    if (j.is_discarded() || !j.contains("layers") || !j["layers"].is_array())
      fail(manifest.string(), "layers", "expected an array of {layer_block, hook, path}");
    for (const auto& l : j["layers"]) {
      const std::string hook = l.value("hook", "");
      seen += ' ';
      seen += hook;
      if (reads_resid_pre(hook, layer)) return (fs::path(sae_set) / l.value("path", "")).string();
    }
  } else {
    std::string found = scan_folder(sae_set, layer, seen);
    if (!found.empty()) return found;
  }
  fail(sae_set, "layers",
       "no SAE reads blocks." + std::to_string(layer) + ".hook_resid_pre (= blocks." +
           std::to_string(layer - 1) + ".hook_resid_post); the set holds:" + seen);
}

SteerLatent latent_from_direction(std::string id, int layer, std::vector<float> direction) {
  SteerLatent s;
  s.id = std::move(id);
  s.layer = layer;
  s.hook = "blocks." + std::to_string(layer) + ".hook_resid_pre";
  double n2 = 0;
  for (float v : direction) n2 += double(v) * v;
  s.raw_norm = std::sqrt(n2);
  if (!(s.raw_norm > 0)) throw Error("steering direction " + s.id + ": zero or not finite");
  for (float& v : direction) v = float(v / s.raw_norm);
  s.direction = std::move(direction);
  return s;
}

namespace {

SteerLatent row_of(const Sae& sae, const std::string& folder, int layer, int64_t latent) {
  if (latent < 0 || latent >= sae.d_sae)
    fail(folder, "latent",
         "L" + std::to_string(layer) + "F" + std::to_string(latent) + ": the SAE has " +
             std::to_string(sae.d_sae) + " latents");
  const float* row = sae.W_dec.ptr() + latent * sae.d_in;
  SteerLatent s = latent_from_direction(PaperLatent{layer, latent}.str(), layer,
                                        std::vector<float>(row, row + sae.d_in));
  s.latent = latent;
  s.sae_hook = sae.hook_name;
  return s;
}

struct SaeCache {
  std::string sae_set;
  std::map<int, std::pair<std::string, Sae>> by_layer;
  const std::pair<std::string, Sae>& get(int layer) {
    auto it = by_layer.find(layer);
    if (it == by_layer.end()) {
      const std::string folder = find_sae_for_layer(sae_set, layer);
      it = by_layer.emplace(layer, std::pair{folder, load_sae(folder)}).first;
    }
    return it->second;
  }
  SteerLatent latent(const std::string& id) {
    const PaperLatent p = parse_paper_latent(id);
    const auto& [folder, sae] = get(p.layer);
    return row_of(sae, folder, p.layer, p.latent);
  }
};

std::string id_of(const json& l, const std::string& where) {
  if (l.is_string()) return l.get<std::string>();
  if (l.is_object() && l.contains("id") && l["id"].is_string()) return l["id"].get<std::string>();
  if (l.is_object() && l.contains("layer") && l.contains("latent"))
    return PaperLatent{l["layer"].get<int>(), l["latent"].get<int64_t>()}.str();
  fail(where, "id", "expected a latent object with \"id\" (\"L13F7957\") or layer and latent");
}

}  // namespace

SteerLatent latent_from_sae(const std::string& sae_folder, int layer, int64_t latent) {
  const Sae sae = load_sae(sae_folder);
  return row_of(sae, sae_folder, layer, latent);
}

SteeringLatents load_steering_latents(const LatentSource& src) {
  SteeringLatents out;
  out.latents_file = src.latents_file;
  out.sae_set = src.sae_set;
  SaeCache cache{src.sae_set, {}};
  std::string known = src.known_id, unknown = src.unknown_id;
  std::vector<std::string> rk = src.random_known_ids, ru = src.random_unknown_ids;
  if (!src.latents_file.empty()) {
    const json j = json::parse(read_file(src.latents_file), nullptr, false);
    if (j.is_discarded() || !j.is_object()) fail(src.latents_file, "", "not a JSON object");
    auto first = [&](const char* side) {
      if (!j.contains(side) || !j[side].is_array() || j[side].empty())
        fail(src.latents_file, side, "expected a non-empty list of latents");
      return id_of(j[side][0], src.latents_file + ": " + side + "[0]");
    };
    if (known.empty()) known = first("known");
    if (unknown.empty()) unknown = first("unknown");
    if (j.contains("random_controls") && j["random_controls"].is_object()) {
      const json& rc = j["random_controls"];
      auto ids = [&](const char* side, std::vector<std::string>& dst) {
        if (!dst.empty() || !rc.contains(side) || !rc[side].is_array()) return;
        for (const auto& l : rc[side])
          dst.push_back(id_of(l, src.latents_file + ": random_controls." + side));
      };
      ids("known", rk);
      ids("unknown", ru);
    }
  }
  if (known.empty() || unknown.empty())
    throw Error("steering latents: give latents.json or both the known and the unknown latent");
  out.known = cache.latent(known);
  out.unknown = cache.latent(unknown);

  auto controls = [&](const SteerLatent& of, std::vector<std::string> ids,
                      std::vector<SteerLatent>& dst, uint64_t salt) {
    if (ids.empty()) {  // draw from the same SAE
      const Sae& sae = cache.get(of.layer).second;
      SplitMix64 rng(src.seed * 1000003u + salt);
      while (int(ids.size()) < src.n_random && int64_t(ids.size()) < sae.d_sae - 1) {
        const int64_t j = int64_t(rng.below(uint64_t(sae.d_sae)));
        const std::string id = PaperLatent{of.layer, j}.str();
        if (j != of.latent && std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
      }
    }
    if (int(ids.size()) > src.n_random) ids.resize(size_t(std::max(0, src.n_random)));
    for (const auto& id : ids) dst.push_back(cache.latent(id));
  };
  controls(out.known, rk, out.random_known, 1);
  controls(out.unknown, ru, out.random_unknown, 2);
  return out;
}

}  // namespace knowscope::study

// Format detection for load_sae.
#include <filesystem>

#include "knowscope/core/error.h"
#include "knowscope/sae/sae_io.h"

namespace knowscope {
namespace fs = std::filesystem;

Sae load_sae(const std::string& path, const SaeLoadOptions& opt) {
  fs::path p = path;
  if (!fs::exists(p)) fail(path, "", "no such file or folder");
  if (fs::is_regular_file(p)) {
    std::string name = p.filename().string();
    if (p.extension() == ".npz") return load_gemma_scope_npz(path, opt);
    if (name == "cfg.json" || name == "sae_weights.safetensors") return load_saelens(path, opt);
    if (name == "params.safetensors" || name == "config.json") return load_gemma_scope2(path, opt);
    fail(path, "",
         "not an SAE file (expected params.npz, params.safetensors, cfg.json or "
         "sae_weights.safetensors)");
  }
  if (fs::exists(p / "cfg.json")) return load_saelens(path, opt);
  if (fs::exists(p / "params.safetensors")) return load_gemma_scope2(path, opt);
  if (fs::exists(p / "params.npz")) return load_gemma_scope_npz((p / "params.npz").string(), opt);
  fail(path, "",
       "folder holds no SAE: looked for cfg.json (SAELens), params.safetensors "
       "(Gemma Scope 2) and params.npz (Gemma Scope 1)");
}

}  // namespace knowscope

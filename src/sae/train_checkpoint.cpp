// Checkpoints: <dir>/step_NNNNNNNN/{cfg.json, sae_weights.safetensors, trainer_state.safetensors}
// written into a temporary folder and renamed into place, then <dir>/latest updated atomically.
// trainer_state holds everything a resumed run needs to continue bit-for-bit: raw parameters,
// Adam moments, dead-latent counters, the shuffle buffer and its RNG, and the source position.
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "knowscope/core/error.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/io/safetensors.h"
#include "knowscope/sae/sae_io.h"
#include "train_internal.h"

namespace knowscope {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The settings a resumed run must share with the checkpoint.
json identity(const SaeTrainConfig& c, int64_t d_in) {
  return {{"arch", train_arch_name(c.arch)},
          {"d_in", d_in},
          {"d_sae", c.d_sae},
          {"k", c.k},
          {"batch_size", c.batch_size},
          {"seed", std::to_string(c.seed)},
          {"shuffle_buffer_rows", c.shuffle_buffer_rows},
          {"apply_b_dec_to_input", c.apply_b_dec_to_input},
          {"normalize_inputs", c.normalize_inputs}};
}

template <typename T>
SafetensorsWriteTensor raw_tensor(const std::string& name, DType dt, const Shape& shape,
                                  const std::vector<T>& v) {
  SafetensorsWriteTensor w;
  w.name = name;
  w.dtype = dt;
  w.shape = shape;
  w.data.resize(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(w.data.data(), v.data(), w.data.size());
  return w;
}

template <typename T>
void read_raw(const SafetensorsFile& f, const std::string& name, DType dt, const Shape& shape,
              std::vector<T>& out) {
  auto it = f.tensors.find(name);
  if (it == f.tensors.end()) fail(f.path, "tensor '" + name + "'", "missing");
  const TensorView& t = it->second;
  if (t.dtype != dt || t.shape != shape || t.nbytes != size_t(shape_numel(shape)) * sizeof(T))
    fail(f.path, "tensor '" + name + "'",
         "is " + dtype_name(t.dtype) + " " + shape_str(t.shape) + ", expected " + dtype_name(dt) +
             " " + shape_str(shape));
  out.resize(size_t(shape_numel(shape)));
  if (!out.empty()) std::memcpy(out.data(), t.data, t.nbytes);
}

Shape shape_of(const sae_detail::Trainer& t, const sae_detail::Param& p) {
  if (p.name == "W_encT" || p.name == "W_dec") return {t.S, t.d};
  if (p.name == "b_dec") return {t.d};
  return {t.S};
}

}  // namespace

const char* train_arch_name(SaeTrainArch a) {
  switch (a) {
    case SaeTrainArch::JumpRelu:
      return "jumprelu";
    case SaeTrainArch::TopK:
      return "topk";
    case SaeTrainArch::BatchTopK:
      return "batchtopk";
    case SaeTrainArch::Relu:
      return "relu";
  }
  return "?";
}

std::string latest_checkpoint(const std::string& dir) {
  fs::path latest = fs::path(dir) / "latest";
  if (fs::exists(latest)) {
    std::string name = read_file(latest.string());
    while (!name.empty() && (name.back() == '\n' || name.back() == ' ')) name.pop_back();
    fs::path p = fs::path(dir) / name;
    if (!name.empty() && fs::exists(p / "trainer_state.safetensors")) return p.string();
  }
  std::string best;
  if (fs::is_directory(dir))
    for (const auto& e : fs::directory_iterator(dir)) {
      std::string n = e.path().filename().string();
      if (n.rfind("step_", 0) == 0 && fs::exists(e.path() / "trainer_state.safetensors") &&
          (best.empty() || n > fs::path(best).filename().string()))
        best = e.path().string();
    }
  return best;
}

namespace sae_detail {

void save_checkpoint(const Trainer& t, const ShuffleBuffer& buffer, const std::string& dir) {
  char name[32];
  std::snprintf(name, sizeof name, "step_%08" PRId64, t.step);
  fs::create_directories(dir);
  fs::path tmp = fs::path(dir) / (std::string(".tmp_") + name + "_" + std::to_string(::getpid()));
  fs::remove_all(tmp);
  fs::create_directories(tmp);

  json extra = {{"knowscope_training_step", t.step}, {"knowscope_tokens_seen", t.tokens_seen}};
  save_saelens(t.inference_sae(), tmp.string(), extra.dump());

  std::vector<SafetensorsWriteTensor> ts;
  auto& self = const_cast<Trainer&>(t);  // params() is non-const; nothing is modified
  for (Param* p : self.params()) {
    Shape sh = shape_of(t, *p);
    ts.push_back(raw_tensor(p->name, DType::F32, sh, p->value));
    ts.push_back(raw_tensor("adam_m." + p->name, DType::F32, sh, p->m));
    ts.push_back(raw_tensor("adam_v." + p->name, DType::F32, sh, p->v));
  }
  ts.push_back(raw_tensor("tokens_since_fired", DType::I64, {t.S}, t.tokens_since_fired));
  ts.push_back(raw_tensor("window_fires", DType::I64, {t.S}, t.window_fires));
  ShuffleBuffer::State bs = buffer.save();
  if (bs.filled > 0)
    ts.push_back(raw_tensor("shuffle_rows", DType::F32, {bs.filled, t.d}, bs.rows));

  uint32_t scale_bits;
  std::memcpy(&scale_bits, &t.input_scale, 4);
  uint64_t thr_bits;
  std::memcpy(&thr_bits, &t.batch_topk_threshold, 8);
  json rng = json::array();
  for (uint64_t w : bs.rng) rng.push_back(std::to_string(w));
  json meta = {{"version", 1},
               {"step", t.step},
               {"tokens_seen", t.tokens_seen},
               {"input_scale_bits", scale_bits},
               {"batch_topk_threshold_bits", std::to_string(thr_bits)},
               {"window_tokens", t.window_tokens},
               {"buffer",
                {{"filled", bs.filled},
                 {"rng", rng},
                 {"source_done", bs.source_done},
                 {"source_state", bs.source_state}}},
               {"config", identity(t.cfg, t.d)}};
  write_safetensors((tmp / "trainer_state.safetensors").string(), ts,
                    {{"knowscope_trainer", meta.dump()}});

  fs::path final_dir = fs::path(dir) / name;
  fs::remove_all(final_dir);
  fs::rename(tmp, final_dir);
  write_file_atomic((fs::path(dir) / "latest").string(), std::string(name) + "\n");
}

void load_checkpoint(Trainer& t, ShuffleBuffer& buffer, const std::string& folder) {
  const std::string path = (fs::path(folder) / "trainer_state.safetensors").string();
  SafetensorsFile f = read_safetensors(path);
  auto mit = f.metadata.find("knowscope_trainer");
  if (mit == f.metadata.end()) fail(path, "metadata 'knowscope_trainer'", "missing");
  json meta;
  try {
    meta = json::parse(mit->second);
    if (meta.at("version") != 1) fail(path, "metadata version", "expected 1");
    json want = identity(t.cfg, t.d), have = meta.at("config");
    for (auto& [k, v] : want.items())
      if (!have.contains(k) || have[k] != v)
        fail(path, "config '" + k + "'",
             "checkpoint has " + (have.contains(k) ? have[k].dump() : "nothing") +
                 ", this run has " + v.dump());
    t.step = meta.at("step");
    t.tokens_seen = meta.at("tokens_seen");
    uint32_t scale_bits = meta.at("input_scale_bits");
    std::memcpy(&t.input_scale, &scale_bits, 4);
    uint64_t thr_bits = std::stoull(meta.at("batch_topk_threshold_bits").get<std::string>());
    std::memcpy(&t.batch_topk_threshold, &thr_bits, 8);
    t.window_tokens = meta.at("window_tokens");
    const json& b = meta.at("buffer");
    ShuffleBuffer::State bs;
    bs.filled = b.at("filled");
    for (int i = 0; i < 4; ++i)
      bs.rng[i] = std::stoull(b.at("rng").at(size_t(i)).get<std::string>());
    bs.source_done = b.at("source_done");
    bs.source_state = b.at("source_state");
    if (bs.filled > 0) read_raw(f, "shuffle_rows", DType::F32, {bs.filled, t.d}, bs.rows);
    for (Param* p : t.params()) {
      Shape sh = shape_of(t, *p);
      read_raw(f, p->name, DType::F32, sh, p->value);
      read_raw(f, "adam_m." + p->name, DType::F32, sh, p->m);
      read_raw(f, "adam_v." + p->name, DType::F32, sh, p->v);
    }
    read_raw(f, "tokens_since_fired", DType::I64, {t.S}, t.tokens_since_fired);
    read_raw(f, "window_fires", DType::I64, {t.S}, t.window_fires);
    buffer.load(bs);
  } catch (const json::exception& e) {
    fail(path, "metadata 'knowscope_trainer'", std::string("malformed: ") + e.what());
  }
}

}  // namespace sae_detail
}  // namespace knowscope

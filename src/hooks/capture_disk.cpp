// Capture streamed to disk: one shard per range of prompts and hook, resumable, in the SAE
// activation layout (sae/activations.h), and its reader.
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "capture_plan.h"
#include "knowscope/core/error.h"
#include "knowscope/core/half.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/io/safetensors.h"

namespace knowscope {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Fnv {
  uint64_t h = 1469598103934665603ull;
  void bytes(const void* p, size_t n) {
    const auto* c = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; ++i) h = (h ^ c[i]) * 1099511628211ull;
  }
  void i64(int64_t v) { bytes(&v, sizeof v); }
  void str(const std::string& s) {
    i64(int64_t(s.size()));
    bytes(s.data(), s.size());
  }
};

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

const char* dtype_label(DType t) { return t == DType::BF16 ? "bfloat16" : "float32"; }

std::string shard_name(int64_t k) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "shard_%05lld.safetensors", static_cast<long long>(k));
  return buf;
}

SafetensorsWriteTensor i32_tensor(const std::string& name, const std::vector<int32_t>& v) {
  SafetensorsWriteTensor t;
  t.name = name;
  t.dtype = DType::I32;
  t.shape = {int64_t(v.size())};
  t.data.resize(v.size() * 4);
  if (!v.empty()) std::memcpy(t.data.data(), v.data(), t.data.size());
  return t;
}

void write_shard(const std::string& path, const CapturedHook& h, const CaptureResult& r,
                 DType dtype) {
  std::vector<SafetensorsWriteTensor> ts;
  SafetensorsWriteTensor a;
  a.name = "activations";
  a.dtype = dtype;
  a.shape = {r.rows(), h.row_numel()};
  const size_t n = size_t(r.rows() * h.row_numel());
  if (dtype == DType::F32) {
    a.data.resize(n * 4);
    if (n) std::memcpy(a.data.data(), h.data.ptr(), n * 4);
  } else {
    a.data.resize(n * 2);
    for (size_t i = 0; i < n; ++i) {
      uint16_t b = f32_to_bf16(h.data.data[i]);
      std::memcpy(a.data.data() + 2 * i, &b, 2);
    }
  }
  ts.push_back(std::move(a));
  ts.push_back(i32_tensor("token_ids", r.token));
  ts.push_back(i32_tensor("prompt_index", r.prompt));
  std::vector<int32_t> pos(r.position.begin(), r.position.end());
  ts.push_back(i32_tensor("positions", pos));
  write_safetensors(path, ts);
}

// Rows held by an existing shard file, or -1 when it is unreadable.
int64_t shard_rows(const std::string& path, int64_t row_numel) {
  try {
    SafetensorsFile f = read_safetensors(path);
    auto it = f.tensors.find("activations");
    if (it == f.tensors.end() || it->second.shape.size() != 2 || it->second.shape[1] != row_numel)
      return -1;
    return it->second.shape[0];
  } catch (const Error&) {
    return -1;
  }
}

json read_json(const std::string& path) {
  try {
    return json::parse(read_file(path));
  } catch (const json::exception& e) {
    fail(path, "", std::string("not valid JSON: ") + e.what());
  }
}

}  // namespace

DiskCaptureSummary capture_to_disk(const Model& model, std::span<const CapturePrompt> prompts,
                                   const CaptureOptions& opt, const DiskCaptureOptions& disk) {
  if (disk.folder.empty()) fail("capture", "folder", "no output folder given");
  if (disk.dtype != DType::F32 && disk.dtype != DType::BF16)
    fail(disk.folder, "dtype", "shards hold float32 or bfloat16");
  if (disk.prompts_per_shard < 1) fail(disk.folder, "prompts_per_shard", "must be positive");
  const int64_t keys = hooks_detail::check_prompts(prompts);
  auto plan = hooks_detail::plan_capture(model.config, opt.hooks, keys);

  // What was asked, and a fingerprint of it, so that a rerun resumes only the same request.
  Fnv fp;
  fp.str(model.config.arch);
  fp.i64(model.config.n_layers);
  fp.i64(model.config.d_model);
  fp.i64(model.config.vocab_size);
  fp.i64(int64_t(prompts.size()));
  for (const CapturePrompt& p : prompts) {
    fp.i64(int64_t(p.tokens.size()));
    fp.bytes(p.tokens.data(), p.tokens.size() * 4);
    fp.i64(int64_t(p.positions.size()));
    fp.bytes(p.positions.data(), p.positions.size() * 8);
  }
  json hooks = json::array();
  for (const CapturedHook& h : plan) {
    fp.str(h.name);
    for (int x : h.heads) fp.i64(x);
    for (int64_t x : h.row_shape) fp.i64(x);
    hooks.push_back(
        {{"name", h.name}, {"folder", h.name}, {"heads", h.heads}, {"row_shape", h.row_shape}});
  }
  fp.str(dtype_label(disk.dtype));
  fp.i64(disk.prompts_per_shard);
  const std::string fingerprint = hex64(fp.h);
  const int64_t n_shards =
      (int64_t(prompts.size()) + disk.prompts_per_shard - 1) / disk.prompts_per_shard;
  json manifest = {{"format", "knowscope.capture"},
                   {"version", 1},
                   {"model_name", disk.model_name},
                   {"dtype", dtype_label(disk.dtype)},
                   {"n_prompts", prompts.size()},
                   {"prompts_per_shard", disk.prompts_per_shard},
                   {"n_shards", n_shards},
                   {"fingerprint", fingerprint},
                   {"hooks", hooks}};

  fs::create_directories(disk.folder);
  const std::string manifest_path = (fs::path(disk.folder) / "capture.json").string();
  if (fs::exists(manifest_path)) {
    json old = read_json(manifest_path);
    if (old.value("fingerprint", "") != fingerprint)
      fail(manifest_path, "fingerprint",
           "this folder holds a different capture (other prompts, positions, hooks, dtype or "
           "shard size); use another --out folder or delete this one");
  } else {
    write_file_atomic(manifest_path, manifest.dump(2) + "\n");
  }
  for (const CapturedHook& h : plan) fs::create_directories(fs::path(disk.folder) / h.name);

  DiskCaptureSummary sum;
  std::vector<int64_t> shard_row_counts(size_t(n_shards), 0);
  std::unique_ptr<Progress> progress;
  if (opt.progress)
    progress = std::make_unique<Progress>("capture", int64_t(prompts.size()), "prompt");
  for (int64_t k = 0; k < n_shards; ++k) {
    const size_t p0 = size_t(k * disk.prompts_per_shard);
    const size_t p1 = std::min(prompts.size(), p0 + size_t(disk.prompts_per_shard));
    int64_t expect = 0;
    for (size_t p = p0; p < p1; ++p) expect += int64_t(prompts[p].positions.size());
    shard_row_counts[size_t(k)] = expect;
    bool complete = true;
    for (const CapturedHook& h : plan) {
      const std::string path = (fs::path(disk.folder) / h.name / shard_name(k)).string();
      if (!fs::exists(path) || shard_rows(path, h.row_numel()) != expect) {
        complete = false;
        break;
      }
    }
    if (complete) {
      ++sum.shards_skipped;
      if (progress) progress->advance(int64_t(p1 - p0));
    } else {
      CaptureResult r =
          hooks_detail::run_capture(model, prompts, p0, p1, opt, plan, progress.get());
      for (const CapturedHook& h : r.hooks)
        write_shard((fs::path(disk.folder) / h.name / shard_name(k)).string(), h, r, disk.dtype);
    }
    sum.rows += expect;
    ++sum.shards;
  }
  if (progress) progress->finish();

  // Indexes last: a folder with index.json is complete. Shards without rows are not listed.
  for (const CapturedHook& h : plan) {
    json shards = json::array();
    for (int64_t k = 0; k < n_shards; ++k)
      if (shard_row_counts[size_t(k)] > 0)
        shards.push_back({{"file", shard_name(k)}, {"rows", shard_row_counts[size_t(k)]}});
    json index = {{"format", "knowscope.activations"},
                  {"version", 1},
                  {"d_in", h.row_numel()},
                  {"dtype", dtype_label(disk.dtype)},
                  {"hook_name", h.name},
                  {"model_name", disk.model_name},
                  {"total_rows", sum.rows},
                  {"metadata",
                   {{"point", hook_point_name(h.point)},
                    {"layer", h.layer},
                    {"heads", h.heads},
                    {"row_shape", h.row_shape},
                    {"extra_tensors", {"token_ids", "prompt_index", "positions"}},
                    {"capture_fingerprint", fingerprint}}},
                  {"shards", shards}};
    const fs::path dir = fs::path(disk.folder) / h.name;
    write_file_atomic((dir / "index.json").string(), index.dump(2) + "\n");
    sum.hook_folders.push_back(dir.string());
  }
  return sum;
}

namespace {
CaptureResult read_capture_json(const std::string& folder);
}

CaptureResult read_capture(const std::string& folder) {
  try {
    return read_capture_json(folder);
  } catch (const nlohmann::json::exception& e) {
    fail(folder, "capture.json / index.json", std::string("malformed: ") + e.what());
  }
}

namespace {
CaptureResult read_capture_json(const std::string& folder) {
  const std::string manifest_path = (fs::path(folder) / "capture.json").string();
  json m = read_json(manifest_path);
  if (m.value("format", "") != "knowscope.capture" || m.value("version", 0) != 1)
    fail(manifest_path, "format", "expected knowscope.capture version 1");
  if (!m.contains("hooks") || !m["hooks"].is_array() || m["hooks"].empty())
    fail(manifest_path, "hooks", "missing or empty");
  CaptureResult res;
  bool first = true;
  for (const json& jh : m["hooks"]) {
    CapturedHook h;
    h.name = jh.at("name").get<std::string>();
    HookName hn = parse_hook_name(h.name);
    h.point = hn.point;
    h.layer = hn.layer;
    h.heads = jh.at("heads").get<std::vector<int>>();
    h.row_shape = jh.at("row_shape").get<Shape>();
    const std::string sub = jh.at("folder").get<std::string>();
    if (sub.find("..") != std::string::npos || fs::path(sub).is_absolute())
      fail(manifest_path, "hooks.folder", "must be a plain name inside the folder");
    const fs::path dir = fs::path(folder) / sub;
    const std::string index_path = (dir / "index.json").string();
    if (!fs::exists(index_path))
      fail(index_path, "", "missing: the capture did not finish (rerun it to resume)");
    json idx = read_json(index_path);
    const int64_t numel = h.row_numel();
    if (idx.value("d_in", int64_t(-1)) != numel)
      fail(index_path, "d_in", "does not match row_shape in capture.json");
    const int64_t total = idx.value("total_rows", int64_t(-1));
    if (total < 0) fail(index_path, "total_rows", "missing");
    Shape s{total};
    s.insert(s.end(), h.row_shape.begin(), h.row_shape.end());
    h.data = Tensor(s);
    int64_t at = 0;
    for (const json& js : idx.at("shards")) {
      const std::string file = js.at("file").get<std::string>();
      if (file.find("..") != std::string::npos || fs::path(file).is_absolute())
        fail(index_path, "shards.file", "must be a plain name inside the folder");
      const std::string path = (dir / file).string();
      SafetensorsFile f = read_safetensors(path);
      auto it = f.tensors.find("activations");
      if (it == f.tensors.end()) fail(path, "activations", "missing");
      const TensorView& t = it->second;
      const int64_t rows = js.at("rows").get<int64_t>();
      if (t.shape != Shape{rows, numel} || (t.dtype != DType::F32 && t.dtype != DType::BF16))
        fail(path, "activations",
             "expected F32 or BF16 " + shape_str({rows, numel}) + ", got " + dtype_name(t.dtype) +
                 " " + shape_str(t.shape));
      if (at + rows > total) fail(index_path, "shards", "hold more rows than total_rows");
      float* dst = h.data.ptr() + at * numel;
      const auto* src = static_cast<const unsigned char*>(t.data);
      if (t.dtype == DType::F32) {
        std::memcpy(dst, src, size_t(rows * numel) * 4);
      } else {
        for (int64_t i = 0; i < rows * numel; ++i) {
          uint16_t b;
          std::memcpy(&b, src + 2 * i, 2);
          dst[i] = bf16_to_f32(b);
        }
      }
      if (first) {
        auto ints = [&](const char* name) {
          auto jt = f.tensors.find(name);
          if (jt == f.tensors.end() || jt->second.dtype != DType::I32 ||
              jt->second.shape != Shape{rows})
            fail(path, name, "missing or not I32 [" + std::to_string(rows) + "]");
          std::vector<int32_t> v(static_cast<size_t>(rows));
          if (rows) std::memcpy(v.data(), jt->second.data, size_t(rows) * 4);
          return v;
        };
        auto tok = ints("token_ids"), pr = ints("prompt_index"), po = ints("positions");
        res.token.insert(res.token.end(), tok.begin(), tok.end());
        res.prompt.insert(res.prompt.end(), pr.begin(), pr.end());
        res.position.insert(res.position.end(), po.begin(), po.end());
      }
      at += rows;
    }
    if (at != total) fail(index_path, "total_rows", "shards hold " + std::to_string(at));
    if (!first && total != res.rows())
      fail(index_path, "total_rows", "differs between hooks of one capture");
    first = false;
    res.hooks.push_back(std::move(h));
  }
  return res;
}
}  // namespace

}  // namespace knowscope

// safetensors reader. Layout: u64 little-endian header length N, N bytes of JSON
// {"__metadata__": {str: str}, "<name>": {"dtype", "shape", "data_offsets": [begin, end]}}, then
// the data buffer; offsets are relative to the buffer. Everything is validated against the file
// size before a view is handed out.
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "knowscope/core/error.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/io/safetensors.h"

namespace knowscope {
namespace {

using json = nlohmann::json;

// The safetensors library refuses headers above 100 MB; so do we (a header that large is either
// corrupt or hostile).
constexpr uint64_t kMaxHeader = 100'000'000;

struct StDType {
  const char* name;
  size_t bytes;
  bool supported;  // has a DType
  DType dtype;
};

// Every dtype of the safetensors format. Those without a DType (U8, BOOL, unsigned, float8) are
// validated like the others and listed in SafetensorsFile::unsupported rather than served.
const StDType kDTypes[] = {
    {"F64", 8, true, DType::F64},      {"F32", 4, true, DType::F32},
    {"F16", 2, true, DType::F16},      {"BF16", 2, true, DType::BF16},
    {"I64", 8, true, DType::I64},      {"I32", 4, true, DType::I32},
    {"I16", 2, true, DType::I16},      {"I8", 1, true, DType::I8},
    {"U64", 8, false, DType::F32},     {"U32", 4, false, DType::F32},
    {"U16", 2, false, DType::F32},     {"U8", 1, false, DType::F32},
    {"BOOL", 1, false, DType::F32},    {"F8_E4M3", 1, false, DType::F32},
    {"F8_E5M2", 1, false, DType::F32}, {"F8_E8M0", 1, false, DType::F32},
};

const StDType* find_dtype(const std::string& name) {
  for (const auto& d : kDTypes)
    if (name == d.name) return &d;
  return nullptr;
}

uint64_t json_u64(const std::string& path, const std::string& field, const json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0) return uint64_t(v.get<int64_t>());
  fail(path, field, "expected a non-negative integer, found " + v.dump());
}

// Parses the header, rejecting duplicate top-level keys (nlohmann would keep the last silently).
json parse_header(const std::string& path, const char* begin, const char* end) {
  std::set<std::string> seen;
  std::string dup;
  json::parser_callback_t cb = [&](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::key && depth == 1) {
      const std::string& k = parsed.get_ref<const std::string&>();
      if (!seen.insert(k).second && dup.empty()) dup = k;
    }
    return true;
  };
  json h;
  try {
    h = json::parse(begin, end, cb);
  } catch (const json::exception& e) {
    fail(path, "header", std::string("invalid JSON: ") + e.what());
  }
  if (!dup.empty()) fail(path, "tensor '" + dup + "'", "duplicate name in the header");
  if (!h.is_object())
    fail(path, "header", "expected a JSON object, found " + std::string(h.type_name()));
  return h;
}

struct Extent {
  uint64_t begin, end;
  std::string name;
};

}  // namespace

SafetensorsFile read_safetensors(const std::string& path) {
  SafetensorsFile st;
  st.path = path;
  st.file = std::make_shared<MappedFile>(path);
  const size_t size = st.file->size();
  const unsigned char* data = st.file->data();
  if (size < 8)
    fail(path, "header length",
         "file of " + std::to_string(size) + " bytes is too short (needs 8)");
  uint64_t n;
  std::memcpy(&n, data, 8);
  if (n > size - 8)
    fail(path, "header length",
         std::to_string(n) + " bytes of header do not fit in a file of " + std::to_string(size) +
             " bytes");
  if (n > kMaxHeader)
    fail(path, "header length", std::to_string(n) + " bytes exceeds the limit of 100 MB");
  const char* hb = reinterpret_cast<const char*>(data + 8);
  json h = parse_header(path, hb, hb + n);
  const size_t data_begin = 8 + size_t(n);
  const uint64_t data_size = size - data_begin;

  std::vector<Extent> extents;
  for (auto& [name, entry] : h.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) fail(path, "__metadata__", "expected an object of strings");
      for (auto& [k, v] : entry.items()) {
        if (!v.is_string()) fail(path, "__metadata__ '" + k + "'", "expected a string value");
        st.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    const std::string field = "tensor '" + name + "'";
    if (!entry.is_object()) fail(path, field, "expected an object with dtype, shape, data_offsets");
    for (const char* key : {"dtype", "shape", "data_offsets"})
      if (!entry.contains(key)) fail(path, field + " " + key, "missing");
    const json& jd = entry["dtype"];
    if (!jd.is_string()) fail(path, field + " dtype", "expected a string");
    const StDType* dt = find_dtype(jd.get<std::string>());
    if (!dt) fail(path, field + " dtype", "unknown dtype '" + jd.get<std::string>() + "'");

    const json& js = entry["shape"];
    if (!js.is_array()) fail(path, field + " shape", "expected an array of integers");
    Shape shape;
    uint64_t numel = 1;
    for (const auto& d : js) {
      uint64_t v = json_u64(path, field + " shape", d);
      if (v > uint64_t(std::numeric_limits<int64_t>::max()) ||
          __builtin_mul_overflow(numel, v, &numel) ||
          numel > uint64_t(std::numeric_limits<int64_t>::max()))
        fail(path, field + " shape", "element count of " + js.dump() + " overflows");
      shape.push_back(int64_t(v));
    }
    uint64_t nbytes;
    if (__builtin_mul_overflow(numel, uint64_t(dt->bytes), &nbytes))
      fail(path, field + " shape", "byte size of " + js.dump() + " overflows");

    const json& jo = entry["data_offsets"];
    if (!jo.is_array() || jo.size() != 2)
      fail(path, field + " data_offsets", "expected [begin, end], found " + jo.dump());
    uint64_t b = json_u64(path, field + " data_offsets", jo[0]);
    uint64_t e = json_u64(path, field + " data_offsets", jo[1]);
    if (b > e)
      fail(path, field + " data_offsets",
           "begin " + std::to_string(b) + " > end " + std::to_string(e));
    if (e - b != nbytes)
      fail(path, field + " data_offsets",
           "[" + std::to_string(b) + ", " + std::to_string(e) + ") holds " + std::to_string(e - b) +
               " bytes but " + dt->name + " " + js.dump() + " needs " + std::to_string(nbytes));
    if (e > data_size)
      fail(path, field + " data_offsets",
           "end " + std::to_string(e) + " is past the end of the data buffer (" +
               std::to_string(data_size) + " bytes)");
    if (e > b) extents.push_back({b, e, name});
    if (!dt->supported) {
      st.unsupported[name] = dt->name;
      continue;
    }
    st.tensors[name] =
        TensorView{name, dt->dtype, std::move(shape), data + data_begin + b, size_t(nbytes)};
  }
  std::sort(extents.begin(), extents.end(),
            [](const Extent& a, const Extent& b) { return a.begin < b.begin; });
  for (size_t i = 1; i < extents.size(); ++i)
    if (extents[i].begin < extents[i - 1].end)
      fail(path, "tensor '" + extents[i].name + "' data_offsets",
           "overlaps tensor '" + extents[i - 1].name + "'");
  return st;
}

SafetensorsSet read_safetensors_set(const std::string& path) {
  namespace fs = std::filesystem;
  SafetensorsSet set;
  auto add_file = [&](const std::string& file) {
    set.files.push_back(read_safetensors(file));
    for (const auto& [name, view] : set.files.back().tensors)
      if (!set.tensors.emplace(name, view).second)
        fail(file, "tensor '" + name + "'", "also present in another shard");
    for (const auto& [name, dtype] : set.files.back().unsupported)
      set.unsupported.emplace(name, dtype);
  };
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    add_file(path);
    return set;
  }
  const fs::path dir(path);
  const fs::path index = dir / "model.safetensors.index.json";
  if (fs::exists(index)) {
    const std::string ipath = index.string();
    json j;
    try {
      j = json::parse(read_file(ipath));
    } catch (const json::exception& e) {
      fail(ipath, "", std::string("invalid JSON: ") + e.what());
    }
    if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
      fail(ipath, "weight_map", "missing or not an object of tensor name -> shard file");
    std::map<std::string, std::vector<std::string>> by_shard;
    for (auto& [name, shard] : j["weight_map"].items()) {
      if (!shard.is_string()) fail(ipath, "weight_map '" + name + "'", "expected a file name");
      const std::string s = shard.get<std::string>();
      if (s.empty() || s.find('/') != std::string::npos || s == "." || s == "..")
        fail(ipath, "weight_map '" + name + "'", "shard '" + s + "' is not a plain file name");
      by_shard[s].push_back(name);
    }
    for (const auto& [shard, names] : by_shard) {
      add_file((dir / shard).string());
      const auto& f = set.files.back();
      for (const auto& name : names)
        if (!f.tensors.count(name) && !f.unsupported.count(name))
          fail(f.path, "tensor '" + name + "'", "listed in " + ipath + " but not in this shard");
    }
    return set;
  }
  if (fs::exists(dir / "model.safetensors")) {
    add_file((dir / "model.safetensors").string());
    return set;
  }
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".safetensors") found.push_back(e.path().string());
  if (found.size() == 1) {
    add_file(found[0]);
    return set;
  }
  fail(path, "",
       found.empty() ? "folder has no model.safetensors, model.safetensors.index.json or other "
                       ".safetensors file"
                     : "folder has several .safetensors files and no model.safetensors.index.json "
                       "saying which to use");
}

}  // namespace knowscope

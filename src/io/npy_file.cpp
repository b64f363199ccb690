// .npy and .npz files on disk, and conversions of their arrays to float32 / int64.
#include <cstring>

#include "knowscope/core/error.h"
#include "knowscope/core/half.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/io/mapped_file.h"
#include "knowscope/io/npy.h"
#include "zip.h"

namespace knowscope {

NpyArray read_npy(const std::string& path) {
  MappedFile f(path);
  return parse_npy(std::string_view(reinterpret_cast<const char*>(f.data()), f.size()), path);
}

void write_npy(const std::string& path, const NpyArray& a) {
  write_file_atomic(path, npy_bytes(a));
}

std::map<std::string, NpyArray> read_npz(const std::string& path) {
  MappedFile f(path);
  std::map<std::string, NpyArray> out;
  for (const zip::Entry& e : zip::list(f.data(), f.size(), path)) {
    std::string name = e.name;
    if (name.size() < 4 || name.compare(name.size() - 4, 4, ".npy") != 0)
      fail(path, "npz member '" + name + "'", "is not a .npy file");
    name.resize(name.size() - 4);
    std::string bytes = zip::extract(f.data(), f.size(), e, path);
    out.emplace(name, parse_npy(bytes, path + ": npz member '" + e.name + "'"));
  }
  return out;
}

void write_npz(const std::string& path, const std::map<std::string, NpyArray>& arrays,
               bool compress) {
  std::vector<std::string> images;
  images.reserve(arrays.size());
  for (const auto& [name, a] : arrays) images.push_back(npy_bytes(a));
  std::vector<zip::WriteEntry> entries;
  size_t i = 0;
  for (const auto& kv : arrays) entries.push_back({kv.first + ".npy", images[i++], compress});
  write_file_atomic(path, zip::build(entries));
}

std::vector<float> npy_to_f32(const NpyArray& a, const std::string& where) {
  size_t n = size_t(a.numel());
  std::vector<float> out(n);
  const unsigned char* p = a.data.data();
  switch (a.type) {
    case NpyType::F32:
      if (n > 0) std::memcpy(out.data(), p, n * 4);  // empty arrays have null data pointers
      break;
    case NpyType::F16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        out[i] = f16_to_f32(h);
      }
      break;
    case NpyType::F64:
      for (size_t i = 0; i < n; ++i) {
        double d;
        std::memcpy(&d, p + 8 * i, 8);
        out[i] = float(d);
      }
      break;
    default:
      fail(where, "dtype",
           "'" + a.descr() + "' is not a floating-point type (expected <f2, <f4 or <f8)");
  }
  return out;
}

std::vector<int64_t> npy_to_i64(const NpyArray& a, const std::string& where) {
  size_t n = size_t(a.numel());
  std::vector<int64_t> out(n);
  const unsigned char* p = a.data.data();
  auto get = [&](auto tag) {
    using T = decltype(tag);
    for (size_t i = 0; i < n; ++i) {
      T v;
      std::memcpy(&v, p + sizeof(T) * i, sizeof(T));
      out[i] = int64_t(v);
    }
  };
  switch (a.type) {
    case NpyType::I8:
      get(int8_t{});
      break;
    case NpyType::I16:
      get(int16_t{});
      break;
    case NpyType::I32:
      get(int32_t{});
      break;
    case NpyType::I64:
      get(int64_t{});
      break;
    case NpyType::U8:
      get(uint8_t{});
      break;
    case NpyType::U16:
      get(uint16_t{});
      break;
    case NpyType::U32:
      get(uint32_t{});
      break;
    case NpyType::Bool:
      get(uint8_t{});
      break;
    case NpyType::U64:
      for (size_t i = 0; i < n; ++i) {
        uint64_t v;
        std::memcpy(&v, p + 8 * i, 8);
        if (v > uint64_t(INT64_MAX)) fail(where, "data", "uint64 value does not fit in int64");
        out[i] = int64_t(v);
      }
      break;
    default:
      fail(where, "dtype", "'" + a.descr() + "' is not an integer type");
  }
  return out;
}

NpyArray npy_from_f32(const float* data, Shape shape) {
  NpyArray a;
  a.type = NpyType::F32;
  a.shape = std::move(shape);
  size_t bytes = size_t(a.numel()) * 4;
  a.data.resize(bytes);
  if (bytes) std::memcpy(a.data.data(), data, bytes);
  return a;
}

NpyArray npy_from_i64(const int64_t* data, Shape shape) {
  NpyArray a;
  a.type = NpyType::I64;
  a.shape = std::move(shape);
  size_t bytes = size_t(a.numel()) * 8;
  a.data.resize(bytes);
  if (bytes) std::memcpy(a.data.data(), data, bytes);
  return a;
}

}  // namespace knowscope

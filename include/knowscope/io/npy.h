// NumPy .npy and .npz readers and writers (the format of Gemma Scope 1 params.npz).
// Readers validate the magic, version, header dict ('descr', 'fortran_order', 'shape'), dtype,
// shape against the byte count, and for .npz every zip offset, size, method and CRC-32, and throw
// Error naming the file, the member and the field.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "knowscope/core/dtype.h"
#include "knowscope/core/tensor.h"

namespace knowscope {

// Element types the reader accepts (little-endian only; '|' for one-byte types).
enum class NpyType { F16, F32, F64, I8, I16, I32, I64, U8, U16, U32, U64, Bool };

std::optional<NpyType> npy_type_from_descr(std::string_view descr);  // "<f4" -> F32
std::string npy_descr(NpyType t);                                    // F32 -> "<f4"
size_t npy_item_size(NpyType t);
std::optional<DType> npy_to_dtype(NpyType t);  // nullopt for U16..U64, Bool

// One array. `data` is always C order (a fortran_order file is transposed on read), little-endian.
struct NpyArray {
  NpyType type = NpyType::F32;
  Shape shape;  // empty: a 0-d scalar with one element
  std::vector<unsigned char> data;

  int64_t numel() const { return shape_numel(shape); }
  std::string descr() const { return npy_descr(type); }
};

// Parses a whole .npy image. `where` names it in errors, e.g. "params.npz: member 'W_enc.npy'".
NpyArray parse_npy(std::string_view bytes, const std::string& where);
// Serialises as format version 1.0 (2.0 when the header needs more than 65535 bytes).
std::string npy_bytes(const NpyArray& a);

NpyArray read_npy(const std::string& path);
void write_npy(const std::string& path, const NpyArray& a);  // atomic

// Members by name without the ".npy" suffix, as numpy's np.load(...).files gives them.
std::map<std::string, NpyArray> read_npz(const std::string& path);
// np.savez (stored) or np.savez_compressed (deflated) equivalent; atomic.
void write_npz(const std::string& path, const std::map<std::string, NpyArray>& arrays,
               bool compress);

// Conversions. to_f32 accepts F16, F32, F64 (throws Error naming `where` otherwise).
std::vector<float> npy_to_f32(const NpyArray& a, const std::string& where);
std::vector<int64_t> npy_to_i64(const NpyArray& a, const std::string& where);  // integer types
NpyArray npy_from_f32(const float* data, Shape shape);
NpyArray npy_from_i64(const int64_t* data, Shape shape);

}  // namespace knowscope

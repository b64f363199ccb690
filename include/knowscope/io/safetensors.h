// safetensors reader (single file and sharded folders via model.safetensors.index.json) and writer.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "knowscope/core/tensor.h"
#include "knowscope/io/mapped_file.h"

namespace knowscope {

struct SafetensorsFile {
  std::string path;
  std::map<std::string, std::string> metadata;  // "__metadata__"
  std::map<std::string, TensorView> tensors;    // dtype F64, F32, F16, BF16, I64, I32, I16, I8
  // Tensors whose dtype has no DType (U8, U16, U32, U64, BOOL, F8_*): name -> safetensors dtype.
  // They are validated like the others but not served, so a caller can say why one is missing.
  std::map<std::string, std::string> unsupported;
  std::shared_ptr<MappedFile> file;
};

// Validates header length, JSON, dtypes, shapes and data_offsets against the file size.
// Views point into the mapped file: data is only as aligned as the writer made it (8 bytes for
// the Python library and write_safetensors), so read elements with memcpy or unaligned loads.
SafetensorsFile read_safetensors(const std::string& path);

// A set of files presented as one name -> tensor map (keeps every file mapped).
struct SafetensorsSet {
  std::vector<SafetensorsFile> files;
  std::map<std::string, TensorView> tensors;
  std::map<std::string, std::string> unsupported;  // as in SafetensorsFile, over all shards
};
// `path` is a .safetensors file, or a folder with model.safetensors.index.json naming the shards,
// or with model.safetensors, or with exactly one other *.safetensors file (e.g. SAELens's
// sae_weights.safetensors).
SafetensorsSet read_safetensors_set(const std::string& path);

struct SafetensorsWriteTensor {
  std::string name;
  DType dtype;  // F64, F32, F16, BF16, I64, I32, I16, I8
  Shape shape;
  std::vector<unsigned char> data;
};
// Writes atomically (temporary file, then rename). Tensors are laid out in the given order; the
// header is padded with spaces so that the data starts 8-byte aligned.
void write_safetensors(const std::string& path, const std::vector<SafetensorsWriteTensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace knowscope

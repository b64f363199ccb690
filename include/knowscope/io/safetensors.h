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
  std::map<std::string, TensorView> tensors;     // dtype F32, F16, BF16, I32, I64, F64, I8 ...
  std::shared_ptr<MappedFile> file;
};

// Validates header length, JSON, dtypes, shapes and data_offsets against the file size.
SafetensorsFile read_safetensors(const std::string& path);

// A set of files presented as one name -> tensor map (keeps every file mapped).
struct SafetensorsSet {
  std::vector<SafetensorsFile> files;
  std::map<std::string, TensorView> tensors;
};
// `path` is a .safetensors file, or a folder with model.safetensors, or with
// model.safetensors.index.json naming the shards.
SafetensorsSet read_safetensors_set(const std::string& path);

struct SafetensorsWriteTensor {
  std::string name;
  DType dtype;  // F32, F16, BF16, I32, I64
  Shape shape;
  std::vector<unsigned char> data;
};
// Writes atomically (temporary file, then rename).
void write_safetensors(const std::string& path, const std::vector<SafetensorsWriteTensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace knowscope

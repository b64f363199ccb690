// 64-bit hashes for naming cache folders and seeding (not cryptographic): stable across runs,
// platforms and builds, since folder names and seeds are stored.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

namespace knowscope::study {

// splitmix64's finalizer.
inline uint64_t mix64(uint64_t z) {
  z ^= z >> 30;
  z *= 0xbf58476d1ce4e5b9ull;
  z ^= z >> 27;
  z *= 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// FNV-1a over the bytes, then mixed.
inline uint64_t hash_string(std::string_view s, uint64_t h = 0xcbf29ce484222325ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return mix64(h);
}

// Bulk data (model files): four independent multiply-rotate lanes over 8-byte little-endian
// words, so it runs at memory speed; the tail and the length are mixed in at the end.
inline uint64_t hash_bytes(const unsigned char* p, size_t n, uint64_t seed) {
  const uint64_t k = 0x9fb21c651e98df25ull;
  uint64_t lane[4] = {seed ^ 0x243f6a8885a308d3ull, seed ^ 0x13198a2e03707344ull,
                      seed ^ 0xa4093822299f31d0ull, seed ^ 0x082efa98ec4e6c89ull};
  size_t i = 0;
  for (; i + 32 <= n; i += 32)
    for (int l = 0; l < 4; ++l) {
      uint64_t w;
      std::memcpy(&w, p + i + 8 * size_t(l), 8);
      lane[l] = (lane[l] ^ w) * k;
      lane[l] = (lane[l] << 29) | (lane[l] >> 35);
    }
  uint64_t h = uint64_t(n);
  for (int l = 0; l < 4; ++l) h = mix64(h ^ lane[l]);
  for (; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return mix64(h);
}

inline std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace knowscope::study

// Writing SAELens format: round trip through our reader, and sae_lens itself reading what we wrote
// (tools/check_saelens_roundtrip.py records sae_lens's encode of our files in
// tests/fixtures/sae/saelens_roundtrip.json; this test checks the files we write now are the ones
// it read, and that our encode equals its encode).
//
// With KNOWSCOPE_SAE_EXPORT_DIR set, SaeExport.ForSaeLensCheck writes the SAEs and our outputs
// there for the Python script.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "knowscope/core/error.h"
#include "knowscope/io/atomic_file.h"
#include "knowscope/io/npy.h"
#include "knowscope/sae/encode.h"
#include "knowscope/sae/sae_io.h"
#include "sae/sae_fixtures.h"
#include "sae/synthetic.h"
#include "test_paths.h"

namespace knowscope {
namespace {
namespace fs = std::filesystem;

uint32_t crc_of_file(const std::string& path) {
  std::string b = read_file(path);
  return uint32_t(crc32(0, reinterpret_cast<const Bytef*>(b.data()), uInt(b.size())));
}

void expect_same(const Sae& a, const Sae& b) {
  EXPECT_EQ(a.arch, b.arch);
  EXPECT_EQ(a.d_in, b.d_in);
  EXPECT_EQ(a.d_sae, b.d_sae);
  EXPECT_EQ(a.k, b.k);
  EXPECT_EQ(a.rescale_acts_by_decoder_norm, b.rescale_acts_by_decoder_norm);
  EXPECT_EQ(a.apply_b_dec_to_input, b.apply_b_dec_to_input);
  EXPECT_EQ(a.input_norm, b.input_norm);
  EXPECT_EQ(a.hook_name, b.hook_name);
  EXPECT_EQ(a.model_name, b.model_name);
  EXPECT_EQ(a.W_enc.data, b.W_enc.data);
  EXPECT_EQ(a.W_dec.data, b.W_dec.data);
  EXPECT_EQ(a.b_enc.data, b.b_enc.data);
  EXPECT_EQ(a.b_dec.data, b.b_dec.data);
  EXPECT_EQ(a.threshold.data, b.threshold.data);
}

TEST(SaeSave, RoundTripsEveryFixture) {
  auto meta = test::sae_fixture_meta();
  std::string dir = test::temp_dir();
  for (auto& [name, m] : meta.items()) {
    SCOPED_TRACE(name);
    Sae a = load_sae(test::fixture("sae/" + m["folder"].get<std::string>()));
    save_saelens(a, dir + "/" + name);
    Sae b = load_saelens(dir + "/" + name);
    expect_same(a, b);
    EXPECT_EQ(b.source_format, "saelens");
    // Saving again over the same folder works and leaves no temporary files behind.
    save_saelens(b, dir + "/" + name, R"({"note": "second"})");
    int files = 0;
    for (const auto& e : fs::directory_iterator(dir + "/" + name)) {
      ++files;
      EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path();
    }
    EXPECT_EQ(files, 2);
    auto cfg = nlohmann::json::parse(read_file(dir + "/" + name + "/cfg.json"));
    EXPECT_EQ(cfg["metadata"]["note"], "second");
    EXPECT_EQ(cfg["metadata"]["hook_name"], b.hook_name);
  }
}

TEST(SaeSave, SaeLensReadsWhatWeWrite) {
  const std::string record_path = test::fixture("sae/saelens_roundtrip.json");
  ASSERT_TRUE(fs::exists(record_path)) << "run tools/check_saelens_roundtrip.py";
  auto record = nlohmann::json::parse(read_file(record_path));
  ASSERT_TRUE(record.value("passed", false)) << record.dump(1);
  auto meta = test::sae_fixture_meta();
  auto x = test::sae_fixture_inputs();
  const int64_t n = x.shape[0];
  std::string dir = test::temp_dir();
  int checked = 0;
  for (auto& [name, r] : record["fixtures"].items()) {
    SCOPED_TRACE(name);
    Sae a = load_sae(test::fixture("sae/" + meta[name]["folder"].get<std::string>()));
    std::string out = dir + "/" + name;
    save_saelens(a, out);
    // The files sae_lens read are the files we write today.
    EXPECT_EQ(crc_of_file(out + "/cfg.json"), r["crc32"]["cfg.json"].get<uint32_t>())
        << "cfg.json changed: rerun tools/check_saelens_roundtrip.py";
    EXPECT_EQ(crc_of_file(out + "/sae_weights.safetensors"),
              r["crc32"]["sae_weights.safetensors"].get<uint32_t>())
        << "weights file changed: rerun tools/check_saelens_roundtrip.py";
    Sae b = load_sae(out);
    std::vector<float> acts(size_t(n * b.d_sae)), recon(size_t(n * b.d_in));
    sae_encode_dense(b, x.ptr(), n, acts.data());
    sae_reconstruct(b, x.ptr(), n, recon.data());
    std::vector<float> want_acts = r["sae_lens_acts"], want_recon = r["sae_lens_recon"];
    ASSERT_EQ(want_acts.size(), acts.size());
    for (size_t i = 0; i < acts.size(); ++i)
      EXPECT_NEAR(acts[i], want_acts[i], 1e-4 * (1 + std::fabs(want_acts[i])));
    for (size_t i = 0; i < recon.size(); ++i)
      EXPECT_NEAR(recon[i], want_recon[i], 1e-4 * (1 + std::fabs(want_recon[i])));
    ++checked;
  }
  EXPECT_GE(checked, 9);
}

TEST(SaeExport, ForSaeLensCheck) {
  const char* dir_env = std::getenv("KNOWSCOPE_SAE_EXPORT_DIR");
  if (!dir_env)
    GTEST_SKIP()
        << "set KNOWSCOPE_SAE_EXPORT_DIR to export SAEs for tools/check_saelens_roundtrip.py";
  const std::string dir = dir_env;
  auto meta = test::sae_fixture_meta();
  auto x = test::sae_fixture_inputs();
  const int64_t n = x.shape[0];
  std::map<std::string, Sae> saes;
  for (auto& [name, m] : meta.items())
    saes[name] = load_sae(test::fixture("sae/" + m["folder"].get<std::string>()));
  for (auto& [name, s] : test::trained_saes_for_export()) saes["trained_" + name] = s;
  std::map<std::string, NpyArray> outputs;
  for (auto& [name, s] : saes) {
    save_saelens(s, dir + "/" + name);
    Sae b = load_sae(dir + "/" + name);
    std::vector<float> acts(size_t(n * b.d_sae)), recon(size_t(n * b.d_in));
    sae_encode_dense(b, x.ptr(), n, acts.data());
    sae_reconstruct(b, x.ptr(), n, recon.data());
    outputs[name + ".acts"] = npy_from_f32(acts.data(), {n, b.d_sae});
    outputs[name + ".recon"] = npy_from_f32(recon.data(), {n, b.d_in});
  }
  // numpy reads this archive in the Python check: a test of our npz writer.
  write_npz(dir + "/knowscope_outputs.npz", outputs, true);
}

}  // namespace
}  // namespace knowscope

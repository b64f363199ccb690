// The run folder and stage engine: SHA-256 against the FIPS 180-4 examples, stage reuse,
// interruption and resume, config changes, unavailable stages, input records.
#include "knowscope/study/run_folder.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "knowscope/core/error.h"
#include "knowscope/io/atomic_file.h"
#include "test_paths.h"

namespace knowscope::study {
namespace {
namespace fs = std::filesystem;

TEST(RunSha256, FipsExamples) {
  // FIPS 180-4 / NIST example messages.
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(RunSha256, FileStreamsAcrossBlocks) {
  // One million 'a' (FIPS example), read in 1 MiB chunks that do not align with 64-byte blocks.
  const std::string path = test::temp_dir() + "/million_a.txt";
  write_file_atomic(path, std::string(1000000, 'a'));
  EXPECT_EQ(sha256_file(path), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_THROW(sha256_file(path + ".missing"), Error);
}

TEST(RunFolder, ConfigHashIgnoresKeyOrder) {
  EXPECT_EQ(config_hash(json::parse(R"({"a":1,"b":[1,2]})")),
            config_hash(json::parse(R"({"b":[1,2],"a":1})")));
  EXPECT_NE(config_hash(json{{"a", 1}}), config_hash(json{{"a", 2}}));
  EXPECT_EQ(config_hash(json{{"a", 1}}).size(), 16u);
}

struct Counter {
  int calls = 0;
};

json body_writing(Counter& c, StageContext& sc, const std::string& value) {
  ++c.calls;
  write_file_atomic(sc.dir + "/out.txt", value);
  sc.artifacts.push_back("out.txt");
  return {{"value", value}};
}

TEST(RunStage, FinishedStageIsReusedAndChangedConfigReruns) {
  RunFolder folder(test::temp_dir() + "/run_reuse");
  Counter c;
  const json cfg = {{"n", 1}};
  StageOutcome a = run_stage(folder, "alpha", cfg,
                             [&](StageContext& sc) { return body_writing(c, sc, "first"); });
  EXPECT_EQ(a.status, StageStatus::ran);
  EXPECT_EQ(c.calls, 1);
  const json done = read_json_file(folder.stage_dir("alpha") + "/done.json");
  EXPECT_EQ(done["config_hash"], config_hash(cfg));
  EXPECT_EQ(done["artifacts"], json::array({"out.txt"}));

  StageOutcome b = run_stage(folder, "alpha", cfg,
                             [&](StageContext& sc) { return body_writing(c, sc, "second"); });
  EXPECT_EQ(b.status, StageStatus::reused);
  EXPECT_EQ(c.calls, 1);
  EXPECT_EQ(b.summary["value"], "first");
  EXPECT_EQ(read_file(folder.stage_dir("alpha") + "/out.txt"), "first");

  // Another config: the old artifacts go, the stage runs again.
  write_file_atomic(folder.stage_dir("alpha") + "/stale.txt", "old");
  StageOutcome d = run_stage(folder, "alpha", json{{"n", 2}}, [&](StageContext& sc) {
    EXPECT_FALSE(fs::exists(sc.dir + "/stale.txt"));
    return body_writing(c, sc, "third");
  });
  EXPECT_EQ(d.status, StageStatus::ran);
  EXPECT_EQ(c.calls, 2);
  EXPECT_FALSE(fs::exists(folder.stage_dir("alpha") + "/stale.txt"));
  EXPECT_TRUE(folder.done_record("alpha", config_hash(cfg)).is_null());
  EXPECT_FALSE(folder.done_record("alpha", config_hash(json{{"n", 2}})).is_null());
}

TEST(RunStage, InterruptedStageResumesUnderTheSameConfig) {
  RunFolder folder(test::temp_dir() + "/run_resume");
  const json cfg = {{"n", 1}};
  // First attempt dies half-way: a partial artifact, no done.json.
  StageOutcome a = run_stage(folder, "beta", cfg, [&](StageContext& sc) -> json {
    write_file_atomic(sc.dir + "/part1.txt", "done part");
    throw std::runtime_error("killed");
  });
  EXPECT_EQ(a.status, StageStatus::failed);
  EXPECT_EQ(a.reason, "killed");
  EXPECT_FALSE(fs::exists(folder.stage_dir("beta") + "/done.json"));
  EXPECT_TRUE(folder.done_record("beta").is_null());

  // The rerun sees the part it finished and completes the rest.
  bool saw_part = false;
  StageOutcome b = run_stage(folder, "beta", cfg, [&](StageContext& sc) {
    saw_part = fs::exists(sc.dir + "/part1.txt");
    write_file_atomic(sc.dir + "/part2.txt", "rest");
    return json::object();
  });
  EXPECT_EQ(b.status, StageStatus::ran);
  EXPECT_TRUE(saw_part);
  EXPECT_FALSE(folder.done_record("beta", config_hash(cfg)).is_null());
}

TEST(RunStage, InterruptedStageUnderAnotherConfigStartsClean) {
  RunFolder folder(test::temp_dir() + "/run_resume_other");
  run_stage(folder, "gamma", json{{"n", 1}}, [&](StageContext& sc) -> json {
    write_file_atomic(sc.dir + "/part1.txt", "from config 1");
    throw std::runtime_error("killed");
  });
  bool saw_part = true;
  run_stage(folder, "gamma", json{{"n", 2}}, [&](StageContext& sc) {
    saw_part = fs::exists(sc.dir + "/part1.txt");
    return json::object();
  });
  EXPECT_FALSE(saw_part);
}

TEST(RunStage, KilledProcessLeavesNoDoneRecord) {
  // What a kill -9 leaves: started.json and artifacts, plus a temporary file of an atomic write
  // that never got renamed. The stage is not done; the temporary is never taken for a result.
  RunFolder folder(test::temp_dir() + "/run_killed");
  const json cfg = {{"n", 1}};
  fs::create_directories(folder.stage_dir("delta"));
  write_json_atomic(folder.stage_dir("delta") + "/started.json",
                    {{"stage", "delta"}, {"config_hash", config_hash(cfg)}});
  write_file_atomic(folder.stage_dir("delta") + "/done.json.tmp.12345", "{\"config_ha");
  EXPECT_TRUE(folder.done_record("delta").is_null());
  int calls = 0;
  StageOutcome o = run_stage(folder, "delta", cfg, [&](StageContext&) {
    ++calls;
    return json::object();
  });
  EXPECT_EQ(o.status, StageStatus::ran);
  EXPECT_EQ(calls, 1);
}

TEST(RunStage, CorruptDoneRecordIsNotDone) {
  RunFolder folder(test::temp_dir() + "/run_corrupt");
  fs::create_directories(folder.stage_dir("eps"));
  write_file_atomic(folder.stage_dir("eps") + "/done.json", "{\"config_hash\": \"abc");
  EXPECT_TRUE(folder.done_record("eps").is_null());
}

TEST(RunStage, UnavailableAndMissingArtifacts) {
  RunFolder folder(test::temp_dir() + "/run_unavail");
  StageOutcome u = run_stage(folder, "zeta", json::object(), [](StageContext&) -> json {
    throw StageUnavailable("library not built");
  });
  EXPECT_EQ(u.status, StageStatus::unavailable);
  EXPECT_EQ(u.reason, "library not built");
  EXPECT_TRUE(folder.done_record("zeta").is_null());

  StageOutcome m = run_stage(folder, "eta", json::object(), [](StageContext& sc) {
    sc.artifacts.push_back("never_written.json");
    return json::object();
  });
  EXPECT_EQ(m.status, StageStatus::failed);
  EXPECT_NE(m.reason.find("never_written.json"), std::string::npos);
  EXPECT_TRUE(folder.done_record("eta").is_null());

  EXPECT_THROW(run_stage(folder, "../escape", json::object(), [](StageContext&) { return json(); }),
               Error);
}

TEST(RunFolder, RecordInputsCopiesSmallFilesWithTheirHash) {
  RunFolder folder(test::temp_dir() + "/run_inputs");
  const std::string src = test::temp_dir() + "/entities_in.jsonl";
  write_file_atomic(src, "{\"entity\": \"X\"}\n");
  const json rec = record_inputs(folder, {{"entities", src}, {"model", src, false}});
  ASSERT_EQ(rec["files"].size(), 2u);
  EXPECT_EQ(rec["files"][0]["sha256"], sha256_hex("{\"entity\": \"X\"}\n"));
  EXPECT_EQ(read_file(folder.path(rec["files"][0]["copy"].get<std::string>())),
            "{\"entity\": \"X\"}\n");
  EXPECT_FALSE(rec["files"][1].contains("sha256"));
  EXPECT_EQ(read_json_file(folder.path("inputs/inputs.json")), rec);
  EXPECT_THROW(record_inputs(folder, {{"labels", src + ".missing"}}), Error);
}

}  // namespace
}  // namespace knowscope::study

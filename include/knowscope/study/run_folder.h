// The run folder of `knowscope run` and the stage engine that fills it.
//
//   <out>/config.json               model, profile, every option, versions (rewritten each run)
//   <out>/inputs/inputs.json        each input file: path, bytes, sha256 (and a copy when small)
//   <out>/stages/<name>/started.json  the stage's config hash when it last started
//   <out>/stages/<name>/...         the stage's artifacts, each written atomically
//   <out>/stages/<name>/done.json   written last, atomically: config hash, summary, artifacts
//   <out>/report.html               the report
//
// A stage counts as finished only when done.json exists and records the config hash asked for
// now; anything else in its folder is never read by later stages. A stage found started with the
// same hash but not done (a kill) runs again in the same folder, so it may resume from its own
// partial artifacts; a stage started or done under another hash has its folder emptied first.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace knowscope::study {

using nlohmann::json;

// SHA-256 of bytes and of a file (streamed), lowercase hex.
std::string sha256_hex(std::string_view bytes);
std::string sha256_file(const std::string& path);

// 16 hex digits of the SHA-256 of the canonical (key-sorted, compact) JSON text.
std::string config_hash(const json& config);

// Write `value` as pretty JSON atomically (temporary name + rename).
void write_json_atomic(const std::string& path, const json& value);
// Read a JSON file; throws Error naming the file when it is missing or not JSON.
json read_json_file(const std::string& path);

enum class StageStatus {
  ran,          // ran now and finished
  reused,       // done.json matched: skipped
  failed,       // threw; the message says why (the run goes on with the stages that can)
  unavailable,  // its library or an input it needs is missing; nothing was faked
};
std::string_view stage_status_name(StageStatus s);  // "ran" "reused" "failed" "unavailable"

struct StageOutcome {
  std::string name;
  StageStatus status = StageStatus::unavailable;
  std::string config_hash;
  std::string reason;  // for failed / unavailable
  double seconds = 0;  // of this run (reused: the seconds recorded when it ran)
  json summary;        // what the stage's body returned (reused: as recorded)
};

// What a stage body gets: its folder (created, holding its earlier partial artifacts when it
// was interrupted under the same config) and the place to list its artifacts.
struct StageContext {
  std::string dir;
  std::vector<std::string> artifacts;  // file names relative to dir, recorded in done.json
};

// Thrown by a stage body that cannot run here (no library, missing input); not a failure.
struct StageUnavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class RunFolder {
 public:
  explicit RunFolder(std::string root);  // creates root/ and root/stages/
  const std::string& root() const { return root_; }
  std::string path(std::string_view rel) const;  // root/rel
  std::string stage_dir(std::string_view stage) const;
  // The done.json of a stage when it holds `hash` (empty hash: any), else null.
  json done_record(std::string_view stage, std::string_view hash = {}) const;

 private:
  std::string root_;
};

// Runs `body` for stage `name` under `config` unless done.json already records its hash. The
// config must hold everything the stage's output depends on, upstream stages' hashes included
// (so a changed label set reruns what follows it). `body` returns a summary for done.json.
// StageUnavailable gives `unavailable`, any other exception `failed`; neither writes done.json.
StageOutcome run_stage(const RunFolder& folder, const std::string& name, const json& config,
                       const std::function<json(StageContext&)>& body);

// The record of every input file of a run: {"files": [{"role", "path", "bytes", "sha256",
// "copy"}]}; files up to `copy_limit` bytes are copied to inputs/<role>-<file name>.
struct InputFile {
  std::string role;  // "entities", "labels", "model", ...
  std::string path;
  bool hash = true;  // false for big files already identified otherwise (model weights)
};
json record_inputs(const RunFolder& folder, const std::vector<InputFile>& files,
                   size_t copy_limit = 8u << 20);

}  // namespace knowscope::study

// The run folder and the stage engine (run_folder.h).
#include "knowscope/study/run_folder.h"

#include <chrono>
#include <ctime>
#include <filesystem>

#include "knowscope/core/error.h"
#include "knowscope/io/atomic_file.h"
#include "study/run_stages.h"

namespace knowscope::study {
namespace fs = std::filesystem;

std::string now_iso() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

namespace {

void check_stage_name(const std::string& name) {
  check(!name.empty() && name.find_first_of("/\\. ") == std::string::npos, "run_stage", "name",
        "a stage name is one word, got '" + name + "'");
}

}  // namespace

std::string config_hash(const json& config) { return sha256_hex(config.dump()).substr(0, 16); }

void write_json_atomic(const std::string& path, const json& value) {
  write_file_atomic(path, value.dump(1, ' ', false, json::error_handler_t::replace) + "\n");
}

json read_json_file(const std::string& path) {
  const std::string text = read_file(path);
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    fail(path, "", std::string("not valid JSON: ") + e.what());
  }
}

std::string_view stage_status_name(StageStatus s) {
  switch (s) {
    case StageStatus::ran:
      return "ran";
    case StageStatus::reused:
      return "reused";
    case StageStatus::failed:
      return "failed";
    case StageStatus::unavailable:
      return "unavailable";
  }
  return "?";
}

RunFolder::RunFolder(std::string root) : root_(std::move(root)) {
  std::error_code ec;
  fs::create_directories(fs::path(root_) / "stages", ec);
  if (ec) fail(root_, "", "cannot create the run folder: " + ec.message());
}

std::string RunFolder::path(std::string_view rel) const { return (fs::path(root_) / rel).string(); }

std::string RunFolder::stage_dir(std::string_view stage) const {
  return (fs::path(root_) / "stages" / stage).string();
}

json RunFolder::done_record(std::string_view stage, std::string_view hash) const {
  const std::string p = stage_dir(stage) + "/done.json";
  if (!fs::exists(p)) return nullptr;
  json rec;
  try {
    rec = read_json_file(p);
  } catch (const Error&) {
    return nullptr;  // cannot happen with atomic writes; treat as not done
  }
  if (!rec.is_object() || !rec.contains("config_hash")) return nullptr;
  if (!hash.empty() && rec["config_hash"] != hash) return nullptr;
  return rec;
}

StageOutcome run_stage(const RunFolder& folder, const std::string& name, const json& config,
                       const std::function<json(StageContext&)>& body) {
  check_stage_name(name);
  StageOutcome out;
  out.name = name;
  out.config_hash = config_hash(config);
  const std::string dir = folder.stage_dir(name);
  if (json rec = folder.done_record(name, out.config_hash); !rec.is_null()) {
    out.status = StageStatus::reused;
    out.seconds = rec.value("seconds", 0.0);
    out.summary = rec.value("summary", json::object());
    return out;
  }
  // Not done under this config. Keep the folder only when it was started under this config
  // (an interrupted run resumes there); anything else in it belongs to another config.
  std::string started_hash;
  if (fs::exists(dir + "/started.json")) {
    try {
      started_hash = read_json_file(dir + "/started.json").value("config_hash", "");
    } catch (const Error&) {
    }
  }
  std::error_code ec;
  if (started_hash != out.config_hash) fs::remove_all(dir, ec);
  fs::remove(dir + "/done.json", ec);
  fs::create_directories(dir, ec);
  if (ec) fail(dir, "", "cannot create the stage folder: " + ec.message());
  write_json_atomic(dir + "/started.json",
                    {{"stage", name}, {"config_hash", out.config_hash}, {"started", now_iso()}});

  StageContext ctx;
  ctx.dir = dir;
  const auto t0 = std::chrono::steady_clock::now();
  try {
    out.summary = body(ctx);
    if (out.summary.is_null()) out.summary = json::object();
    for (const auto& a : ctx.artifacts)
      check(fs::exists(dir + "/" + a), dir, "artifacts",
            "the stage listed '" + a + "' but did not write it");
  } catch (const StageUnavailable& e) {
    out.status = StageStatus::unavailable;
    out.reason = e.what();
    return out;
  } catch (const std::exception& e) {
    out.status = StageStatus::failed;
    out.reason = e.what();
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return out;
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.status = StageStatus::ran;
  write_json_atomic(dir + "/done.json", {{"stage", name},
                                         {"config_hash", out.config_hash},
                                         {"config", config},
                                         {"finished", now_iso()},
                                         {"seconds", out.seconds},
                                         {"artifacts", ctx.artifacts},
                                         {"summary", out.summary}});
  return out;
}

json record_inputs(const RunFolder& folder, const std::vector<InputFile>& files,
                   size_t copy_limit) {
  json list = json::array();
  std::error_code ec;
  fs::create_directories(folder.path("inputs"), ec);
  for (const auto& f : files) {
    json rec = {{"role", f.role}, {"path", fs::absolute(f.path).string()}};
    if (!fs::exists(f.path)) fail(f.path, f.role, "input file not found");
    if (fs::is_directory(f.path)) {
      rec["kind"] = "folder";
      list.push_back(rec);
      continue;
    }
    const auto bytes = fs::file_size(f.path);
    rec["bytes"] = bytes;
    if (f.hash) rec["sha256"] = sha256_file(f.path);
    if (f.hash && bytes <= copy_limit) {
      const std::string copy = "inputs/" + f.role + "-" + fs::path(f.path).filename().string();
      write_file_atomic(folder.path(copy), read_file(f.path));
      rec["copy"] = copy;
    }
    list.push_back(rec);
  }
  json out = {{"files", list}};
  write_json_atomic(folder.path("inputs/inputs.json"), out);
  return out;
}

}  // namespace knowscope::study

#include "knowscope/core/progress.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace knowscope {
namespace {

std::string fmt_duration(double s) {
  if (s < 0 || s > 1e7) return "?";
  char buf[32];
  int t = int(s + 0.5);
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%dh%02dm", t / 3600, (t / 60) % 60);
  else
    std::snprintf(buf, sizeof buf, "%dm%02ds", t / 60, t % 60);
  return buf;
}

}  // namespace

Progress::Progress(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total) {
  tty_ = isatty(STDERR_FILENO);
  quiet_ = std::getenv("KNOWSCOPE_QUIET") != nullptr;
  start_ = last_draw_ = std::chrono::steady_clock::now();
}

Progress::~Progress() {
  if (!finished_ && done_ > 0) finish();
}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::advance(int64_t n) {
  done_ += n;
  draw(false);
}

void Progress::set_note(std::string note) { note_ = std::move(note); }

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  draw(true);
}

void Progress::draw(bool final) {
  if (quiet_) return;
  auto now = std::chrono::steady_clock::now();
  int decile = total_ > 0 ? int(10 * done_ / total_) : 0;
  if (!final) {
    if (tty_ && now - last_draw_ < std::chrono::milliseconds(200)) return;
    if (!tty_ && decile == last_decile_) return;
  }
  last_draw_ = now;
  last_decile_ = decile;
  double el = elapsed_seconds();
  double rate = el > 0 ? done_ / el : 0;
  double eta = (rate > 0 && total_ > 0) ? (total_ - done_) / rate : -1;
  char line[512];
  if (total_ > 0)
    std::snprintf(line, sizeof line, "%s: %lld/%lld %s (%.0f%%) %.1f %s/s elapsed %s ETA %s %s",
                  label_.c_str(), (long long)done_, (long long)total_, unit_.c_str(),
                  100.0 * done_ / total_, rate, unit_.c_str(), fmt_duration(el).c_str(),
                  final ? "0m00s" : fmt_duration(eta).c_str(), note_.c_str());
  else
    std::snprintf(line, sizeof line, "%s: %lld %s %.1f %s/s elapsed %s %s", label_.c_str(),
                  (long long)done_, unit_.c_str(), rate, unit_.c_str(), fmt_duration(el).c_str(),
                  note_.c_str());
  if (tty_)
    std::fprintf(stderr, "\r\033[K%s%s", line, final ? "\n" : "");
  else
    std::fprintf(stderr, "%s\n", line);
  std::fflush(stderr);
}

}  // namespace knowscope

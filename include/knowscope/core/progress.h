// Progress with an ETA on stderr for long operations. Redraws at most ~5 times a second on a
// terminal; prints a line every 10% otherwise (logs, CI). Quiet when KNOWSCOPE_QUIET is set.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace knowscope {

class Progress {
 public:
  Progress(std::string label, int64_t total, std::string unit = "it");
  ~Progress();
  void advance(int64_t n = 1);
  void set_note(std::string note);  // extra text, e.g. "loss 0.12 L0 64"
  void finish();
  double elapsed_seconds() const;

 private:
  void draw(bool final);
  std::string label_, unit_, note_;
  int64_t total_, done_ = 0;
  int last_decile_ = -1;
  bool tty_, quiet_, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace knowscope

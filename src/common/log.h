#pragma once
// Minimal leveled logging to stderr, one line per call, safe from any thread.
//   MLOG(kInfo) << "listening on " << port;
// A line is always one line: control characters (a newline a peer put in a pID, say) are written
// as \xNN, so no input can forge a log line, and a line is cut at kMaxLineBytes.

#include <cstddef>
#include <sstream>
#include <string>
#include <string_view>

namespace muster::log {

enum Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

inline constexpr std::size_t kMaxLineBytes = 2048;

void SetLevel(Level level);
bool Enabled(Level level);
void Write(Level level, const std::string& line);
// What Write prints of a line (escaped control characters, cut at kMaxLineBytes).
std::string Sanitize(std::string_view line);

// Names the calling thread for `top -H`, `ps -L`, perf and debuggers (Linux keeps 15 bytes).
void NameThisThread(std::string_view name);

class Line {
 public:
  explicit Line(Level level) : level_(level) {}
  ~Line() { Write(level_, os_.str()); }
  template <class T>
  Line& operator<<(const T& v) {
    os_ << v;
    return *this;
  }

 private:
  Level level_;
  std::ostringstream os_;
};

}  // namespace muster::log

#define MLOG(level) \
  if (!::muster::log::Enabled(::muster::log::level)) {} else ::muster::log::Line(::muster::log::level)

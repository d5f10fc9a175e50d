#pragma once
// Minimal leveled logging to stderr, one line per call, safe from any thread.
//   MLOG(kInfo) << "listening on " << port;

#include <sstream>

namespace muster::log {

enum Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void SetLevel(Level level);
bool Enabled(Level level);
void Write(Level level, const std::string& line);

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

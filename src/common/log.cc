#include "common/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

#include "common/clock.h"
#include "common/time_util.h"

namespace muster::log {

namespace {
std::atomic<int> g_level{kInfo};
std::mutex g_mu;
const char* Name(Level l) {
  switch (l) {
    case kDebug: return "DEBUG";
    case kInfo: return "INFO";
    case kWarn: return "WARN";
    case kError: return "ERROR";
  }
  return "?";
}
}  // namespace

void SetLevel(Level level) { g_level = level; }
bool Enabled(Level level) { return level >= g_level.load(std::memory_order_relaxed); }

void Write(Level level, const std::string& line) {
  std::string ts = FormatIso8601(SystemClock::Instance().NowMillis());
  std::lock_guard<std::mutex> lock(g_mu);
  std::fprintf(stderr, "%s %s %s\n", ts.c_str(), Name(level), line.c_str());
  std::fflush(stderr);
}

}  // namespace muster::log

#include "common/log.h"

#include <pthread.h>

#include <algorithm>
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

std::string Sanitize(std::string_view line) {
  std::string out;
  out.reserve(std::min(line.size(), kMaxLineBytes) + 16);
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (out.size() >= kMaxLineBytes) {
      // Cut before a UTF-8 sequence, not inside it.
      while (i > 0 && !out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80 &&
             (static_cast<unsigned char>(line[i - 1]) & 0xC0) == 0x80) {
        out.pop_back();
        --i;
      }
      if (i > 0 && !out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0 &&
          static_cast<unsigned char>(line[i - 1]) >= 0xC0) {
        out.pop_back();
        --i;
      }
      out += "... (" + std::to_string(line.size() - i) + " more bytes)";
      break;
    }
    auto c = static_cast<unsigned char>(line[i]);
    if (c < 0x20 || c == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void Write(Level level, const std::string& line) {
  std::string ts = FormatIso8601(SystemClock::Instance().NowMillis());
  std::string text = Sanitize(line);
  std::lock_guard<std::mutex> lock(g_mu);
  std::fprintf(stderr, "%s %s %s\n", ts.c_str(), Name(level), text.c_str());
  std::fflush(stderr);
}

void NameThisThread(std::string_view name) {
  std::string cut(name.substr(0, 15));
  pthread_setname_np(pthread_self(), cut.c_str());
}

}  // namespace muster::log

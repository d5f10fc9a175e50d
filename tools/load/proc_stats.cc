#include "tools/load/proc_stats.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace muster::load {

Result<ProcSample> SampleProcess(int pid) {
  const std::string base = "/proc/" + std::to_string(pid);
  std::ifstream stat(base + "/stat");
  if (!stat) return Error::NotFound("no process " + std::to_string(pid));
  std::string line;
  std::getline(stat, line);
  // The command name (field 2) is in parentheses and may hold spaces: fields count after ')'.
  const std::size_t close = line.rfind(')');
  if (close == std::string::npos) return Error::Internal("unreadable " + base + "/stat");
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {  // field 3 is the state
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  ProcSample s;
  s.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  std::ifstream status(base + "/status");
  while (std::getline(status, line)) {
    auto kib = [&](const char* key, std::int64_t* out) {
      if (line.rfind(key, 0) == 0) *out = std::stoll(line.substr(std::string(key).size())) * 1024;
    };
    kib("VmRSS:", &s.rss_bytes);
    kib("VmHWM:", &s.peak_rss_bytes);
  }
  return s;
}

}  // namespace muster::load

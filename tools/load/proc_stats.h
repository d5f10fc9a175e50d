#pragma once
// The CPU time and memory of another process, from /proc (Linux), for muster-load's report of
// the server's cost.
//
// Thread safety: pure functions.

#include <cstdint>

#include "common/result.h"

namespace muster::load {

struct ProcSample {
  double cpu_seconds = 0;   // user + system, all threads, since the process started
  std::int64_t rss_bytes = 0;
  std::int64_t peak_rss_bytes = 0;  // VmHWM
};

// kNotFound when the process is gone; kInternal when /proc cannot be read.
Result<ProcSample> SampleProcess(int pid);

}  // namespace muster::load

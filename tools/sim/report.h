#pragma once
// The simulator's report: the run's settings, Summary and reference Comparison, as human text
// or as one JSON object (field names in docs/simulator.md).
//
// Thread safety: plain functions over values.

#include <string>

#include "common/json.h"
#include "tools/sim/reference.h"
#include "tools/sim/stats.h"

namespace muster::sim {

struct RunInfo {
  std::string rule_set_file;
  std::string rule_set_name;
  std::uint64_t seed = 0;
  double rate_per_second = 0;
  double duration_s = 0;
  double request_timeout_s = 0;
  bool drain = true;
};

std::string FormatText(const RunInfo& info, const Summary& s, const Comparison& c);
json::object FormatJson(const RunInfo& info, const Summary& s, const Comparison& c);

}  // namespace muster::sim

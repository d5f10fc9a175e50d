// Fuzzes the client API's query-string and latency parsers (untrusted request targets).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/client_api.h"
#include "api/query.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto q = muster::api::ParseQuery(in);
  if (q.ok()) {
    for (const auto& [k, v] : *q) {
      if (k == "latencies") (void)muster::api::ParseLatencies(v, 60000);
    }
  }
  (void)muster::api::ParseLatencies(in, 60000);
  return 0;
}

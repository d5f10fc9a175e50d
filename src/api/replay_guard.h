#pragma once
// Signed requests that must not be used twice: a WebSocket upgrade's SigV4 signature (presigned
// URL or Authorization header) opens one connection only, so a URL seen in a log, a proxy or a
// browser's history cannot open another. Each signature is remembered until the request could no
// longer be valid anyway (its X-Amz-Date plus X-Amz-Expires, or plus the skew window for the
// header form, plus the skew window), in bounded memory: when `max_entries` are held and none has
// expired, a new signature is refused (kUnavailable: try again) rather than a remembered one
// forgotten.
//
// Thread safety: Admit may be called from any thread (one mutex).

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/clock.h"
#include "common/result.h"
#include "net/http_server.h"

namespace muster::api {

class ReplayGuard {
 public:
  explicit ReplayGuard(Millis max_skew_ms, std::size_t max_entries = 200'000)
      : max_skew_ms_(max_skew_ms), max_entries_(max_entries) {}

  // Records the signature of `request` (already verified); kForbidden if it was seen before.
  // A request without a SigV4 signature (a bearer token) passes without being recorded.
  Status Admit(const net::HttpRequest& request, Millis now);

  std::size_t size() const;

 private:
  void SweepLocked(Millis now);

  const Millis max_skew_ms_;
  const std::size_t max_entries_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Millis> until_;   // GUARDED_BY(mu_); signature → forget after
  std::multimap<Millis, std::string> by_time_;      // GUARDED_BY(mu_); the same, by time
};

}  // namespace muster::api

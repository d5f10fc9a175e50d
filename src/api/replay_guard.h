#pragma once
// Signed requests that must not be used twice: a WebSocket upgrade's SigV4 signature (presigned
// URL or Authorization header) opens one connection only, so a URL seen in a log, a proxy or a
// browser's history cannot open another. Each signature is remembered until the request could no
// longer be valid anyway (its validity plus the skew window), in bounded memory: when
// `max_entries` are held and none has expired, a new signature is refused (kUnavailable: try
// again) rather than a remembered one forgotten. The caller bounds how long a signature may be
// valid (the gateway refuses presigned URLs valid for more than 15 minutes).
//
// Thread safety: Admit may be called from any thread (one mutex).

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace muster::api {

class ReplayGuard {
 public:
  explicit ReplayGuard(Millis max_skew_ms, std::size_t max_entries = 200'000)
      : max_skew_ms_(max_skew_ms), max_entries_(max_entries) {}

  // Records a verified signature (auth::VerifiedIdentity::signature and valid_until, the very
  // one the verifier checked, not one read from the request again); kForbidden if it was seen
  // before, kUnavailable when the guard is full.
  Status Admit(const std::string& signature, Millis valid_until, Millis now);

  std::size_t size() const;

 private:
  // A signature by its first 128 bits (of 256: collisions are out of reach), so that an entry
  // costs about 80 bytes.
  struct Key {
    std::uint64_t hi = 0, lo = 0;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const { return static_cast<std::size_t>(k.hi ^ (k.lo * 0x9E3779B97F4A7C15ULL)); }
  };
  static Key KeyOf(const std::string& signature);
  void SweepLocked(Millis now);

  const Millis max_skew_ms_;
  const std::size_t max_entries_;
  mutable std::mutex mu_;
  std::unordered_map<Key, Millis, KeyHash> until_;  // GUARDED_BY(mu_); signature → forget after
  std::vector<std::pair<Millis, Key>> by_time_;     // GUARDED_BY(mu_); a min-heap of the same
};

}  // namespace muster::api

#pragma once
// Token buckets per key (a client address, an identity), in bounded memory. Each key may act
// `burst` times at once and then `per_minute` times a minute. When the table holds `max_keys`
// keys, buckets that have refilled are dropped (they hold no state; the table is swept at most
// once a second, so newcomers cannot make every call scan it); if none can be, a new key shares
// one overflow bucket with every other key that did not fit, so an attacker with very many
// addresses is limited together instead of growing the table without bound.
//
// ClientKey() turns a peer address into its key: an IPv4 address as is, an IPv6 address by its
// /64 (one subscriber usually holds a whole /64), an IPv4-mapped IPv6 address as IPv4.
//
// Thread safety: Allow() may be called from any thread (one mutex).

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"

namespace muster {

struct RateLimit {
  double per_minute = 0;  // 0: no limit
  double burst = 1;
};

class RateLimiter {
 public:
  explicit RateLimiter(RateLimit limit, std::size_t max_keys = 100'000);

  // True when `key` may act now (one token is taken).
  bool Allow(std::string_view key, Millis now);
  // Seconds until `key` has a token again (0 when it has one), for the refusal's message.
  int RetryAfterSeconds(std::string_view key, Millis now);

  bool enabled() const { return limit_.per_minute > 0; }
  std::size_t size();

 private:
  struct Bucket {
    double tokens = 0;
    Millis at = 0;
  };
  // REQUIRES: mu_ is held.
  Bucket& Find(std::string_view key, Millis now);
  void Refill(Bucket& b, Millis now) const;
  void DropFullBuckets(Millis now);

  const RateLimit limit_;
  const std::size_t max_keys_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;  // guarded by mu_
  Bucket overflow_;                                  // guarded by mu_
  Millis swept_at_ = 0;                              // guarded by mu_
  bool swept_ = false;                               // guarded by mu_
};

// The key of a peer address (see above). Returns `address` unchanged if it does not parse.
std::string ClientKey(std::string_view address);

}  // namespace muster

#include "common/rate_limiter.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace muster {
namespace {
constexpr Millis kSweepIntervalMs = 1000;
}  // namespace

RateLimiter::RateLimiter(RateLimit limit, std::size_t max_keys)
    : limit_(limit), max_keys_(std::max<std::size_t>(max_keys, 1)) {
  overflow_.tokens = std::max(limit_.burst, 1.0);
}

void RateLimiter::Refill(Bucket& b, Millis now) const {
  if (now > b.at) {
    b.tokens = std::min(std::max(limit_.burst, 1.0),
                        b.tokens + static_cast<double>(now - b.at) * limit_.per_minute / 60'000.0);
    b.at = now;
  }
}

void RateLimiter::DropFullBuckets(Millis now) {
  const double full = std::max(limit_.burst, 1.0);
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    Refill(it->second, now);
    if (it->second.tokens >= full) it = buckets_.erase(it);
    else ++it;
  }
}

RateLimiter::Bucket& RateLimiter::Find(std::string_view key, Millis now) {
  auto it = buckets_.find(std::string(key));
  if (it != buckets_.end()) return it->second;
  if (buckets_.size() >= max_keys_ && (!swept_ || now - swept_at_ >= kSweepIntervalMs)) {
    DropFullBuckets(now);
    swept_ = true;
    swept_at_ = now;
  }
  if (buckets_.size() >= max_keys_) return overflow_;
  Bucket fresh{std::max(limit_.burst, 1.0), now};
  return buckets_.emplace(std::string(key), fresh).first->second;
}

bool RateLimiter::Allow(std::string_view key, Millis now) {
  if (!enabled()) return true;
  std::lock_guard lock(mu_);
  Bucket& b = Find(key, now);
  Refill(b, now);
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

int RateLimiter::RetryAfterSeconds(std::string_view key, Millis now) {
  if (!enabled()) return 0;
  std::lock_guard lock(mu_);
  Bucket& b = Find(key, now);
  Refill(b, now);
  if (b.tokens >= 1.0) return 0;
  return static_cast<int>(std::ceil((1.0 - b.tokens) * 60.0 / limit_.per_minute));
}

std::size_t RateLimiter::size() {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

std::string ClientKey(std::string_view address) {
  std::string a(address);
  in6_addr v6{};
  if (::inet_pton(AF_INET6, a.c_str(), &v6) == 1) {
    static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(v6.s6_addr, kMapped, 12) == 0) {
      char out[INET_ADDRSTRLEN];
      return ::inet_ntop(AF_INET, v6.s6_addr + 12, out, sizeof out) ? std::string(out) : a;
    }
    std::memset(v6.s6_addr + 8, 0, 8);
    char out[INET6_ADDRSTRLEN];
    return ::inet_ntop(AF_INET6, &v6, out, sizeof out) ? std::string(out) + "/64" : a;
  }
  return a;
}

}  // namespace muster

#include "api/replay_guard.h"

#include <algorithm>
#include <functional>

namespace muster::api {

namespace {

constexpr auto kLater = [](const auto& a, const auto& b) { return a.first > b.first; };

}  // namespace

ReplayGuard::Key ReplayGuard::KeyOf(const std::string& signature) {
  // A verified signature is 64 hex digits; anything else is hashed whole.
  auto hex = [&](std::size_t from, std::uint64_t* out) {
    std::uint64_t v = 0;
    for (std::size_t i = from; i < from + 16; ++i) {
      const char c = signature[i];
      const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (d < 0) return false;
      v = (v << 4) | static_cast<std::uint64_t>(d);
    }
    *out = v;
    return true;
  };
  Key k;
  if (signature.size() >= 32 && hex(0, &k.hi) && hex(16, &k.lo)) return k;
  k.hi = std::hash<std::string>{}(signature);
  k.lo = signature.size();
  return k;
}

Status ReplayGuard::Admit(const std::string& signature, Millis valid_until, Millis now) {
  if (signature.empty()) return Error::Internal("no verified signature to record");
  const Millis forget = std::max(valid_until, now) + max_skew_ms_;
  const Key key = KeyOf(signature);
  std::lock_guard lock(mu_);
  SweepLocked(now);
  if (until_.count(key)) {
    return Error::Forbidden("this signature was used already: sign each connection anew (two signed within the same second "
                            "are the same: add a random query parameter, e.g. nonce, before signing)");
  }
  if (until_.size() >= max_entries_) {
    return Error::Unavailable("too many signed connections at once; try again shortly");
  }
  until_.emplace(key, forget);
  by_time_.emplace_back(forget, key);
  std::push_heap(by_time_.begin(), by_time_.end(), kLater);
  return OkStatus();
}

void ReplayGuard::SweepLocked(Millis now) {
  while (!by_time_.empty() && by_time_.front().first <= now) {
    until_.erase(by_time_.front().second);
    std::pop_heap(by_time_.begin(), by_time_.end(), kLater);
    by_time_.pop_back();
  }
}

std::size_t ReplayGuard::size() const {
  std::lock_guard lock(mu_);
  return until_.size();
}

}  // namespace muster::api

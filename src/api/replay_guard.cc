#include "api/replay_guard.h"

#include <charconv>

#include "auth/canonical.h"
#include "common/ascii.h"
#include "common/time_util.h"

namespace muster::api {
namespace {

struct Signed {
  std::string signature;
  Millis valid_until = 0;  // the end of the request's own validity
};

std::optional<Signed> SignatureOf(const net::HttpRequest& request, Millis max_skew_ms) {
  std::string date, expires, signature;
  for (const auto& [k, v] : auth::ParseQuery(request.query)) {
    if (AsciiIEquals(k, "X-Amz-Signature")) signature = v;
    if (AsciiIEquals(k, "X-Amz-Date")) date = v;
    if (AsciiIEquals(k, "X-Amz-Expires")) expires = v;
  }
  Millis lifetime = 0;
  if (!signature.empty()) {
    int seconds = 0;
    std::from_chars(expires.data(), expires.data() + expires.size(), seconds);
    lifetime = static_cast<Millis>(seconds) * 1000;
  } else if (const std::string* auth = request.Header("authorization")) {
    const std::size_t at = auth->find("Signature=");
    if (at == std::string::npos) return std::nullopt;
    signature = auth->substr(at + 10, 64);
    if (const std::string* d = request.Header("x-amz-date")) date = *d;
    lifetime = max_skew_ms;
  } else {
    return std::nullopt;
  }
  auto when = ParseAmzDate(date);
  if (!when) return std::nullopt;  // cannot happen for a verified request
  return Signed{signature, *when + lifetime};
}

}  // namespace

Status ReplayGuard::Admit(const net::HttpRequest& request, Millis now) {
  auto s = SignatureOf(request, max_skew_ms_);
  if (!s) return OkStatus();
  const Millis forget = std::max(s->valid_until, now) + max_skew_ms_;
  std::lock_guard lock(mu_);
  SweepLocked(now);
  if (until_.count(s->signature)) {
    return Error::Forbidden("this signature was used already: sign each connection anew (two signed within the same second "
                            "are the same: add a random query parameter, e.g. nonce, before signing)");
  }
  if (until_.size() >= max_entries_) {
    return Error::Unavailable("too many signed connections at once; try again shortly");
  }
  until_.emplace(s->signature, forget);
  by_time_.emplace(forget, s->signature);
  return OkStatus();
}

void ReplayGuard::SweepLocked(Millis now) {
  while (!by_time_.empty() && by_time_.begin()->first <= now) {
    until_.erase(by_time_.begin()->second);
    by_time_.erase(by_time_.begin());
  }
}

std::size_t ReplayGuard::size() const {
  std::lock_guard lock(mu_);
  return until_.size();
}

}  // namespace muster::api

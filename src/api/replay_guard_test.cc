#include "api/replay_guard.h"

#include <gtest/gtest.h>

#include "common/time_util.h"

namespace muster::api {
namespace {

constexpr Millis kSkew = 300'000;
constexpr Millis kT0 = 1'800'000'000'000;

net::HttpRequest Presigned(const std::string& signature, Millis date, int expires_seconds) {
  net::HttpRequest r;
  r.query = "X-Amz-Date=" + FormatAmzDate(date) + "&X-Amz-Expires=" + std::to_string(expires_seconds) +
            "&X-Amz-Signature=" + signature;
  return r;
}

TEST(ReplayGuardTest, ASignatureOpensOneConnectionUntilItCouldNoLongerBeValid) {
  ReplayGuard guard(kSkew);
  const auto url = Presigned("aaaa", kT0, 3600);
  EXPECT_TRUE(guard.Admit(url, kT0).ok());
  EXPECT_EQ(guard.Admit(url, kT0 + 1000).error().code, ErrorCode::kForbidden);
  // Still refused an hour later (the URL was good for an hour, and the skew on top) ...
  EXPECT_FALSE(guard.Admit(url, kT0 + 3'600'000 + kSkew - 1).ok());
  // ... and forgotten once nobody could use it anyway.
  EXPECT_TRUE(guard.Admit(Presigned("bbbb", kT0, 60), kT0 + 3'600'000 + kSkew).ok());
  EXPECT_EQ(guard.size(), 1u);
  EXPECT_TRUE(guard.Admit(Presigned("aaaa", kT0, 3600), kT0 + 3'600'000 + kSkew).ok());
}

TEST(ReplayGuardTest, TheHeaderFormCountsToo) {
  ReplayGuard guard(kSkew);
  net::HttpRequest r;
  r.headers = {{"authorization", "AWS4-HMAC-SHA256 Credential=AK/20270115/local/execute-api/aws4_request, "
                                 "SignedHeaders=host;x-amz-date, Signature=" + std::string(64, 'c')},
               {"x-amz-date", FormatAmzDate(kT0)}};
  EXPECT_TRUE(guard.Admit(r, kT0).ok());
  EXPECT_EQ(guard.Admit(r, kT0).error().code, ErrorCode::kForbidden);
  net::HttpRequest bearer;
  bearer.headers = {{"authorization", "Bearer x.y.z"}};
  EXPECT_TRUE(guard.Admit(bearer, kT0).ok());
  EXPECT_TRUE(guard.Admit(bearer, kT0).ok()) << "tokens are not signatures";
}

TEST(ReplayGuardTest, WhenFullANewSignatureWaitsRatherThanAnOldOneBeingForgotten) {
  ReplayGuard guard(kSkew, 2);
  EXPECT_TRUE(guard.Admit(Presigned("a", kT0, 60), kT0).ok());
  EXPECT_TRUE(guard.Admit(Presigned("b", kT0, 60), kT0).ok());
  EXPECT_EQ(guard.Admit(Presigned("c", kT0, 60), kT0).error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(guard.Admit(Presigned("a", kT0, 60), kT0).error().code, ErrorCode::kForbidden);
  EXPECT_TRUE(guard.Admit(Presigned("c", kT0, 60), kT0 + 60'000 + kSkew).ok());
}

}  // namespace
}  // namespace muster::api

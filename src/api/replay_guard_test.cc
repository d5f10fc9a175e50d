#include "api/replay_guard.h"

#include <gtest/gtest.h>

namespace muster::api {
namespace {

constexpr Millis kSkew = 300'000;
constexpr Millis kT0 = 1'800'000'000'000;

TEST(ReplayGuardTest, ASignatureOpensOneConnectionUntilItCouldNoLongerBeValid) {
  ReplayGuard guard(kSkew);
  const Millis valid_until = kT0 + 900'000;
  EXPECT_TRUE(guard.Admit("aaaa", valid_until, kT0).ok());
  EXPECT_EQ(guard.Admit("aaaa", valid_until, kT0 + 1000).error().code, ErrorCode::kForbidden);
  // Still refused at the end of its validity and the skew on top ...
  EXPECT_FALSE(guard.Admit("aaaa", valid_until, valid_until + kSkew - 1).ok());
  // ... and forgotten once nobody could use it anyway.
  EXPECT_TRUE(guard.Admit("bbbb", kT0 + 60'000, valid_until + kSkew).ok());
  EXPECT_EQ(guard.size(), 1u);
  EXPECT_TRUE(guard.Admit("aaaa", valid_until + kSkew + 900'000, valid_until + kSkew).ok());
}

TEST(ReplayGuardTest, WhenFullANewSignatureWaitsRatherThanAnOldOneBeingForgotten) {
  ReplayGuard guard(kSkew, 2);
  EXPECT_TRUE(guard.Admit("a", kT0 + 60'000, kT0).ok());
  EXPECT_TRUE(guard.Admit("b", kT0 + 60'000, kT0).ok());
  EXPECT_EQ(guard.Admit("c", kT0 + 60'000, kT0).error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(guard.Admit("a", kT0 + 60'000, kT0).error().code, ErrorCode::kForbidden);
  EXPECT_TRUE(guard.Admit("c", kT0 + 120'000, kT0 + 60'000 + kSkew).ok());
  EXPECT_FALSE(guard.Admit("", kT0, kT0).ok()) << "nothing verified: refused, not let through";
}

}  // namespace
}  // namespace muster::api

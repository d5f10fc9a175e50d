#include "api/client_api.h"

#include <gtest/gtest.h>

namespace muster::api {
namespace {

TEST(ParseLatencies, PairsOfLocationAndMilliseconds) {
  auto l = ParseLatencies("custom-local-a_20_custom-local-b_45", 60000);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->at("custom-local-a"), 20);
  EXPECT_EQ(l->at("custom-local-b"), 45);
  EXPECT_TRUE(ParseLatencies("", 60000)->empty());
}

TEST(ParseLatencies, RejectsMalformed) {
  for (const char* bad : {"custom-local-a", "custom-local-a_x", "custom-local-a_-5", "a_1_a_2",
                          "custom-local-a_99999999", "_10", "a_1.5", "a_1_b"}) {
    auto r = ParseLatencies(bad, 60000);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << bad;
    }
  }
}

TEST(ErrorResponse, CarriesStatusAndMessage) {
  auto r = ErrorResponse(Error::Forbidden("ticket t belongs to another player"));
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("\"error\":\"Forbidden\""), std::string::npos);
  EXPECT_NE(r.body.find("another player"), std::string::npos);
}

}  // namespace
}  // namespace muster::api

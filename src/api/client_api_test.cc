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

TEST(ClientApi, OnlyTicketStatusReadsRunOffTheNodesLoop) {
  auto req = [](const char* method, const char* path) {
    net::HttpRequest r;
    r.method = method;
    r.path = path;
    return r;
  };
  EXPECT_TRUE(ClientApi::IsStatusRead(req("GET", "/requestmatchstatus")));
  EXPECT_TRUE(ClientApi::IsStatusRead(req("GET", "/prod/requestmatchstatus")));
  EXPECT_TRUE(ClientApi::IsStatusRead(req("GET", "/v1/matchmaking/0190a1b2-0000-7000-8000-000000000000")));
  // Everything that changes state, touches rate limiters or reads the cores stays on the node.
  EXPECT_FALSE(ClientApi::IsStatusRead(req("DELETE", "/v1/matchmaking/abc")));
  EXPECT_FALSE(ClientApi::IsStatusRead(req("GET", "/requestmatchmaking")));
  EXPECT_FALSE(ClientApi::IsStatusRead(req("POST", "/v1/matchmaking")));
  EXPECT_FALSE(ClientApi::IsStatusRead(req("POST", "/v1/matchmaking/abc/accept")));
  EXPECT_FALSE(ClientApi::IsStatusRead(req("GET", "/v1/matchmaking/abc/accept")));
  EXPECT_FALSE(ClientApi::IsStatusRead(req("GET", "/v1/matchmaking/")));
  EXPECT_FALSE(ClientApi::IsStatusRead(req("GET", "/v1/locations")));
  EXPECT_FALSE(ClientApi::IsStatusRead(req("POST", "/requestmatchstatus")));
}

TEST(ErrorResponse, CarriesStatusAndMessage) {
  auto r = ErrorResponse(Error::Forbidden("ticket t belongs to another player"));
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("\"error\":\"Forbidden\""), std::string::npos);
  EXPECT_NE(r.body.find("another player"), std::string::npos);
}

}  // namespace
}  // namespace muster::api

#include <gtest/gtest.h>

#include "sdk/client/backoff.h"
#include "sdk/client/muster_client.h"
#include "sdk/client/probes.h"
#include "sdk/client/url.h"

namespace muster::client {
namespace {

TEST(Endpoint, Parses) {
  auto e = ParseEndpoint("http://127.0.0.1:8080");
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 8080);
  EXPECT_EQ(e->base_path, "");
  EXPECT_EQ(e->HostHeader(), "127.0.0.1:8080");
  EXPECT_EQ(e->Path("/requestmatchstatus"), "/requestmatchstatus");
  auto b = ParseEndpoint("http://example.com/prod/");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->port, 80);
  EXPECT_EQ(b->HostHeader(), "example.com");
  EXPECT_EQ(b->Path("/requestmatchmaking"), "/prod/requestmatchmaking");
  auto v6 = ParseEndpoint("http://[::1]:9000");
  ASSERT_TRUE(v6.ok()) << v6.error().message;
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->HostHeader(), "[::1]:9000");
  for (const char* bad : {"127.0.0.1:8080", "https://x", "http://", "http://h:0", "http://h:99999",
                          "http://h:x"}) {
    EXPECT_FALSE(ParseEndpoint(bad).ok()) << bad;
  }
}

TEST(HostPort, Parses) {
  auto hp = ParseHostPort("127.0.0.1:7777");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->first, "127.0.0.1");
  EXPECT_EQ(hp->second, 7777);
  EXPECT_TRUE(ParseHostPort("[::1]:1").ok());
  for (const char* bad : {"host", ":80", "h:", "h:65536", "[::1]", "[::1]80"}) {
    EXPECT_FALSE(ParseHostPort(bad).ok()) << bad;
  }
}

TEST(Queries, MatchTheSampleClient) {
  EXPECT_EQ(LatenciesQuery({{"custom-local-a", 12}, {"custom-local-b", 40}}),
            "latencies=custom-local-a_12_custom-local-b_40");
  EXPECT_EQ(LatenciesQuery({}), "latencies=");
  EXPECT_EQ(TicketStatusQuery("abc-1.2"), "ticketId=abc-1.2");
  EXPECT_EQ(TicketStatusQuery("a b/c"), "ticketId=a%20b%2Fc");
}

TEST(Backoff, GrowsAndCaps) {
  Backoff b;
  std::vector<Millis> got;
  for (int i = 0; i < 8; ++i) got.push_back(b.Next());
  EXPECT_EQ(got, (std::vector<Millis>{500, 750, 1125, 1687, 2531, 3796, 5000, 5000}));
  EXPECT_EQ(b.attempts(), 8);
  b.Reset();
  EXPECT_EQ(b.Next(), 500);
  Backoff flat({100, 1.0, 100});
  EXPECT_EQ(flat.Next(), 100);
  EXPECT_EQ(flat.Next(), 100);
}

TEST(Median, OfThree) {
  EXPECT_EQ(Median({30, 10, 20}), 20);
  EXPECT_EQ(Median({5}), 5);
  EXPECT_EQ(Median({4, 1, 3, 2}), 2);
}

TEST(MatchStatus, Parses) {
  auto waiting = ParseMatchStatus(R"({"IpAddress":"","Port":0,"PlayerSessionId":"NotPlacedYet","DnsName":""})");
  ASSERT_TRUE(waiting.ok()) << waiting.error().message;
  EXPECT_EQ(waiting->player_session_id, "NotPlacedYet");
  auto placed = ParseMatchStatus(
      R"({"IpAddress":"127.0.0.1","Port":7777,"PlayerSessionId":"psess-1","DnsName":"localhost"})");
  ASSERT_TRUE(placed.ok());
  EXPECT_EQ(placed->port, 7777);
  EXPECT_EQ(placed->ip_address, "127.0.0.1");
  auto failed = ParseMatchStatus(R"({"Status":"TIMED_OUT","StatusMessage":"no match"})");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::kConflict);
  EXPECT_NE(failed.error().message.find("TIMED_OUT: no match"), std::string::npos);
  for (const char* bad : {"", "[]", "{}", R"({"PlayerSessionId":"psess-1","Port":0})",
                          R"({"PlayerSessionId":"psess-1","Port":70000,"IpAddress":"x"})"}) {
    EXPECT_FALSE(ParseMatchStatus(bad).ok()) << bad;
  }
}

TEST(Locations, Parses) {
  auto l = ParseLocations(R"({"Locations":[{"Location":"custom-local-a","PingEndpoint":"127.0.0.1:7777"},{"Location":"b"}]})");
  ASSERT_TRUE(l.ok()) << l.error().message;
  ASSERT_EQ(l->size(), 2u);
  EXPECT_EQ((*l)[0].ping_host, "127.0.0.1");
  EXPECT_EQ((*l)[0].ping_port, 7777);
  EXPECT_EQ((*l)[1].ping_port, 0);
  EXPECT_FALSE(ParseLocations(R"({"Locations":[{"PingEndpoint":"h:1"}]})").ok());
  EXPECT_FALSE(ParseLocations(R"({"Locations":[{"Location":"a","PingEndpoint":"nope"}]})").ok());
  EXPECT_FALSE(ParseLocations("{}").ok());
}

}  // namespace
}  // namespace muster::client

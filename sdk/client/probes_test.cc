#include "sdk/client/probes.h"

#include <gtest/gtest.h>

#include "sdk/client/test_servers.h"

namespace muster::client {
namespace {

TEST(Ping, MeasuresAgainstAPongServer) {
  int pings = 0;
  testing::UdpServer server([&](const std::string& in) -> std::string {
    ++pings;
    if (in.rfind("PING ", 0) != 0) return "";
    return "PONG " + in.substr(5);
  });
  auto ms = MeasureLatencyMs("127.0.0.1", server.port(), 3, 1000);
  ASSERT_TRUE(ms.ok()) << ms.error().message;
  EXPECT_GE(*ms, 1);
  EXPECT_LT(*ms, 500);
  EXPECT_EQ(pings, 3);
}

TEST(Ping, IgnoresWrongNoncesAndTimesOut) {
  testing::UdpServer wrong([](const std::string&) { return std::string("PONG other"); });
  auto r = MeasureLatencyMs("127.0.0.1", wrong.port(), 2, 100);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no PONG"), std::string::npos) << r.error().message;
  testing::UdpServer silent([](const std::string&) { return std::string(); });
  EXPECT_FALSE(MeasureLatencyMs("127.0.0.1", silent.port(), 1, 100).ok());
}

TEST(Join, TcpSendsTheIdWithoutNewlineAndReadsALine) {
  std::string received;
  testing::TcpServer server([](const std::string& b) { return b.size() >= 6; },
                            [&](const std::string& req) {
                              received = req;
                              return std::string("WELCOME psess-1\r\nextra");
                            });
  auto reply = JoinGameServer("127.0.0.1", server.port(), Transport::kTcp, "psess-1", 2000);
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(*reply, "WELCOME psess-1");
  EXPECT_EQ(received, "psess-1");
}

TEST(Join, Udp) {
  testing::UdpServer server([](const std::string& in) { return "WELCOME " + in + "\n"; });
  auto reply = JoinGameServer("127.0.0.1", server.port(), Transport::kUdp, "psess-2", 2000);
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(*reply, "WELCOME psess-2");
}

TEST(Join, Errors) {
  testing::TcpServer closes([](const std::string& b) { return !b.empty(); },
                            [](const std::string&) { return std::string(); });
  auto r = JoinGameServer("127.0.0.1", closes.port(), Transport::kTcp, "psess-3", 2000);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("without a reply"), std::string::npos) << r.error().message;
  // Nothing listens on a port we just released.
  std::uint16_t port = 0;
  ::close(testing::BindLoopback(SOCK_STREAM, port));
  EXPECT_FALSE(JoinGameServer("127.0.0.1", port, Transport::kTcp, "x", 500).ok());
  EXPECT_FALSE(JoinGameServer("no-such-host.invalid", 1, Transport::kTcp, "x", 500).ok());
}

}  // namespace
}  // namespace muster::client

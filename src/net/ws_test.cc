// WebSocket upgrade on the HTTP listener: echo, rejection, limits, close codes, on_close exactly
// once, Stop() closing with 1001, ping/pong, idle timeout; each with both engines (Beast's and
// Muster's own, WsEngine). What only Muster's engine does is in light_ws_test.cc.

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>

#include "net/http_client.h"
#include "net/net_test_util.h"
#include "net/ws_test_util.h"

namespace muster::net {
namespace {

using testing::RawClient;
using testing::ServerHarness;
using testing::WsRecorder;

void NoHttp(HttpRequest&&, Responder respond) { respond(HttpResponse{404, "", {}, ""}); }

class WsTest : public ::testing::TestWithParam<WsEngine>, public testing::WsServer {
 protected:
  std::uint16_t Start(ListenOptions options = {}) {
    auto port = harness.Start(options, NoHttp, [this](const HttpRequest& req) {
      std::variant<WsCallbacks, HttpResponse> out;
      if (req.path == "/reject") {
        out = HttpResponse{401, "application/json", {}, R"({"error":"Unauthorized"})"};
      } else {
        out = rec.Echo(GetParam());
      }
      return out;
    });
    EXPECT_NE(port, 0) << harness.error;
    return port;
  }
  void TearDown() override { Shutdown(); }
};

TEST_P(WsTest, EchoOverPlainWebSocket) {
  std::uint16_t port = Start();
  WsTestClient client;
  ASSERT_TRUE(client.Connect("127.0.0.1", port, "/ws").ok());
  ASSERT_TRUE(client.Send("hello").ok());
  auto reply = client.Receive();
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(*reply, "echo:hello");
  ASSERT_TRUE(client.Send(std::string(100 * 1024, 'z')).ok());
  reply = client.Receive();
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->size(), 5 + 100 * 1024u);
  {
    std::lock_guard lock(rec.mu);
    ASSERT_NE(rec.last, nullptr);
    EXPECT_NE(rec.last->Id(), 0u);
    EXPECT_EQ(rec.last->RemoteAddress(), "127.0.0.1");
  }
  EXPECT_EQ(harness.server().ConnectionCount(), 1u);
  ASSERT_TRUE(client.Close(1000).ok());
  ExpectCloses({1000});
  EXPECT_TRUE(ServerHarness::WaitFor([&] { return harness.server().ConnectionCount() == 0; }));
}

TEST_P(WsTest, ServerSendsFromAnotherThreadAndCloses) {
  std::uint16_t port = Start();
  WsTestClient client;
  ASSERT_TRUE(client.Connect("127.0.0.1", port, "/ws").ok());
  ASSERT_TRUE(ServerHarness::WaitFor([&] { return rec.opened == 1; }));
  std::shared_ptr<WsConnection> conn;
  {
    std::lock_guard lock(rec.mu);
    conn = rec.last;
  }
  std::thread([conn] {
    conn->Send("one");
    conn->Send("two");
    conn->Close(4000, "bye");
    conn->Send("dropped after close");
  }).join();
  EXPECT_EQ(*client.Receive(), "one");
  EXPECT_EQ(*client.Receive(), "two");
  auto end = client.Receive();
  ASSERT_FALSE(end.ok());
  EXPECT_EQ(client.CloseCode(), 4000);
  ExpectCloses({4000});
}

TEST_P(WsTest, UpgradeRejectedWith401) {
  std::uint16_t port = Start();
  WsTestClient client;
  Status st = client.Connect("127.0.0.1", port, "/reject");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("HTTP 401"), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find("Unauthorized"), std::string::npos) << st.error().message;
  EXPECT_EQ(rec.opened, 0);
  EXPECT_EQ(rec.CloseCount(), 0u);
}

TEST(WsNoHandlerTest, UpgradeWithoutHandlerIs404) {
  ServerHarness h;
  std::uint16_t port = h.Start({}, NoHttp);
  ASSERT_NE(port, 0);
  WsTestClient client;
  Status st = client.Connect("127.0.0.1", port, "/ws");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("HTTP 404"), std::string::npos) << st.error().message;
}

TEST_P(WsTest, OversizedMessageCloses1009) {
  ListenOptions options;
  options.limits.max_ws_message_bytes = 1024;
  std::uint16_t port = Start(options);
  WsTestClient client;
  ASSERT_TRUE(client.Connect("127.0.0.1", port, "/ws").ok());
  ASSERT_TRUE(client.Send(std::string(1024, 'a')).ok());  // at the limit: fine
  EXPECT_TRUE(client.Receive().ok());
  ASSERT_TRUE(client.Send(std::string(2000, 'a')).ok());
  auto r = client.Receive();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(client.CloseCode(), 1009) << r.error().message;
  ExpectCloses({1009});
}

TEST_P(WsTest, BinaryMessageCloses1003) {
  std::uint16_t port = Start();
  WsTestClient client;
  ASSERT_TRUE(client.Connect("127.0.0.1", port, "/ws").ok());
  ASSERT_TRUE(client.SendBinary(std::string("\x01\x02", 2)).ok());
  auto r = client.Receive();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(client.CloseCode(), 1003);
  ExpectCloses({1003});
  std::lock_guard lock(rec.mu);
  EXPECT_TRUE(rec.messages.empty());
}

TEST_P(WsTest, AbruptDisconnectReports1006Once) {
  std::uint16_t port = Start();
  {
    WsTestClient client;
    ASSERT_TRUE(client.Connect("127.0.0.1", port, "/ws").ok());
    ASSERT_TRUE(ServerHarness::WaitFor([&] { return rec.opened == 1; }));
  }  // socket closed without a close frame
  ExpectCloses({1006});
}

TEST_P(WsTest, StopClosesWebSocketsWith1001) {
  std::uint16_t port = Start();
  WsTestClient a, b;
  ASSERT_TRUE(a.Connect("127.0.0.1", port, "/ws").ok());
  ASSERT_TRUE(b.Connect("127.0.0.1", port, "/ws").ok());
  ASSERT_TRUE(ServerHarness::WaitFor([&] { return rec.opened == 2; }));
  harness.server().Stop();
  EXPECT_FALSE(a.Receive().ok());
  EXPECT_FALSE(b.Receive().ok());
  EXPECT_EQ(a.CloseCode(), 1001);
  EXPECT_EQ(b.CloseCode(), 1001);
  ExpectCloses({1001, 1001});
  EXPECT_TRUE(ServerHarness::WaitFor([&] { return harness.server().ConnectionCount() == 0; }));
}

TEST_P(WsTest, PingIsAnsweredAndDeflateIsOff) {
  std::uint16_t port = Start();
  RawClient c(port);
  ASSERT_TRUE(c.Send(
      "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"));
  auto res = c.ReadResponse();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 101);
  EXPECT_TRUE(res->HasHeader("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")) << res->head;
  EXPECT_TRUE(res->HasHeader("Server: muster")) << res->head;
  EXPECT_EQ(res->head.find("Sec-WebSocket-Extensions"), std::string::npos) << res->head;
  // Masked ping "ping" with a zero mask.
  ASSERT_TRUE(c.Send(std::string("\x89\x84\0\0\0\0ping", 10)));
  EXPECT_EQ(c.ReadBytes(6), std::string("\x8A\x04ping", 6));
  // Masked text "hi" → echo.
  ASSERT_TRUE(c.Send(std::string("\x81\x82\0\0\0\0hi", 8)));
  EXPECT_EQ(c.ReadBytes(9), std::string("\x81\x07""echo:hi", 9));
}

TEST_P(WsTest, SilentWebSocketTimesOut) {
  ListenOptions options;
  options.limits.idle_timeout_seconds = 1;
  std::uint16_t port = Start(options);
  WsTestClient client;
  ASSERT_TRUE(client.Connect("127.0.0.1", port, "/ws").ok());
  auto start = std::chrono::steady_clock::now();
  auto r = client.Receive(4000);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message, "timeout");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  ExpectCloses({1006});
}

TEST_P(WsTest, WebSocketsAreNeverEvictedToMakeRoom) {
  ListenOptions options;
  options.limits.max_connections = 2;
  std::uint16_t port = Start(options);
  WsTestClient a, b;
  ASSERT_TRUE(a.Connect("127.0.0.1", port, "/ws").ok());
  ASSERT_TRUE(b.Connect("127.0.0.1", port, "/ws").ok());
  ASSERT_TRUE(ServerHarness::WaitFor([&] { return rec.opened == 2; }));
  RawClient third(port);
  auto res = third.Get("/");
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 503);
  for (WsTestClient* c : {&a, &b}) {
    ASSERT_TRUE(c->Send("still").ok());
    auto reply = c->Receive();
    ASSERT_TRUE(reply.ok()) << reply.error().message;
    EXPECT_EQ(*reply, "echo:still");
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, WsTest, ::testing::Values(WsEngine::kBeast, WsEngine::kMuster),
                         [](const auto& info) { return info.param == WsEngine::kBeast ? "Beast" : "Muster"; });

}  // namespace
}  // namespace muster::net

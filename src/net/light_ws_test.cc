// What only Muster's own WebSocket engine (WsEngine::kMuster, light_ws_session.cc) does, through
// real sockets: the upgrade checked before it is answered, each protocol error closed with its
// code and reason, fragments with control frames between them, the close handshake echoing the
// peer's code, a slow reader closed, pings on a timer, a maximum age. The behaviour both engines
// share is in ws_test.cc, run with each.

#include <gtest/gtest.h>

#include <thread>

#include "net/net_test_util.h"
#include "net/ws_test_util.h"
#include "ws/frame.h"
#include "ws/reader.h"

namespace muster::net {
namespace {

using testing::RawClient;
using testing::ServerHarness;
using testing::WsRecorder;
using Kind = ws::FrameReader::Kind;

constexpr std::array<std::uint8_t, 4> kMask = {0xa1, 0xb2, 0xc3, 0xd4};
constexpr const char* kUpgrade =
    "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

std::string Masked(ws::Opcode op, std::string_view payload, bool fin = true) {
  std::string out;
  ws::AppendMaskedFrame(out, op, payload, kMask, fin);
  return out;
}

struct Frame {
  Kind kind = Kind::kNeedMore;
  std::uint16_t code = 0;
  std::string data;
};

// A client on a raw socket that reads the server's frames with the decoder in the client role.
class Peer {
 public:
  explicit Peer(std::uint16_t port) : client_(port), reader_(ClientRole()) {}

  void Upgrade() {
    ASSERT_TRUE(client_.Send(kUpgrade));
    auto res = client_.ReadResponse();
    ASSERT_TRUE(res.has_value());
    ASSERT_EQ(res->status, 101) << res->head;
  }
  bool Send(const std::string& bytes) { return client_.Send(bytes); }

  // The next frame from the server (kNeedMore on timeout or EOF).
  Frame Next(int timeout_ms = 3000) {
    while (true) {
      std::string_view in = pending_;
      const Kind kind = reader_.Next(in);
      pending_.erase(0, pending_.size() - in.size());
      if (kind != Kind::kNeedMore) {
        Frame f{kind, reader_.code(), std::string(reader_.payload())};
        if (kind == Kind::kText || kind == Kind::kBinary) f.data = reader_.TakeMessage();
        return f;
      }
      std::string more = client_.ReadBytes(1, timeout_ms);
      if (more.empty()) return {};
      pending_ += more;
    }
  }
  // True when the server ended the TCP connection.
  bool ClosedByServer(int timeout_ms = 3000) {
    client_.ReadUntilClosed(timeout_ms);
    return client_.closed();
  }
  RawClient& raw() { return client_; }

 private:
  static ws::ReaderLimits ClientRole() {
    ws::ReaderLimits limits;
    limits.client_frames = false;
    limits.max_frame_bytes = limits.max_message_bytes = 1 << 24;
    return limits;
  }
  RawClient client_;
  ws::FrameReader reader_;
  std::string pending_;
};

class LightWsTest : public ::testing::Test, public testing::WsServer {
 protected:
  std::uint16_t Start(Limits limits = {}) {
    ListenOptions options;
    options.limits = limits;
    auto port = harness.Start(
        options, [](HttpRequest&&, Responder respond) { respond(HttpResponse{404, "", {}, ""}); },
        [this](const HttpRequest&) { return std::variant<WsCallbacks, HttpResponse>(rec.Echo(WsEngine::kMuster)); });
    EXPECT_NE(port, 0) << harness.error;
    return port;
  }
  void TearDown() override { Shutdown(); }
};

TEST_F(LightWsTest, RefusesABadUpgradeBeforeAnsweringIt) {
  const std::uint16_t port = Start();
  {
    RawClient c(port);
    ASSERT_TRUE(c.Send("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n"));
    auto res = c.ReadResponse();
    ASSERT_TRUE(res.has_value());
    EXPECT_EQ(res->status, 426);
    EXPECT_TRUE(res->HasHeader("Sec-WebSocket-Version: 13")) << res->head;
    EXPECT_NE(res->body.find("Sec-WebSocket-Version"), std::string::npos) << res->body;
  }
  {
    RawClient c(port);
    ASSERT_TRUE(c.Send("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Key: tooshort\r\nSec-WebSocket-Version: 13\r\n\r\n"));
    auto res = c.ReadResponse();
    ASSERT_TRUE(res.has_value());
    EXPECT_EQ(res->status, 400);
    EXPECT_NE(res->body.find("Sec-WebSocket-Key"), std::string::npos) << res->body;
  }
  EXPECT_EQ(rec.opened, 0);
}

TEST_F(LightWsTest, EachProtocolErrorClosesWithItsCodeAndReason) {
  Limits limits;
  limits.max_ws_frame_bytes = 1000;
  const std::uint16_t port = Start(limits);
  struct Case {
    std::string bytes;
    std::uint16_t code;
    std::string reason;
  };
  std::string unmasked;
  ws::AppendFrame(unmasked, ws::Opcode::kText, "hi");
  std::string rsv = Masked(ws::Opcode::kText, "x");
  rsv[0] = static_cast<char>(0xC1);
  std::string opcode = Masked(ws::Opcode::kText, "x");
  opcode[0] = static_cast<char>(0x83);
  const std::string oversize = Masked(ws::Opcode::kBinary, std::string(2000, 'x')).substr(0, 8);
  const std::vector<Case> cases = {
      {unmasked, 1002, "client frame not masked"},
      {rsv, 1002, "reserved bits set without an extension"},
      {opcode, 1002, "reserved opcode"},
      {Masked(ws::Opcode::kText, "\xce\xba\xed\xa0\x80"), 1007, "text message not UTF-8"},
      {oversize, 1009, "frame over the size limit"},
      {Masked(ws::Opcode::kPing, "p", false), 1002, "fragmented control frame"},
      {Masked(ws::Opcode::kContinuation, "x"), 1002, "continuation frame outside a message"},
      {Masked(ws::Opcode::kClose, ws::ClosePayload(1005, "")), 1002, "close code no peer may send"},
  };
  std::vector<std::uint16_t> expected;
  for (const Case& c : cases) {
    Peer peer(port);
    peer.Upgrade();
    ASSERT_TRUE(peer.Send(c.bytes));
    const Frame f = peer.Next();
    EXPECT_EQ(f.kind, Kind::kClose) << c.reason;
    EXPECT_EQ(f.code, c.code) << c.reason;
    EXPECT_EQ(f.data, c.reason);
    EXPECT_TRUE(peer.ClosedByServer()) << c.reason;
    expected.push_back(c.code);
    ExpectCloses(expected);
  }
}

TEST_F(LightWsTest, AssemblesFragmentsAndAnswersPingsBetweenThem) {
  const std::uint16_t port = Start();
  Peer peer(port);
  peer.Upgrade();
  ASSERT_TRUE(peer.Send(Masked(ws::Opcode::kText, "frag", false) + Masked(ws::Opcode::kPing, "between") +
                        Masked(ws::Opcode::kContinuation, "\xc3", false)));
  Frame f = peer.Next();
  EXPECT_EQ(f.kind, Kind::kPong);
  EXPECT_EQ(f.data, "between");
  ASSERT_TRUE(peer.Send(Masked(ws::Opcode::kContinuation, "\xa9")));  // é split over two frames
  f = peer.Next();
  EXPECT_EQ(f.kind, Kind::kText);
  EXPECT_EQ(f.data, "echo:frag\xc3\xa9");
}

TEST_F(LightWsTest, TheCloseHandshakeAnswersThePeersCodeAndEndsTheConnection) {
  const std::uint16_t port = Start();
  {
    Peer peer(port);
    peer.Upgrade();
    ASSERT_TRUE(peer.Send(Masked(ws::Opcode::kClose, ws::ClosePayload(4001, "done"))));
    const Frame f = peer.Next();
    EXPECT_EQ(f.kind, Kind::kClose);
    EXPECT_EQ(f.code, 4001);
    EXPECT_TRUE(peer.ClosedByServer());
  }
  ExpectCloses({4001});
  {
    Peer peer(port);
    peer.Upgrade();
    ASSERT_TRUE(peer.Send(Masked(ws::Opcode::kClose, "")));
    const Frame f = peer.Next();
    EXPECT_EQ(f.kind, Kind::kClose);
    EXPECT_EQ(f.code, 1000);  // a close without a code is answered with 1000
    EXPECT_TRUE(peer.ClosedByServer());
  }
  ExpectCloses({4001, 1005});
}

TEST_F(LightWsTest, AfterThePeersCloseNothingButTheAnswerIsSent) {
  const std::uint16_t port = Start();
  Peer peer(port);
  peer.Upgrade();
  // The echo of "hi" would be queued after the close arrived: it is not sent (RFC 6455 §5.5.1).
  ASSERT_TRUE(peer.Send(Masked(ws::Opcode::kText, "hi") + Masked(ws::Opcode::kPing, "p") +
                        Masked(ws::Opcode::kClose, ws::ClosePayload(4000, ""))));
  std::vector<Kind> kinds;
  for (Frame f = peer.Next(); f.kind != Kind::kNeedMore; f = peer.Next(1000)) {
    kinds.push_back(f.kind);
    if (f.kind == Kind::kClose) {
      EXPECT_EQ(f.code, 4000);
      break;
    }
  }
  EXPECT_EQ(kinds, (std::vector<Kind>{Kind::kPong, Kind::kClose}));
  EXPECT_TRUE(peer.ClosedByServer());
  ExpectCloses({4000});
}

TEST_F(LightWsTest, AMessageNotCompletedInTimeClosesTheConnection) {
  Limits limits;
  limits.body_timeout_seconds = 1;
  const std::uint16_t port = Start(limits);
  Peer peer(port);
  peer.Upgrade();
  // Half a frame; the rest never comes.
  ASSERT_TRUE(peer.Send(Masked(ws::Opcode::kText, std::string(1000, 'x')).substr(0, 500)));
  const Frame f = peer.Next(4000);
  EXPECT_EQ(f.kind, Kind::kClose);
  EXPECT_EQ(f.code, 1008);
  EXPECT_NE(f.data.find("not completed"), std::string::npos) << f.data;
}

TEST_F(LightWsTest, AServerCloseWaitsForQueuedMessagesAndThePeersAnswer) {
  const std::uint16_t port = Start();
  Peer peer(port);
  peer.Upgrade();
  ASSERT_TRUE(ServerHarness::WaitFor([&] { return rec.opened == 1; }));
  auto conn = Last();
  conn->Send("first");
  conn->Close(4100, "bye");
  conn->Send("dropped: after the close");
  Frame f = peer.Next();
  EXPECT_EQ(f.kind, Kind::kText);
  EXPECT_EQ(f.data, "first");
  f = peer.Next();
  EXPECT_EQ(f.kind, Kind::kClose);
  EXPECT_EQ(f.code, 4100);
  EXPECT_EQ(f.data, "bye");
  // Messages the peer sends before its answer are dropped; its close ends the connection.
  ASSERT_TRUE(peer.Send(Masked(ws::Opcode::kText, "late") + Masked(ws::Opcode::kClose, ws::ClosePayload(1000, ""))));
  EXPECT_TRUE(peer.ClosedByServer());
  ExpectCloses({1000});
  std::lock_guard lock(rec.mu);
  EXPECT_TRUE(rec.messages.empty());
}

TEST_F(LightWsTest, AReaderTooSlowForItsMessagesIsClosedWith1008) {
  Limits limits;
  limits.max_ws_send_queue_bytes = 64 * 1024;
  limits.header_timeout_seconds = 1;  // how long the close frame may wait to be written
  const std::uint16_t port = Start(limits);
  Peer peer(port);
  peer.Upgrade();
  ASSERT_TRUE(ServerHarness::WaitFor([&] { return rec.opened == 1; }));
  auto conn = Last();
  // The client reads nothing: the kernel's buffers fill, then the queue.
  const std::string message(16 * 1024, 'm');
  for (int i = 0; i < 2000 && rec.CloseCount() == 0; ++i) conn->Send(message);
  ExpectCloses({1008}, 5000);
}

TEST_F(LightWsTest, PingsASilentPeerAndDropsOneThatNeverAnswers) {
  Limits limits;
  limits.ws_ping_interval_seconds = 1;
  const std::uint16_t port = Start(limits);
  {
    // A peer that answers each ping stays past two intervals.
    Peer answers(port);
    answers.Upgrade();
    for (int i = 0; i < 2; ++i) {
      const Frame ping = answers.Next();
      ASSERT_EQ(ping.kind, Kind::kPing);
      ASSERT_TRUE(answers.Send(Masked(ws::Opcode::kPong, ping.data)));
    }
    ASSERT_TRUE(answers.Send(Masked(ws::Opcode::kText, "alive")));
    EXPECT_EQ(answers.Next().data, "echo:alive");
    ASSERT_TRUE(answers.Send(Masked(ws::Opcode::kClose, ws::ClosePayload(1000, ""))));
    EXPECT_TRUE(answers.ClosedByServer());
  }
  // One that never answers is dropped two intervals after its last byte.
  Peer silent(port);
  silent.Upgrade();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(silent.Next().kind, Kind::kPing);
  EXPECT_TRUE(silent.ClosedByServer(4000));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1900));
  ExpectCloses({1000, 1006});
}

TEST_F(LightWsTest, AConnectionIsClosedAtItsMaximumAge) {
  Limits limits;
  limits.ws_max_age_seconds = 1;
  const std::uint16_t port = Start(limits);
  Peer peer(port);
  peer.Upgrade();
  const Frame f = peer.Next(4000);
  EXPECT_EQ(f.kind, Kind::kClose);
  EXPECT_EQ(f.code, 1001);
  EXPECT_NE(f.data.find("maximum age"), std::string::npos) << f.data;
  ASSERT_TRUE(peer.Send(Masked(ws::Opcode::kClose, ws::ClosePayload(1001, ""))));
  EXPECT_TRUE(peer.ClosedByServer());
  ExpectCloses({1001});
}

}  // namespace
}  // namespace muster::net

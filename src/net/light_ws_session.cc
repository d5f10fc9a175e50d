// A server-side WebSocket connection on Muster's own RFC 6455 code (src/ws), for connections that
// are many and mostly idle: the push gateway's players (WsEngine::kMuster). The game server
// socket still runs on Beast (ws_session.cc).
//
// Memory: an idle plain connection holds its socket, this object and a pending wait, and no
// buffer: it waits for readability and then reads into one buffer per thread, and the frame
// reader keeps only the bytes of a message still arriving. Writes are gathered in one string
// while another is on the wire; both are released once written. A TLS connection reads through
// a small buffer of its own (OpenSSL keeps its records anyway).
//
// Timers: one per connection. With ws_ping_interval_seconds set, a connection silent for an
// interval is pinged, and one silent for two is dropped (reported as 1006); without it, one
// silent for idle_timeout_seconds is dropped. ws_max_age_seconds ends a connection with 1001
// once it is that old. A close frame sent waits header_timeout_seconds for the peer's reply.
//
// Protocol errors close with the code FrameReader names (1002, 1007, 1009) and its reason; a
// binary message closes with 1003. Exceptions: as ws_session.cc (GuardedHandler).
//
// Thread safety: everything runs on the connection's executor; Send and Close post to it.

#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <type_traits>

#include "common/log.h"
#include "net/guard.h"
#include "net/http_session.h"
#include "ws/frame.h"
#include "ws/handshake.h"
#include "ws/reader.h"

namespace muster::net::internal {
namespace {

using error_code = boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

// What one connection reads into at a time, shared by the connections of a thread (plain TCP).
constexpr std::size_t kLoopReadBuffer = 64 * 1024;
// A TLS connection's own read buffer.
constexpr std::size_t kTlsReadBuffer = 4 * 1024;

char* LoopReadBuffer() {
  thread_local std::array<char, kLoopReadBuffer> buffer;
  return buffer.data();
}

// The transport of a connection: the bare socket for plain TCP (the Beast stream's timers are
// not used here), the TLS stream as it is otherwise.
template <class Stream>
struct Transport;
template <>
struct Transport<PlainStream> {
  explicit Transport(PlainStream&& s) : socket(s.release_socket()) {}
  tcp::socket socket;
  tcp::socket& lowest() { return socket; }
  tcp::socket& stream() { return socket; }
};
template <>
struct Transport<TlsStream> {
  explicit Transport(TlsStream&& s) : tls(std::move(s)) {}
  TlsStream tls;
  std::unique_ptr<char[]> buffer;
  tcp::socket& lowest() { return beast::get_lowest_layer(tls).socket(); }
  TlsStream& stream() { return tls; }
};

template <class Stream>
class LightWsSession : public WsConnection,
                       public SessionBase,
                       public std::enable_shared_from_this<LightWsSession<Stream>> {
 public:
  LightWsSession(Stream&& stream, WsCallbacks callbacks, std::shared_ptr<ServerState> state,
                 std::uint64_t slot, std::string remote)
      : transport_(std::move(stream)),
        executor_(transport_.lowest().get_executor()),
        callbacks_(std::move(callbacks)),
        state_(std::move(state)),
        remote_(std::move(remote)),
        id_(slot),
        reader_(ReaderLimitsOf(state_->limits())),
        timer_(executor_) {}

  ~LightWsSession() override { Release(); }

  // The upgrade was checked (ws::CheckUpgrade) by the HTTP session; this answers it.
  void Start(std::string_view key) {
    if (!state_->Attach(id_, this->shared_from_this())) {
      HardClose();
      return;
    }
    registered_ = true;
    if constexpr (std::is_same_v<Stream, PlainStream>) {
      error_code ec;
      transport_.socket.non_blocking(true, ec);
    }
    born_ = last_seen_ = SteadyClock::now();
    // Up to a tenth less than the maximum age, by connection, so that connections opened
    // together (after a restart) do not all reconnect at the same moment.
    const auto age = std::chrono::milliseconds(std::int64_t{state_->limits().ws_max_age_seconds} * 1000);
    max_age_ = age - age * static_cast<std::int64_t>((id_ * 0x9E3779B97F4A7C15ULL) >> 54) / 10240;
    writing_ = ws::SwitchingProtocols(key);
    writing_.insert(writing_.size() - 2, "Server: muster\r\n");
    ArmTimer(std::chrono::seconds(state_->limits().header_timeout_seconds));
    boost::asio::async_write(transport_.stream(), boost::asio::buffer(writing_),
                             Guard("handshake", [this](const error_code& ec, std::size_t) { OnHandshake(ec); }));
  }

  // WsConnection
  void Send(std::string text) override {
    boost::asio::post(executor_, Guard("send", [this, text = std::move(text)]() mutable {
                        Queue(ws::Opcode::kText, text);
                      }));
  }
  void Close(std::uint16_t code, std::string reason) override {
    boost::asio::post(executor_, Guard("close", [this, code, reason = std::move(reason)] {
                        StartClose(code, reason);
                      }));
  }
  std::uint64_t Id() const override { return id_; }
  const std::string& RemoteAddress() const override { return remote_; }

  // SessionBase
  void PostShutdown() override {
    boost::asio::post(executor_, Guard("shutdown", [this] {
                        if (!opened_) {
                          stop_before_open_ = true;
                          return;
                        }
                        StartClose(ws::close_code::kGoingAway, "server shutting down");
                      }));
  }
  void PostEvict() override {}  // never idle in the registry's sense

  // Called by GuardedHandler when a handler threw: this connection ends.
  void OnException(const char* what, const char* reason) {
    MLOG(kError) << "net: websocket " << id_ << " from " << remote_ << " closed: " << what
                 << " threw: " << reason;
    HardClose();
    NotifyClose(ws::close_code::kInternalError);
  }

 private:
  static ws::ReaderLimits ReaderLimitsOf(const Limits& limits) {
    ws::ReaderLimits r;
    r.max_frame_bytes = limits.max_ws_frame_bytes;
    r.max_message_bytes = limits.max_ws_message_bytes;
    return r;
  }

  void OnHandshake(const error_code& ec) {
    writing_ = std::string();
    if (notified_) return;  // the handshake timed out meanwhile
    if (ec) {
      MLOG(kDebug) << "net: websocket handshake with " << remote_ << " failed: " << ec.message();
      HardClose();
      Release();
      return;
    }
    opened_ = true;
    auto self = this->shared_from_this();
    if (callbacks_.on_open) CallApplication("on_open", [&] { callbacks_.on_open(self); });
    ScheduleTick();
    Read();
    if (stop_before_open_ || state_->stopping()) StartClose(ws::close_code::kGoingAway, "server shutting down");
    if (!out_.empty() && !write_pending_) Flush();
  }

  // --- reading ------------------------------------------------------------------------------

  void Read() {
    if (notified_) return;
    if constexpr (std::is_same_v<Stream, PlainStream>) {
      transport_.socket.async_wait(tcp::socket::wait_read,
                                   Guard("wait", [this](const error_code& ec) { OnReadable(ec); }));
    } else {
      if (!transport_.buffer) transport_.buffer = std::make_unique<char[]>(kTlsReadBuffer);
      transport_.tls.async_read_some(
          boost::asio::buffer(transport_.buffer.get(), kTlsReadBuffer),
          Guard("read", [this](const error_code& ec, std::size_t n) { OnBytes(ec, transport_.buffer.get(), n); }));
    }
  }

  void OnReadable(const error_code& ec) {
    if (ec) {
      OnBytes(ec, nullptr, 0);
      return;
    }
    char* buffer = LoopReadBuffer();
    error_code read_ec;
    const std::size_t n = transport_.lowest().read_some(boost::asio::buffer(buffer, kLoopReadBuffer), read_ec);
    if (read_ec == boost::asio::error::would_block || read_ec == boost::asio::error::try_again) {
      Read();
      return;
    }
    OnBytes(read_ec, buffer, n);
  }

  void OnBytes(const error_code& ec, const char* data, std::size_t n) {
    if (ec) {
      if (ec != boost::asio::error::operation_aborted) {
        MLOG(kDebug) << "net: websocket " << id_ << " read ended: " << ec.message();
      }
      HardClose();
      NotifyClose(close_sent_ ? close_code_ : ws::close_code::kAbnormal);
      return;
    }
    last_seen_ = SteadyClock::now();
    ping_sent_ = false;
    std::string_view in(data, n);
    while (!notified_) {
      const auto kind = reader_.Next(in);
      if (kind == ws::FrameReader::Kind::kNeedMore) break;
      OnFrame(kind);
    }
    // A message must be complete within body_timeout_seconds of its first byte: a peer cannot
    // park a large unfinished message (pongs keep it from being silent).
    if (reader_.in_message() || reader_.buffered() > 0) {
      if (partial_since_ == SteadyClock::time_point{}) {
        partial_since_ = last_seen_;
        if (!closing_) ScheduleTick();
      }
    } else {
      partial_since_ = {};
    }
    if (!reader_.finished()) Read();
  }

  void OnFrame(ws::FrameReader::Kind kind) {
    using Kind = ws::FrameReader::Kind;
    switch (kind) {
      case Kind::kText: {
        std::string text = reader_.TakeMessage();
        if (closing_ || !callbacks_.on_message) return;  // after our close frame: dropped
        auto self = this->shared_from_this();
        CallApplication("on_message", [&] { callbacks_.on_message(self, std::move(text)); });
        return;
      }
      case Kind::kBinary:
        reader_.TakeMessage();
        StartClose(ws::close_code::kUnsupportedData, "binary messages are not supported");
        return;
      case Kind::kPing:
        if (!closing_) Queue(ws::Opcode::kPong, reader_.payload());
        return;
      case Kind::kPong:
        return;
      case Kind::kClose: {
        // The peer's close: answered with its code (1000 when it sent none), after which nothing
        // else is sent, and the TCP connection ends once the answer is written.
        const std::uint16_t code = reader_.code();
        peer_closed_ = true;
        reported_code_ = code;
        if (!close_sent_) {
          BeginClosing(code == ws::close_code::kNoStatus ? ws::close_code::kNormal : code);
          SendClose(close_code_, "");
        }
        if (!write_pending_) FinishAfterClose();
        return;
      }
      case Kind::kError:
        MLOG(kDebug) << "net: websocket " << id_ << " from " << remote_ << ": " << reader_.payload();
        StartClose(reader_.code(), std::string(reader_.payload()));
        peer_closed_ = true;  // nothing more is read from a peer that broke the protocol
        reported_code_ = reader_.code();
        if (!write_pending_) FinishAfterClose();
        return;
      case Kind::kNeedMore:
        return;
    }
  }

  // --- writing ------------------------------------------------------------------------------

  void Queue(ws::Opcode opcode, std::string_view payload) {
    if (closing_ || notified_) return;
    if (out_.size() + writing_.size() + payload.size() > state_->limits().max_ws_send_queue_bytes) {
      MLOG(kDebug) << "net: websocket " << id_ << " send queue full; closing";
      out_.clear();  // what the slow reader did not take goes: the close comes next
      StartClose(ws::close_code::kPolicyViolation, "send queue full: the client reads too slowly");
      return;
    }
    ws::AppendFrame(out_, opcode, payload);
    if (opened_ && !write_pending_) Flush();
  }

  void SendClose(std::uint16_t code, std::string_view reason) {
    close_sent_ = true;
    ws::AppendFrame(out_, ws::Opcode::kClose, ws::ClosePayload(code, reason));
    if (!write_pending_) Flush();
  }

  void Flush() {
    if (out_.empty() || notified_) return;
    writing_.swap(out_);
    write_pending_ = true;
    boost::asio::async_write(transport_.stream(), boost::asio::buffer(writing_),
                             Guard("write", [this](const error_code& ec, std::size_t) { OnWritten(ec); }));
  }

  void OnWritten(const error_code& ec) {
    write_pending_ = false;
    writing_ = std::string();  // an idle connection holds no buffer
    if (ec) {
      MLOG(kDebug) << "net: websocket " << id_ << " write: " << ec.message();
      out_ = std::string();
      HardClose();
      NotifyClose(close_sent_ ? close_code_ : ws::close_code::kAbnormal);
      return;
    }
    if (!out_.empty()) {
      Flush();
    } else if (peer_closed_) {
      FinishAfterClose();
    }
  }

  // --- closing ------------------------------------------------------------------------------

  void StartClose(std::uint16_t code, std::string_view reason) {
    if (!opened_ || closing_ || notified_) return;
    BeginClosing(code);
    SendClose(code, reason);  // after what is queued
  }

  // From here on nothing but the close frame is sent; the peer has header_timeout_seconds to
  // complete the handshake. The application hears it (on_closing) before the end (on_close).
  void BeginClosing(std::uint16_t code) {
    closing_ = true;
    close_code_ = code;
    const auto wait = std::chrono::seconds(state_->limits().header_timeout_seconds);
    close_deadline_ = SteadyClock::now() + wait;
    ArmTimer(wait);
    TellClosing();
  }

  void TellClosing() {
    if (told_closing_ || !opened_) return;
    told_closing_ = true;
    auto self = this->shared_from_this();
    if (callbacks_.on_closing) CallApplication("on_closing", [&] { callbacks_.on_closing(self); });
  }

  // Both close frames are exchanged (or the peer broke the protocol): the server ends the TCP
  // connection (RFC 6455 §7.1.1).
  void FinishAfterClose() {
    if constexpr (std::is_same_v<Stream, PlainStream>) {
      error_code ec;
      transport_.socket.shutdown(tcp::socket::shutdown_send, ec);
    }
    HardClose();
    NotifyClose(reported_code_ != 0 ? reported_code_ : close_code_);
  }

  void HardClose() {
    error_code ec;
    transport_.lowest().close(ec);
    timer_.cancel();
  }

  void NotifyClose(std::uint16_t code) {
    if (notified_) return;
    TellClosing();
    notified_ = true;
    closing_ = true;
    out_ = std::string();
    if (opened_) {
      auto self = this->shared_from_this();
      if (callbacks_.on_close) CallApplication("on_close", [&] { callbacks_.on_close(self, code); });
    }
    callbacks_ = {};  // breaks cycles through handler captures
    Release();
  }

  void Release() {
    if (registered_) state_->Release(id_, this);
    registered_ = false;
  }

  // --- time ---------------------------------------------------------------------------------

  void ArmTimer(SteadyClock::duration after) {
    timer_.expires_after(after);
    timer_.async_wait(Guard("timer", [this](const error_code& ec) {
      if (!ec) OnTimer();
    }));
  }

  // The next moment something may be due: a ping or the drop of a silent peer, the maximum age.
  void ScheduleTick() {
    const Limits& limits = state_->limits();
    SteadyClock::time_point next;
    if (limits.ws_ping_interval_seconds > 0) {
      const auto interval = std::chrono::seconds(limits.ws_ping_interval_seconds);
      next = last_seen_ + (ping_sent_ ? 2 * interval : interval);
    } else {
      next = last_seen_ + std::chrono::seconds(limits.idle_timeout_seconds);
    }
    if (limits.ws_max_age_seconds > 0) next = std::min(next, born_ + max_age_);
    if (partial_since_ != SteadyClock::time_point{}) {
      next = std::min(next, partial_since_ + std::chrono::seconds(limits.body_timeout_seconds));
    }
    const auto now = SteadyClock::now();
    ArmTimer(next > now ? next - now : SteadyClock::duration::zero());
  }

  void OnTimer() {
    if (notified_) return;
    const Limits& limits = state_->limits();
    const auto now = SteadyClock::now();
    if (!opened_) {  // the 101 was not written in time
      notified_ = true;
      HardClose();
      Release();
      return;
    }
    if (closing_) {
      if (now >= close_deadline_) {
        HardClose();
        NotifyClose(close_code_);
        return;
      }
      ArmTimer(close_deadline_ - now);
      return;
    }
    if (limits.ws_max_age_seconds > 0 && now - born_ >= max_age_) {
      StartClose(ws::close_code::kGoingAway, "connection reached its maximum age; reconnect");
      return;
    }
    if (partial_since_ != SteadyClock::time_point{} &&
        now - partial_since_ >= std::chrono::seconds(limits.body_timeout_seconds)) {
      StartClose(ws::close_code::kPolicyViolation, "a message was not completed within " +
                                                       std::to_string(limits.body_timeout_seconds) + " s");
      return;
    }
    const auto silent = now - last_seen_;
    if (limits.ws_ping_interval_seconds > 0) {
      const auto interval = std::chrono::seconds(limits.ws_ping_interval_seconds);
      if (silent >= 2 * interval) {
        MLOG(kDebug) << "net: websocket " << id_ << " from " << remote_ << " did not answer a ping";
        HardClose();
        NotifyClose(ws::close_code::kAbnormal);
        return;
      }
      if (silent >= interval && !ping_sent_) {
        ping_sent_ = true;
        Queue(ws::Opcode::kPing, "");
      }
    } else if (silent >= std::chrono::seconds(limits.idle_timeout_seconds)) {
      HardClose();
      NotifyClose(ws::close_code::kAbnormal);
      return;
    }
    ScheduleTick();
  }

  template <class F>
  auto Guard(const char* what, F&& f) {
    return GuardedHandler(this->shared_from_this(), what, std::forward<F>(f));
  }


  Transport<Stream> transport_;
  boost::asio::any_io_executor executor_;
  WsCallbacks callbacks_;
  std::shared_ptr<ServerState> state_;
  std::string remote_;
  std::uint64_t id_;
  ws::FrameReader reader_;
  std::string out_;      // frames queued while a write is on the wire
  std::string writing_;  // the frames on the wire
  boost::asio::steady_timer timer_;
  SteadyClock::time_point born_, last_seen_, close_deadline_;
  SteadyClock::time_point partial_since_;  // when the message being received began (none: zero)
  SteadyClock::duration max_age_{};        // ws_max_age_seconds, less up to a tenth (see Start)
  std::uint16_t close_code_ = ws::close_code::kNormal;  // the code of the close frame sent
  std::uint16_t reported_code_ = 0;                     // the peer's code (or the error's)
  bool registered_ = false;
  bool opened_ = false;
  bool stop_before_open_ = false;
  bool write_pending_ = false;
  bool closing_ = false;     // a close frame is queued or sent: nothing else is sent
  bool close_sent_ = false;
  bool peer_closed_ = false;  // the peer's close frame arrived (or it broke the protocol)
  bool ping_sent_ = false;
  bool told_closing_ = false;  // on_closing called
  bool notified_ = false;     // on_close called (or the connection never opened)
};

}  // namespace

template <class Stream>
void StartLightWsSession(Stream&& stream, std::string_view key, WsCallbacks callbacks,
                         std::shared_ptr<ServerState> state, std::uint64_t slot, std::string remote) {
  auto session = std::make_shared<LightWsSession<Stream>>(std::move(stream), std::move(callbacks),
                                                          std::move(state), slot, std::move(remote));
  session->Start(key);
}

template void StartLightWsSession<PlainStream>(PlainStream&&, std::string_view, WsCallbacks,
                                               std::shared_ptr<ServerState>, std::uint64_t, std::string);
template void StartLightWsSession<TlsStream>(TlsStream&&, std::string_view, WsCallbacks,
                                             std::shared_ptr<ServerState>, std::uint64_t, std::string);

}  // namespace muster::net::internal

// One server-side WebSocket connection. Reads text messages in a loop; writes go through a queue
// (one write in flight); Close waits for queued writes, then does the close handshake. Beast answers
// pings and closes with 1009 on oversized messages itself. on_close fires exactly once after the
// connection was opened.
//
// Timeouts: handshake and close handshake use header_timeout; a connection from which no frame
// (data, ping or pong) arrives for idle_timeout is dropped (reported as 1006). The server sends no
// keep-alive pings of its own, so a silent client times out.
//
// Exceptions: completion handlers run inside GuardedHandler (guard.h) and the application's
// callbacks inside Callback(): an exception from either is logged; one from the transport ends
// this connection (reported as 1011 to on_close), one from a callback only that callback.
// A WebSocket holds its registry slot until it ends and is never evicted to make room.

#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <chrono>
#include <deque>

#include "common/log.h"
#include "net/guard.h"
#include "net/http_session.h"

namespace muster::net::internal {
namespace {

namespace http = beast::http;
namespace websocket = beast::websocket;
using error_code = boost::system::error_code;

constexpr std::uint16_t kAbnormal = 1006;
// The read buffer holds one message at most (plus a read's worth): a frame header announcing
// more cannot make the decoder allocate it.
constexpr std::size_t kReadBufferSlack = 4096;

template <class Stream>
class WsSession : public WsConnection,
                  public SessionBase,
                  public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  WsSession(Stream&& stream, WsCallbacks callbacks, std::shared_ptr<ServerState> state,
            std::uint64_t slot, std::string remote)
      : ws_(std::move(stream)),
        executor_(ws_.get_executor()),
        callbacks_(std::move(callbacks)),
        state_(std::move(state)),
        remote_(std::move(remote)),
        id_(slot),
        read_buffer_(state_->limits().max_ws_message_bytes + kReadBufferSlack) {}

  ~WsSession() override { Release(); }

  void Start(BeastRequest&& req) {
    if (!state_->Attach(id_, this->shared_from_this())) {
      beast::get_lowest_layer(ws_).close();
      return;
    }
    registered_ = true;
    const Limits& limits = state_->limits();
    beast::get_lowest_layer(ws_).expires_never();  // the websocket stream keeps its own timers
    websocket::stream_base::timeout timeouts;
    timeouts.handshake_timeout = std::chrono::seconds(limits.header_timeout_seconds);
    timeouts.idle_timeout = std::chrono::seconds(limits.idle_timeout_seconds);
    timeouts.keep_alive_pings = false;
    ws_.set_option(timeouts);
    websocket::permessage_deflate pmd;
    pmd.server_enable = false;
    pmd.client_enable = false;
    ws_.set_option(pmd);
    ws_.read_message_max(limits.max_ws_message_bytes);
    ws_.auto_fragment(false);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "muster"); }));
    ws_.async_accept(req, Guard("accept", [this](const error_code& ec) { OnAccept(ec); }));
  }

  // WsConnection
  void Send(std::string text) override {
    asio::post(executor_, Guard("send", [this, text = std::move(text)]() mutable {
                 DoSend(std::move(text));
               }));
  }
  void Close(std::uint16_t code, std::string reason) override {
    asio::post(executor_, Guard("close", [this, code, reason = std::move(reason)]() mutable {
                 StartClose(code, std::move(reason));
               }));
  }
  std::uint64_t Id() const override { return id_; }
  const std::string& RemoteAddress() const override { return remote_; }

  // SessionBase
  void PostShutdown() override {
    asio::post(executor_, Guard("shutdown", [this] {
                 if (!opened_) {
                   stop_before_open_ = true;
                   return;
                 }
                 StartClose(1001, "server shutting down");
               }));
  }
  void PostEvict() override {}  // WebSockets are never idle in the registry's sense

 private:
  void OnAccept(const error_code& ec) {
    if (ec) {
      MLOG(kDebug) << "net: websocket handshake with " << remote_ << " failed: " << ec.message();
      beast::get_lowest_layer(ws_).close();
      Release();
      return;
    }
    opened_ = true;
    auto self = this->shared_from_this();
    if (callbacks_.on_open) CallApplication("on_open", [&] { callbacks_.on_open(self); });
    DoRead();
    if (stop_before_open_ || state_->stopping()) StartClose(1001, "server shutting down");
  }

  void DoRead() {
    ws_.async_read(read_buffer_,
                   Guard("read", [this](const error_code& ec, std::size_t) { OnRead(ec); }));
  }

  void OnRead(const error_code& ec) {
    if (ec) {
      std::uint16_t code = kAbnormal;
      if (ec == websocket::error::closed) {
        code = close_sent_ ? close_code_ : static_cast<std::uint16_t>(ws_.reason().code);
      } else if (ec == websocket::error::message_too_big) {
        code = 1009;
      } else if (ec == websocket::error::buffer_overflow && !closing_) {
        // A frame announced more than the message limit lets the read buffer hold (with
        // permessage-deflate Beast sizes its read by the compressed frame's declared length).
        read_buffer_.consume(read_buffer_.size());
        StartClose(1009, "message too big");
        return;
      }
      MLOG(kDebug) << "net: websocket " << id_ << " read ended: " << ec.message() << " code "
                   << code;
      NotifyClose(code);
      return;
    }
    if (!ws_.got_text()) {
      read_buffer_.consume(read_buffer_.size());
      StartClose(1003, "binary messages are not supported");
      return;  // the close handshake reads the peer's reply
    }
    std::string text = beast::buffers_to_string(read_buffer_.data());
    read_buffer_.consume(read_buffer_.size());
    if (callbacks_.on_message && !notified_) {
      auto self = this->shared_from_this();
      CallApplication("on_message", [&] { callbacks_.on_message(self, std::move(text)); });
    }
    if (!notified_) DoRead();
  }

  void DoSend(std::string text) {
    if (!opened_ || closing_ || notified_) return;
    if (queued_bytes_ + text.size() > state_->limits().max_ws_send_queue_bytes) {
      MLOG(kDebug) << "net: websocket " << id_ << " send queue full; closing";
      StartClose(1008, "send queue full");
      return;
    }
    queued_bytes_ += text.size();
    queue_.push_back(std::move(text));
    if (!writing_) DoWrite();
  }

  void DoWrite() {
    writing_ = true;
    ws_.text(true);
    ws_.async_write(asio::buffer(queue_.front()),
                    Guard("write", [this](const error_code& ec, std::size_t) { OnWrite(ec); }));
  }

  void OnWrite(const error_code& ec) {
    writing_ = false;
    if (ec) {
      MLOG(kDebug) << "net: websocket " << id_ << " write: " << ec.message();
      queue_.clear();
      queued_bytes_ = 0;
      beast::get_lowest_layer(ws_).close();  // the pending read reports the end
      return;
    }
    queued_bytes_ -= queue_.front().size();
    queue_.pop_front();
    if (!queue_.empty()) {
      DoWrite();
    } else if (closing_) {
      DoClose();
    }
  }

  void StartClose(std::uint16_t code, std::string reason) {
    if (!opened_ || closing_ || notified_) return;
    closing_ = true;
    TellClosing();
    close_code_ = code;
    close_reason_ = std::move(reason);
    if (close_reason_.size() > 123) close_reason_.resize(123);  // control frame payload limit
    if (!writing_) DoClose();
  }

  void DoClose() {
    close_sent_ = true;
    ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(close_code_), close_reason_),
                    Guard("close", [this](const error_code& ec) {
                      if (ec) {
                        MLOG(kDebug) << "net: websocket " << id_ << " close: " << ec.message();
                        beast::get_lowest_layer(ws_).close();
                      }
                      NotifyClose(close_code_);
                    }));
  }

  void TellClosing() {
    if (told_closing_) return;
    told_closing_ = true;
    auto self = this->shared_from_this();
    if (callbacks_.on_closing) CallApplication("on_closing", [&] { callbacks_.on_closing(self); });
  }

  void NotifyClose(std::uint16_t code) {
    if (!opened_ || notified_) return;
    TellClosing();
    notified_ = true;
    auto self = this->shared_from_this();
    if (callbacks_.on_close) CallApplication("on_close", [&] { callbacks_.on_close(self, code); });
    callbacks_ = {};  // breaks cycles through handler captures
    // The connection counts as gone once reported closed, even while the application still holds
    // a reference to it.
    Release();
  }

  void Release() {
    if (registered_) state_->Release(id_, this);
    registered_ = false;
  }

  template <class F>
  auto Guard(const char* what, F&& f) {
    return GuardedHandler(this->shared_from_this(), what, std::forward<F>(f));
  }

 public:
  // Called by GuardedHandler when a transport handler threw: this connection ends.
  void OnException(const char* what, const char* reason) {
    MLOG(kError) << "net: websocket " << id_ << " from " << remote_ << " closed: " << what
                 << " threw: " << reason;
    try {
      beast::get_lowest_layer(ws_).close();
    } catch (...) {
    }
    NotifyClose(1011);
    Release();
  }

 private:
  websocket::stream<Stream> ws_;
  asio::any_io_executor executor_;
  WsCallbacks callbacks_;
  std::shared_ptr<ServerState> state_;
  std::string remote_;
  std::uint64_t id_;
  bool registered_ = false;
  bool opened_ = false;
  bool stop_before_open_ = false;
  bool closing_ = false;    // Close requested; no more Sends
  bool close_sent_ = false;  // async_close started
  bool told_closing_ = false;  // on_closing called
  bool notified_ = false;   // on_close called
  bool writing_ = false;
  std::uint16_t close_code_ = 1000;
  std::string close_reason_;
  beast::flat_buffer read_buffer_;
  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;
};

}  // namespace

template <class Stream>
void StartWsSession(Stream&& stream, BeastRequest&& req, WsCallbacks callbacks,
                    std::shared_ptr<ServerState> state, std::uint64_t slot, std::string remote) {
  auto session = std::make_shared<WsSession<Stream>>(std::move(stream), std::move(callbacks),
                                                     std::move(state), slot, std::move(remote));
  session->Start(std::move(req));
}

template void StartWsSession<PlainStream>(PlainStream&&, BeastRequest&&, WsCallbacks,
                                          std::shared_ptr<ServerState>, std::uint64_t,
                                          std::string);
template void StartWsSession<TlsStream>(TlsStream&&, BeastRequest&&, WsCallbacks,
                                        std::shared_ptr<ServerState>, std::uint64_t,
                                        std::string);

}  // namespace muster::net::internal

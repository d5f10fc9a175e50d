// One HTTP/1.1 connection: reads requests one at a time (pipelined bytes wait in the buffer),
// hands each to the handler, writes the response, and loops while keep-alive holds. Errors the
// transport detects itself are answered with a JSON error and a lingering close.
//
// Timeouts: a new connection must deliver its TLS handshake and first header section within
// header_timeout; between requests the connection may idle for idle_timeout, but once the first
// byte of a request arrives its header section must complete within header_timeout (slowloris).
// Body reads and response writes use idle_timeout.

#include "net/http_session.h"

#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <optional>
#include <type_traits>

#include "common/log.h"

namespace muster::net::internal {
namespace {

namespace http = beast::http;
using error_code = boost::system::error_code;

constexpr std::chrono::seconds kLingerTimeout{2};
// The linger is bounded by kLingerTimeout; the byte cap only stops a peer that streams faster
// than we can discard. It must exceed the bodies clients commonly send past a 413 (a client
// still uploading when we close would otherwise get a reset instead of our answer).
constexpr std::size_t kMaxLingerBytes = 16 * 1024 * 1024;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

template <class Stream>
class HttpSession : public SessionBase, public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  template <class... Args>
  HttpSession(std::shared_ptr<ServerState> state, std::string remote, Args&&... args)
      : stream_(std::forward<Args>(args)...),
        executor_(stream_.get_executor()),
        state_(std::move(state)),
        remote_(std::move(remote)),
        id_(NextConnectionId()) {}

  ~HttpSession() override { Unregister(); }

  void Start() {
    if (!state_->Register(id_, this->weak_from_this())) {
      Lowest().close();
      return;
    }
    registered_ = true;
    if constexpr (kTls) {
      phase_ = Phase::kHandshake;
      Lowest().expires_after(std::chrono::seconds(state_->limits().header_timeout_seconds));
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](const error_code& ec) {
                                self->OnHandshake(ec);
                              });
    } else {
      ReadRequest(/*first=*/true);
    }
  }

  void PostShutdown() override {
    asio::post(executor_, [self = this->shared_from_this()] { self->Shutdown(); });
  }

  // From the Responder, any thread.
  void PostResponse(HttpResponse res) {
    asio::post(executor_, [self = this->shared_from_this(), res = std::move(res)]() mutable {
      self->WriteResponse(std::move(res));
    });
  }

 private:
  enum class Phase { kHandshake, kIdle, kReading, kHandling, kWriting, kClosing, kUpgraded };

  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  void OnHandshake(const error_code& ec) {
    if (ec) {
      MLOG(kDebug) << "net: tls handshake from " << remote_ << " failed: " << ec.message();
      HardClose();
      return;
    }
    ReadRequest(/*first=*/true);
  }

  void ReadRequest(bool first) {
    if (stopping_ || state_->stopping()) {
      GracefulClose();
      return;
    }
    const Limits& limits = state_->limits();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(limits.max_header_bytes, UINT32_MAX)));
    parser_->body_limit(limits.max_body_bytes);
    if (buffer_.size() > 0) {
      ReadHeader();
      return;
    }
    // Wait for the first byte of the next request.
    phase_ = Phase::kIdle;
    Lowest().expires_after(
        std::chrono::seconds(first ? limits.header_timeout_seconds : limits.idle_timeout_seconds));
    stream_.async_read_some(
        buffer_.prepare(4096),
        [self = this->shared_from_this()](const error_code& ec, std::size_t n) {
          if (ec) {
            self->OnReadError(ec);
            return;
          }
          self->buffer_.commit(n);
          self->ReadHeader();
        });
  }

  void ReadHeader() {
    phase_ = Phase::kReading;
    Lowest().expires_after(std::chrono::seconds(state_->limits().header_timeout_seconds));
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](const error_code& ec, std::size_t) {
                              self->OnHeader(ec);
                            });
  }

  void OnHeader(const error_code& ec) {
    if (ec) {
      OnReadError(ec);
      return;
    }
    auto& req = parser_->get();
    auto te = req.find(http::field::transfer_encoding);
    if (te != req.end() && !beast::iequals(Trim(te->value()), "chunked")) {
      SendError(501, "NotImplemented", "unsupported Transfer-Encoding");
      return;
    }
    auto expect = req.find(http::field::expect);
    if (expect != req.end()) {
      if (!beast::iequals(Trim(expect->value()), "100-continue")) {
        SendError(417, "ExpectationFailed", "unsupported Expect");
        return;
      }
      if (!parser_->is_done()) {
        Lowest().expires_after(std::chrono::seconds(state_->limits().idle_timeout_seconds));
        asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                          [self = this->shared_from_this()](const error_code& ec, std::size_t) {
                            if (ec) {
                              self->OnReadError(ec);
                              return;
                            }
                            self->ReadBody();
                          });
        return;
      }
    }
    ReadBody();
  }

  void ReadBody() {
    if (parser_->is_done()) {
      Dispatch();
      return;
    }
    Lowest().expires_after(std::chrono::seconds(state_->limits().idle_timeout_seconds));
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](const error_code& ec, std::size_t) {
                       if (ec) {
                         self->OnReadError(ec);
                         return;
                       }
                       self->Dispatch();
                     });
  }

  void OnReadError(const error_code& ec) {
    MLOG(kDebug) << "net: read from " << remote_ << ": " << ec.message();
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
      SendError(431, "RequestHeaderFieldsTooLarge", "request header section too large");
    } else if (ec == http::error::body_limit) {
      SendError(413, "PayloadTooLarge", "request body too large");
    } else if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
               ec != http::error::end_of_stream && ec != http::error::partial_message) {
      SendError(400, "BadRequest", "malformed request: " + ec.message());
    } else {
      // EOF, reset, timeout, Stop: nothing useful to answer.
      HardClose();
    }
  }

  void Dispatch() {
    Lowest().expires_never();
    BeastRequest breq = parser_->release();
    parser_.reset();
    keep_alive_ = breq.keep_alive();
    version_ = breq.version();
    head_ = breq.method() == http::verb::head;
    if (beast::websocket::is_upgrade(breq)) {
      Upgrade(std::move(breq));
      return;
    }
    HttpRequest req = ToHttpRequest(std::move(breq), remote_, kTls);
    phase_ = Phase::kHandling;
    auto slot = std::make_shared<ResponseSlot>(this->shared_from_this());
    Responder respond = [slot](HttpResponse res) {
      if (slot->used.exchange(true)) {
        MLOG(kDebug) << "net: responder called twice; ignored";
        return;
      }
      slot->session->PostResponse(std::move(res));
    };
    try {
      state_->handler()(std::move(req), std::move(respond));
    } catch (const std::exception& e) {
      MLOG(kError) << "net: http handler threw: " << e.what();
    }
  }

  void Upgrade(BeastRequest&& breq) {
    if (!state_->ws_handler()) {
      SendError(404, "NotFound", "no WebSocket endpoint here");
      return;
    }
    HttpRequest req = ToHttpRequest(BeastRequest(breq), remote_, kTls);
    std::variant<WsCallbacks, HttpResponse> decision;
    try {
      decision = state_->ws_handler()(req);
    } catch (const std::exception& e) {
      MLOG(kError) << "net: upgrade handler threw: " << e.what();
      decision = ErrorResponse(500, "InternalError", "upgrade handler failed");
    }
    if (auto* reject = std::get_if<HttpResponse>(&decision)) {
      keep_alive_ = false;
      phase_ = Phase::kHandling;
      WriteResponse(std::move(*reject));
      return;
    }
    if (stopping_ || state_->stopping()) {
      SendError(503, "ServiceUnavailable", "server is stopping");
      return;
    }
    phase_ = Phase::kUpgraded;
    StartWsSession<Stream>(std::move(stream_), std::move(breq),
                           std::move(std::get<WsCallbacks>(decision)), state_, remote_);
    Unregister();  // the WebSocket session registered itself
  }

  struct ResponseSlot {
    explicit ResponseSlot(std::shared_ptr<HttpSession> s) : session(std::move(s)) {}
    ~ResponseSlot() {
      if (!used.exchange(true)) {
        MLOG(kDebug) << "net: responder dropped without an answer; sending 500";
        session->PostResponse(ErrorResponse(500, "InternalError", "no response"));
      }
    }
    std::shared_ptr<HttpSession> session;
    std::atomic<bool> used{false};
  };

  void WriteResponse(HttpResponse res) {
    if (phase_ != Phase::kHandling) return;
    bool keep = keep_alive_ && !stopping_ && !state_->stopping();
    res_ = std::make_shared<BeastResponse>(ToBeastResponse(std::move(res), version_, keep, head_));
    phase_ = Phase::kWriting;
    Lowest().expires_after(std::chrono::seconds(state_->limits().idle_timeout_seconds));
    http::async_write(stream_, *res_,
                      [self = this->shared_from_this(), keep](const error_code& ec, std::size_t) {
                        self->res_.reset();
                        if (ec) {
                          MLOG(kDebug) << "net: write to " << self->remote_ << ": " << ec.message();
                          self->HardClose();
                        } else if (keep) {
                          self->ReadRequest(/*first=*/false);
                        } else {
                          self->GracefulClose();
                        }
                      });
  }

  // Answers an error the transport found itself, then closes.
  void SendError(int status, std::string_view error, std::string_view message) {
    parser_.reset();
    keep_alive_ = false;
    head_ = false;
    if (version_ == 0) version_ = 11;
    phase_ = Phase::kHandling;
    WriteResponse(ErrorResponse(status, error, message));
  }

  void Shutdown() {
    stopping_ = true;
    if (phase_ == Phase::kHandshake || phase_ == Phase::kIdle || phase_ == Phase::kReading) {
      HardClose();
    }
    // kHandling / kWriting: the response goes out with Connection: close (or, if already being
    // written, the loop stops before the next read).
  }

  // Half-closes, then discards what the peer still sends for a moment so that our last response
  // is not destroyed by a reset.
  void GracefulClose() {
    if (phase_ == Phase::kClosing) return;
    phase_ = Phase::kClosing;
    Lowest().expires_after(kLingerTimeout);
    if constexpr (kTls) {
      stream_.async_shutdown([self = this->shared_from_this()](const error_code&) {
        self->Finish();
      });
    } else {
      error_code ec;
      Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
      Drain();
    }
  }

  void Drain() {
    Lowest().async_read_some(
        asio::buffer(drain_),
        [self = this->shared_from_this()](const error_code& ec, std::size_t n) {
          self->drained_ += n;
          if (ec || self->drained_ > kMaxLingerBytes) {
            self->Finish();
            return;
          }
          self->Drain();
        });
  }

  void HardClose() {
    phase_ = Phase::kClosing;
    Finish();
  }

  // The connection is over (a Responder may still hold this object for a while).
  void Finish() {
    Lowest().close();
    Unregister();
  }

  void Unregister() {
    if (registered_) state_->Unregister(id_);
    registered_ = false;
  }

  Stream stream_;
  asio::any_io_executor executor_;
  std::shared_ptr<ServerState> state_;
  std::string remote_;
  std::uint64_t id_;
  bool registered_ = false;
  bool stopping_ = false;
  Phase phase_ = Phase::kIdle;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<BeastResponse> res_;
  bool keep_alive_ = false;
  unsigned version_ = 11;
  bool head_ = false;
  std::array<char, 4096> drain_{};
  std::size_t drained_ = 0;
};

// A refused connection: 503, then a lingering close.
class Refusal : public std::enable_shared_from_this<Refusal> {
 public:
  explicit Refusal(tcp::socket&& socket) : stream_(std::move(socket)) {}

  void Start() {
    static const std::string kRefusal = [] {
      std::string body =
          R"({"error":"ServiceUnavailable","message":"too many open connections"})";
      return "HTTP/1.1 503 Service Unavailable\r\nServer: muster\r\n"
             "Content-Type: application/json\r\nConnection: close\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\n\r\n" + body;
    }();
    stream_.expires_after(kLingerTimeout);
    asio::async_write(stream_, asio::buffer(kRefusal),
                      [self = shared_from_this()](const error_code& ec, std::size_t) {
                        if (ec) {
                          self->stream_.close();
                          return;
                        }
                        error_code ignored;
                        self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                        self->Drain();
                      });
  }

 private:
  void Drain() {
    stream_.async_read_some(asio::buffer(drain_),
                            [self = shared_from_this()](const error_code& ec, std::size_t) {
                              if (ec) {
                                self->stream_.close();
                                return;
                              }
                              self->Drain();
                            });
  }

  beast::tcp_stream stream_;
  std::array<char, 1024> drain_{};
};

std::string RemoteOf(const tcp::socket& socket) {
  error_code ec;
  auto ep = socket.remote_endpoint(ec);
  return ec ? std::string("unknown") : ep.address().to_string();
}

}  // namespace

void StartHttpSession(tcp::socket&& socket, std::shared_ptr<ServerState> state) {
  std::string remote = RemoteOf(socket);
  error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  if (asio::ssl::context* tls = state->tls()) {
    auto session = std::make_shared<HttpSession<TlsStream>>(std::move(state), std::move(remote),
                                                            std::move(socket), *tls);
    session->Start();
  } else {
    auto session = std::make_shared<HttpSession<PlainStream>>(std::move(state), std::move(remote),
                                                              std::move(socket));
    session->Start();
  }
}

void RefuseConnection(tcp::socket&& socket, bool tls) {
  if (tls) {
    error_code ec;
    socket.close(ec);
    return;
  }
  std::make_shared<Refusal>(std::move(socket))->Start();
}

}  // namespace muster::net::internal

// One HTTP/1.1 connection: reads requests one at a time (pipelined bytes wait in the buffer),
// hands each to the handler, writes the response, and loops while keep-alive holds. Errors the
// transport detects itself are answered with a JSON error and a lingering close.
//
// Timeouts: a new connection must deliver its TLS handshake and first header section within
// header_timeout; between requests the connection may idle for idle_timeout, but once the first
// byte of a request arrives its header section must complete within header_timeout (slowloris).
// The body must arrive within body_timeout of its header, and a response be written within
// body_timeout (a peer that stops reading is cut).
//
// Exceptions: every completion handler runs inside Guard(); an exception that escapes one (a
// parser, a handler, an allocation) closes this connection with a logged reason and nothing else.
// The parser itself cannot throw on input (request_parser.h).
//
// Memory: an idle plain connection waits for readability without a read buffer (after a response
// one non-blocking read looks for the next request; when none is there the buffer is released
// before the wait); the linger buffer exists only while closing.

#include "net/http_session.h"

#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <optional>
#include <type_traits>

#include "common/log.h"
#include "net/guard.h"
#include "net/request_parser.h"
#include "ws/handshake.h"

namespace muster::net::internal {
namespace {

namespace http = beast::http;
using error_code = boost::system::error_code;

constexpr std::chrono::seconds kLingerTimeout{2};
// The linger is bounded by kLingerTimeout; the byte cap only stops a peer that streams faster
// than we can discard. It must exceed the bodies clients commonly send past a 413 (a client
// still uploading when we close would otherwise get a reset instead of our answer).
constexpr std::size_t kMaxLingerBytes = 16 * 1024 * 1024;
constexpr std::size_t kLingerBufferBytes = 4096;
// The read buffer a request starts with, once its first byte is there.
constexpr std::size_t kFirstReadBytes = 4096;
// The most a body read asks for at once (bounded by the read buffer's room).
constexpr std::size_t kBodyReadBytes = 16 * 1024;
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
  HttpSession(std::shared_ptr<ServerState> state, std::uint64_t slot, std::string remote,
              Args&&... args)
      : stream_(std::forward<Args>(args)...),
        executor_(stream_.get_executor()),
        idle_timer_(executor_),
        state_(std::move(state)),
        remote_(std::move(remote)),
        id_(slot),
        buffer_(ReadBufferLimit(state_->limits())) {}

  ~HttpSession() override {
    ReleaseBody();
    Release();
  }

  void Start() {
    Guarded("start", [this] {
      if (!state_->Attach(id_, this->shared_from_this())) {
        HardClose();
        return;
      }
      attached_ = true;
      if constexpr (kTls) {
        SetPhase(Phase::kHandshake);
        Lowest().expires_after(std::chrono::seconds(state_->limits().header_timeout_seconds));
        stream_.async_handshake(asio::ssl::stream_base::server,
                                Guard("tls handshake", [this](const error_code& ec) {
                                  OnHandshake(ec);
                                }));
      } else {
        ReadRequest(/*first=*/true);
      }
    });
  }

  void PostShutdown() override {
    asio::post(executor_, Guard("shutdown", [this] { Shutdown(); }));
  }

  void PostEvict() override {
    asio::post(executor_, Guard("evict", [this] { Evict(); }));
  }

  // From the Responder, any thread.
  void PostResponse(HttpResponse res) {
    asio::post(executor_, Guard("response", [this, res = std::move(res)]() mutable {
                 WriteResponse(std::move(res));
               }));
  }

 private:
  enum class Phase {
    kStarting,   // not yet in the registry's idle list
    kHandshake,  // evictable
    kIdle,       // evictable: waiting for the first byte of a request
    kHeader,     // evictable: reading a header section
    kBody,       // evictable: reading a body (a stalled body must not hold its slot)
    kHandling,
    kWriting,
    kClosing,
    kUpgraded,
  };

  static bool Evictable(Phase p) {
    return p == Phase::kHandshake || p == Phase::kIdle || p == Phase::kHeader || p == Phase::kBody;
  }

  template <class F>
  auto Guard(const char* what, F&& f) {
    return GuardedHandler(this->shared_from_this(), what, std::forward<F>(f));
  }
  template <class F>
  void Guarded(const char* what, F&& f) {
    Guard(what, std::forward<F>(f))();
  }

 public:
  // Called by GuardedHandler when a handler threw: this connection ends, nothing else does.
  void OnException(const char* what, const char* reason) {
    MLOG(kError) << "net: connection from " << remote_ << " closed: " << what
                 << " threw: " << reason;
    try {
      HardClose();
    } catch (...) {
      Release();
    }
  }

 private:
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  void SetPhase(Phase p) {
    bool was = Evictable(phase_);
    phase_ = p;
    bool is = Evictable(p);
    if (attached_ && was != is) state_->SetIdle(id_, this, is);
  }

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
    parser_.emplace(limits);
    if (buffer_.size() > 0) {
      ReadHeader();
      return;
    }
    // Wait for the first byte of the next request, holding no read buffer meanwhile.
    SetPhase(Phase::kIdle);
    auto timeout =
        std::chrono::seconds(first ? limits.header_timeout_seconds : limits.idle_timeout_seconds);
    if constexpr (kTls) {
      // TLS may hold decrypted bytes already; read through the stream.
      buffer_.shrink_to_fit();
      Lowest().expires_after(timeout);
      stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                              Guard("read", [this](const error_code& ec, std::size_t n) {
                                if (ec) {
                                  OnReadError(ec);
                                  return;
                                }
                                buffer_.commit(n);
                                ReadHeader();
                              }));
    } else {
      // A client that sent its next request already (keep-alive, pipelining) needs no wait: one
      // non-blocking read takes it (and costs no more than asking whether bytes are there).
      error_code read_ec;
      auto& socket = Lowest().socket();
      if (!socket.non_blocking()) socket.non_blocking(true, read_ec);
      std::size_t n = read_ec ? 0 : socket.read_some(buffer_.prepare(kFirstReadBytes), read_ec);
      if (n > 0 && !read_ec) {
        buffer_.commit(n);
        ReadHeader();
        return;
      }
      if (read_ec && read_ec != asio::error::would_block && read_ec != asio::error::try_again) {
        OnReadError(read_ec);
        return;
      }
      buffer_.shrink_to_fit();  // nothing came: wait holding no read buffer
      idle_timer_.expires_after(timeout);
      idle_timer_.async_wait(Guard("idle timer", [this](const error_code& ec) {
        if (ec || phase_ != Phase::kIdle) return;
        MLOG(kDebug) << "net: connection from " << remote_ << " idle; closing";
        HardClose();
      }));
      Lowest().socket().async_wait(tcp::socket::wait_read,
                                   Guard("wait", [this](const error_code& ec) {
                                     idle_timer_.cancel();
                                     if (phase_ != Phase::kIdle) return;
                                     if (ec) {
                                       OnReadError(ec);
                                       return;
                                     }
                                     // One read takes a whole typical signed request.
                                     buffer_.reserve(kFirstReadBytes);
                                     ReadHeader();
                                   }));
    }
  }

  void ReadHeader() {
    SetPhase(Phase::kHeader);
    Lowest().expires_after(std::chrono::seconds(state_->limits().header_timeout_seconds));
    http::async_read_header(stream_, buffer_, *parser_,
                            Guard("read header", [this](const error_code& ec, std::size_t) {
                              OnHeader(ec);
                            }));
  }

  void OnHeader(const error_code& ec) {
    if (ec) {
      OnReadError(ec);
      return;
    }
    auto& req = parser_->get();
    if (auto bad = CheckHost(req)) {
      SendError(400, "BadRequest", *bad);
      return;
    }
    auto te = req.find(http::field::transfer_encoding);
    if (te != req.end() && !beast::iequals(Trim(te->value()), "chunked")) {
      SendError(501, "NotImplemented", "unsupported Transfer-Encoding");
      return;
    }
    SetPhase(Phase::kBody);
    if (!ReserveBody()) {
      SendError(413, "PayloadTooLarge", "request body larger than the listener's body budget");
      return;
    }
    auto expect = req.find(http::field::expect);
    if (expect != req.end()) {
      if (!beast::iequals(Trim(expect->value()), "100-continue")) {
        SendError(417, "ExpectationFailed", "unsupported Expect");
        return;
      }
      if (!parser_->is_done()) {
        Lowest().expires_after(std::chrono::seconds(state_->limits().body_timeout_seconds));
        asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                          Guard("write 100", [this](const error_code& ec, std::size_t) {
                            if (ec) {
                              OnReadError(ec);
                              return;
                            }
                            ReadBody(/*deadline_set=*/true);
                          }));
        return;
      }
    }
    ReadBody(/*deadline_set=*/false);
  }

  // Room in the listener's budget for the body about to be read: its declared length, or the
  // body limit when chunked (its length is unknown).
  bool ReserveBody() {
    std::size_t want = 0;
    if (auto length = parser_->content_length()) {
      want = static_cast<std::size_t>(std::min<std::uint64_t>(*length, state_->limits().max_body_bytes));
    } else if (parser_->chunked()) {
      want = state_->limits().max_body_bytes;
    }
    if (want == 0) return true;
    if (!state_->ReserveBody(this, want)) {
      MLOG(kDebug) << "net: body budget spent; refusing a body from " << remote_;
      return false;
    }
    body_reserved_ = true;
    return true;
  }

  // (An eviction for the budget may already have freed the reservation; releasing is then a no-op.)
  void ReleaseBody() {
    if (body_reserved_) state_->ReleaseBody(this);
    body_reserved_ = false;
  }

  // RFC 9112 §3.2: an HTTP/1.1 request needs exactly one Host field.
  static std::optional<std::string> CheckHost(const BeastRequest& req) {
    auto hosts = req.count(http::field::host);
    if (hosts > 1) return "more than one Host header";
    if (hosts == 0 && req.version() >= 11) return "an HTTP/1.1 request needs a Host header";
    return std::nullopt;
  }

  void ReadBody(bool deadline_set) {
    if (parser_->is_done()) {
      Dispatch();
      return;
    }
    // One deadline for the whole body, counted from its header (the 100 Continue included).
    if (!deadline_set) {
      Lowest().expires_after(std::chrono::seconds(state_->limits().body_timeout_seconds));
    }
    ParseBody();
  }

  // Parses what is buffered, then reads more until the body is complete (RequestParser::Put, not
  // http::async_read: see request_parser.h).
  void ParseBody() {
    while (buffer_.size() > 0) {
      error_code ec;
      std::size_t used = parser_->Put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == http::error::need_more) break;
      if (ec) {
        OnReadError(ec);
        return;
      }
      if (parser_->is_done()) {
        Dispatch();
        return;
      }
      if (used == 0) break;
    }
    if (buffer_.size() >= buffer_.max_size()) {
      OnReadError(http::error::buffer_overflow);
      return;
    }
    const std::size_t room = std::min<std::size_t>(kBodyReadBytes, buffer_.max_size() - buffer_.size());
    stream_.async_read_some(buffer_.prepare(room), Guard("read body", [this](const error_code& ec, std::size_t n) {
                              if (ec) {
                                OnReadError(ec);
                                return;
                              }
                              buffer_.commit(n);
                              ParseBody();
                            }));
  }

  void OnReadError(const error_code& ec) {
    MLOG(kDebug) << "net: read from " << remote_ << ": " << ec.message();
    RequestParser::Limit hit = parser_ ? parser_->limit_hit() : RequestParser::Limit::kNone;
    if (hit == RequestParser::Limit::kBody || ec == http::error::body_limit) {
      SendError(413, "PayloadTooLarge", "request body too large");
    } else if (hit != RequestParser::Limit::kNone) {
      SendError(431, "RequestHeaderFieldsTooLarge", parser_->LimitMessage());
    } else if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
      bool trailer = parser_ && parser_->header_complete();
      SendError(431, "RequestHeaderFieldsTooLarge",
                trailer ? "chunk framing or trailer section too large"
                        : "request header section too large");
    } else if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
               ec != http::error::end_of_stream && ec != http::error::partial_message) {
      SendError(400, "BadRequest", "malformed request: " + ec.message());
    } else if (ec == beast::error::timeout && phase_ == Phase::kBody) {
      MLOG(kDebug) << "net: request body from " << remote_ << " did not arrive within "
                   << state_->limits().body_timeout_seconds << " s; closing";
      HardClose();
    } else {
      // EOF, reset, timeout, Stop: nothing useful to answer.
      HardClose();
    }
  }

  void Dispatch() {
    Lowest().expires_never();
    BeastRequest breq = parser_->release();
    parser_.reset();
    ReleaseBody();  // the body now belongs to the request handed over
    keep_alive_ = breq.keep_alive();
    version_ = breq.version();
    head_ = breq.method() == http::verb::head;
    if (beast::websocket::is_upgrade(breq)) {
      Upgrade(std::move(breq));
      return;
    }
    HttpRequest req = ToHttpRequest(std::move(breq), remote_, kTls);
    SetPhase(Phase::kHandling);
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
      // The responder (dropped or not) still answers; the connection carries on.
      MLOG(kError) << "net: http handler threw on a request from " << remote_ << ": " << e.what();
    }
  }

  void Upgrade(BeastRequest&& breq) {
    if (!state_->ws_handler()) {
      SendError(404, "NotFound", "no WebSocket endpoint here");
      return;
    }
    // The handshake's own checks come first: a malformed upgrade costs the handler (a signature
    // check, rate limits) nothing.
    const auto field = [&](http::field f) { return std::string_view(breq[f].data(), breq[f].size()); };
    const ws::UpgradeRequest upgrade{std::string_view(breq.method_string().data(), breq.method_string().size()),
                                     field(http::field::upgrade), field(http::field::connection),
                                     field(http::field::sec_websocket_key), field(http::field::sec_websocket_version)};
    if (auto refusal = ws::CheckUpgrade(upgrade)) {
      HttpResponse res = ErrorResponse(refusal->status, "BadUpgrade", refusal->message);
      res.headers = std::move(refusal->headers);
      return Refuse(std::move(res));
    }
    HttpRequest req = ToHttpRequest(BeastRequest(breq), remote_, kTls);
    std::variant<WsCallbacks, HttpResponse> decision;
    try {
      decision = state_->ws_handler()(req);
    } catch (const std::exception& e) {
      MLOG(kError) << "net: upgrade handler threw: " << e.what();
      decision = ErrorResponse(500, "InternalError", "upgrade handler failed");
    }
    if (auto* reject = std::get_if<HttpResponse>(&decision)) return Refuse(std::move(*reject));
    if (stopping_ || state_->stopping()) {
      SendError(503, "ServiceUnavailable", "server is stopping");
      return;
    }
    WsCallbacks& callbacks = std::get<WsCallbacks>(decision);
    // The WebSocket session takes over this connection's slot in the registry.
    SetPhase(Phase::kUpgraded);
    attached_ = false;
    if (callbacks.engine == WsEngine::kMuster) {
      StartLightWsSession<Stream>(std::move(stream_), upgrade.key, std::move(callbacks), state_, id_, remote_);
    } else {
      StartWsSession<Stream>(std::move(stream_), std::move(breq), std::move(callbacks), state_, id_, remote_);
    }
  }

  // Answers an upgrade request that is refused, and closes.
  void Refuse(HttpResponse res) {
    keep_alive_ = false;
    SetPhase(Phase::kHandling);
    WriteResponse(std::move(res));
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
    // Written by hand (head and body in one gather write): Beast's serializer cost more than
    // the rest of a status read together.
    SerializeResponseHead(res, res.body.size(), version_, keep, &head_out_);
    body_out_ = head_ ? std::string() : std::move(res.body);
    SetPhase(Phase::kWriting);
    Lowest().expires_after(std::chrono::seconds(state_->limits().body_timeout_seconds));
    std::array<asio::const_buffer, 2> out{asio::buffer(head_out_), asio::buffer(body_out_)};
    asio::async_write(stream_, out,
                      Guard("write", [this, keep](const error_code& ec, std::size_t) {
                        body_out_ = std::string();
                        if (ec) {
                          MLOG(kDebug) << "net: write to " << remote_ << ": " << ec.message();
                          HardClose();
                        } else if (keep) {
                          ReadRequest(/*first=*/false);
                        } else {
                          GracefulClose();
                        }
                      }));
  }

  // Answers an error the transport found itself, then closes.
  void SendError(int status, std::string_view error, std::string_view message) {
    parser_.reset();
    ReleaseBody();
    keep_alive_ = false;
    head_ = false;
    if (version_ == 0) version_ = 11;
    SetPhase(Phase::kHandling);
    WriteResponse(ErrorResponse(status, error, message));
  }

  void Shutdown() {
    stopping_ = true;
    if (Evictable(phase_)) HardClose();
    // kHandling / kWriting: the response goes out with Connection: close (or, if already being
    // written, the loop stops before the next read).
  }

  void Evict() {
    MLOG(kDebug) << "net: connection from " << remote_ << " evicted to make room";
    attached_ = false;  // the registry already freed the slot
    Shutdown();
  }

  // Half-closes, then discards what the peer still sends for a moment so that our last response
  // is not destroyed by a reset.
  void GracefulClose() {
    if (phase_ == Phase::kClosing) return;
    SetPhase(Phase::kClosing);
    Lowest().expires_after(kLingerTimeout);
    if constexpr (kTls) {
      stream_.async_shutdown(Guard("tls shutdown", [this](const error_code&) { Finish(); }));
    } else {
      error_code ec;
      Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
      drain_ = std::make_unique<std::array<char, kLingerBufferBytes>>();
      Drain();
    }
  }

  void Drain() {
    Lowest().async_read_some(asio::buffer(*drain_),
                             Guard("drain", [this](const error_code& ec, std::size_t n) {
                               drained_ += n;
                               if (ec || drained_ > kMaxLingerBytes) {
                                 Finish();
                                 return;
                               }
                               Drain();
                             }));
  }

  void HardClose() {
    SetPhase(Phase::kClosing);
    Finish();
  }

  // The connection is over (a Responder may still hold this object for a while).
  void Finish() {
    idle_timer_.cancel();
    Lowest().close();
    ReleaseBody();
    Release();
  }

  void Release() {
    if (attached_) state_->Release(id_, this);
    attached_ = false;
  }

  Stream stream_;
  asio::any_io_executor executor_;
  asio::steady_timer idle_timer_;  // the idle wait of a plain connection
  std::shared_ptr<ServerState> state_;
  std::string remote_;
  std::uint64_t id_;
  bool attached_ = false;
  bool stopping_ = false;
  Phase phase_ = Phase::kStarting;
  beast::flat_buffer buffer_;
  std::optional<RequestParser> parser_;
  std::string head_out_;  // the response being written: its head (capacity kept for the next)
  std::string body_out_;  // and its body
  bool keep_alive_ = false;
  unsigned version_ = 11;
  bool head_ = false;
  bool body_reserved_ = false;  // holds a reservation in the listener's body budget
  std::unique_ptr<std::array<char, kLingerBufferBytes>> drain_;
  std::size_t drained_ = 0;
};

// Refusals lingering at once, process-wide (MaxLingeringRefusals()); beyond it a refused
// connection is closed at once, so that a flood of refused connections cannot hold the
// descriptors it was refused for.
std::atomic<std::size_t> lingering_refusals{0};

// A refused connection: 503 with the reason, then a lingering close.
class Refusal : public std::enable_shared_from_this<Refusal> {
 public:
  Refusal(tcp::socket&& socket, std::string_view message) : stream_(std::move(socket)) {
    lingering_refusals.fetch_add(1, std::memory_order_relaxed);
    std::string body = R"({"error":"ServiceUnavailable","message":")" + std::string(message) + "\"}";
    wire_ = "HTTP/1.1 503 Service Unavailable\r\nServer: muster\r\n"
            "Content-Type: application/json\r\nConnection: close\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\n\r\n" + body;
  }

  ~Refusal() { lingering_refusals.fetch_sub(1, std::memory_order_relaxed); }

  void Start() {
    stream_.expires_after(kLingerTimeout);
    asio::async_write(stream_, asio::buffer(wire_),
                      [self = shared_from_this()](const error_code& ec, std::size_t) {
                        if (ec) {
                          self->Close();
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
                                self->Close();
                                return;
                              }
                              self->Drain();
                            });
  }

  void Close() {
    error_code ignored;
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  std::string wire_;
  std::array<char, 256> drain_{};
};

}  // namespace

void StartHttpSession(tcp::socket&& socket, std::shared_ptr<ServerState> state,
                      std::uint64_t slot, std::string remote) {
  error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  if (asio::ssl::context* tls = state->tls()) {
    auto session = std::make_shared<HttpSession<TlsStream>>(std::move(state), slot,
                                                            std::move(remote), std::move(socket),
                                                            *tls);
    session->Start();
  } else {
    auto session = std::make_shared<HttpSession<PlainStream>>(std::move(state), slot,
                                                              std::move(remote),
                                                              std::move(socket));
    session->Start();
  }
}

void RefuseConnection(tcp::socket&& socket, bool tls, std::string_view message) {
  if (tls || lingering_refusals.load(std::memory_order_relaxed) >= MaxLingeringRefusals()) {
    error_code ec;
    socket.close(ec);
    return;
  }
  std::make_shared<Refusal>(std::move(socket), message)->Start();
}

}  // namespace muster::net::internal

namespace muster::net {

std::size_t MaxLingeringRefusals() {
  // Read once, after the daemon raised its limit at start.
  static const std::size_t kMax = [] {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return std::size_t{512};
    return std::min<std::size_t>(512, static_cast<std::size_t>(rl.rlim_cur) / 16);
  }();
  return kMax;
}

}  // namespace muster::net

#include "sdk/server/testing/fake_backend.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <future>
#include <map>

namespace muster::sdk::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Ws = websocket::stream<tcp::socket>;

class FakeBackend::Impl {
 public:
  Impl() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    handler_ = [](const ReceivedRequest& r) { return std::optional<std::string>(Ok(r)); };
    asio::co_spawn(io_, Accept(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }

  ~Impl() {
    asio::post(io_, [this] {
      beast::error_code ec;
      acceptor_.close(ec);
      for (auto& ws : sockets_) {
        if (auto s = ws.lock()) beast::get_lowest_layer(*s).close(ec);
      }
    });
    io_.stop();
    thread_.join();
  }

  asio::awaitable<void> Accept() {
    for (;;) {
      beast::error_code ec;
      tcp::socket sock = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      asio::co_spawn(io_, Serve(std::move(sock)), asio::detached);
    }
  }

  asio::awaitable<void> Serve(tcp::socket sock) {
    beast::error_code ec;
    beast::flat_buffer buffer;
    beast::http::request<beast::http::string_body> req;
    co_await beast::http::async_read(sock, buffer, req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    // Recorded before the upgrade is answered: the client's InitSDK returns as soon as it has the
    // answer, and a test may then read targets() at once.
    int index;
    {
      std::lock_guard lock(mu_);
      targets_.emplace_back(req.target());
      index = static_cast<int>(targets_.size());
      cv_.notify_all();
    }
    auto ws = std::make_shared<Ws>(std::move(sock));
    co_await ws->async_accept(req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    sockets_.push_back(ws);
    newest_ = ws;
    for (;;) {
      beast::flat_buffer in;
      co_await ws->async_read(in, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (ec == websocket::error::closed) {
          std::lock_guard lock(mu_);
          close_codes_.push_back(ws->reason().code);
          cv_.notify_all();
        }
        co_return;
      }
      std::string frame = beast::buffers_to_string(in.data());
      auto msg = fleet::DecodeClientMessage(frame);
      if (!msg.ok()) {
        Write(*ws, fleet::EncodeReply("", "", 400, msg.error().message));
        continue;
      }
      ReceivedRequest r{index, frame, std::move(msg).value()};
      Handler handler;
      {
        std::lock_guard lock(mu_);
        requests_.push_back(r);
        handler = handler_;
        cv_.notify_all();
      }
      if (auto reply = handler(r)) Write(*ws, *reply);
    }
  }

  static void Write(Ws& ws, const std::string& frame) {
    beast::error_code ec;
    ws.text(true);
    ws.write(asio::buffer(frame), ec);
  }

  template <class F>
  auto RunOnIo(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto fut = task.get_future();
    asio::post(io_, [&task] { task(); });
    return fut.get();
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  int port_ = 0;
  std::thread thread_;
  std::vector<std::weak_ptr<Ws>> sockets_;  // io thread
  std::weak_ptr<Ws> newest_;               // io thread

  mutable std::mutex mu_;
  std::condition_variable cv_;
  Handler handler_;
  std::vector<ReceivedRequest> requests_;
  std::vector<std::string> targets_;
  std::vector<int> close_codes_;
};

FakeBackend::FakeBackend() : impl_(std::make_unique<Impl>()) {}
FakeBackend::~FakeBackend() = default;

int FakeBackend::port() const { return impl_->port_; }
std::string FakeBackend::url() const { return "ws://127.0.0.1:" + std::to_string(port()); }

void FakeBackend::SetHandler(Handler handler) {
  std::lock_guard lock(impl_->mu_);
  impl_->handler_ = std::move(handler);
}

bool FakeBackend::Push(const std::string& frame) {
  return impl_->RunOnIo([&] {
    auto ws = impl_->newest_.lock();
    if (!ws || !ws->is_open()) return false;
    Impl::Write(*ws, frame);
    return true;
  });
}

void FakeBackend::DropConnections() {
  impl_->RunOnIo([&] {
    for (auto& w : impl_->sockets_) {
      if (auto ws = w.lock()) {
        beast::error_code ec;
        beast::get_lowest_layer(*ws).shutdown(tcp::socket::shutdown_both, ec);
        beast::get_lowest_layer(*ws).close(ec);
      }
    }
    return 0;
  });
}

std::optional<ReceivedRequest> FakeBackend::WaitFor(std::function<bool(const ReceivedRequest&)> pred,
                                                    std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mu_);
  std::optional<ReceivedRequest> found;
  impl_->cv_.wait_for(lock, timeout, [&] {
    for (const auto& r : impl_->requests_) {
      if (pred(r)) {
        found = r;
        return true;
      }
    }
    return false;
  });
  return found;
}

std::optional<ReceivedRequest> FakeBackend::WaitForAction(std::string_view action,
                                                          std::chrono::milliseconds timeout) {
  return WaitFor([&](const ReceivedRequest& r) { return r.message.action() == action; }, timeout);
}

bool FakeBackend::WaitForConnections(int n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mu_);
  return impl_->cv_.wait_for(lock, timeout, [&] { return static_cast<int>(impl_->targets_.size()) >= n; });
}

std::optional<int> FakeBackend::WaitForCloseCode(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mu_);
  if (!impl_->cv_.wait_for(lock, timeout, [&] { return !impl_->close_codes_.empty(); })) {
    return std::nullopt;
  }
  return impl_->close_codes_.front();
}

std::vector<ReceivedRequest> FakeBackend::requests() const {
  std::lock_guard lock(impl_->mu_);
  return impl_->requests_;
}

std::vector<std::string> FakeBackend::targets() const {
  std::lock_guard lock(impl_->mu_);
  return impl_->targets_;
}

int FakeBackend::connections() const {
  std::lock_guard lock(impl_->mu_);
  return static_cast<int>(impl_->targets_.size());
}

std::map<std::string, std::string> QueryParams(const std::string& target) {
  std::map<std::string, std::string> out;
  auto q = target.find('?');
  if (q == std::string::npos) return out;
  std::string rest = target.substr(q + 1);
  auto decode = [](std::string_view s) {
    std::string r;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
          std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
        r += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        r += s[i];
      }
    }
    return r;
  };
  std::size_t pos = 0;
  while (pos <= rest.size()) {
    auto amp = rest.find('&', pos);
    std::string part = rest.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    auto eq = part.find('=');
    if (!part.empty()) {
      out[decode(part.substr(0, eq))] = eq == std::string::npos ? "" : decode(part.substr(eq + 1));
    }
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return out;
}

}  // namespace muster::sdk::testing

#pragma once
// Test helpers for muster_net: a server running on its own loop thread, and a raw TCP client that
// sends exact bytes and reads responses.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "net/http_server.h"
#include "net/loop.h"

namespace muster::net::testing {

// An HttpServer whose io_context runs on a background thread.
class ServerHarness {
 public:
  ServerHarness() : work_(boost::asio::make_work_guard(ioc_)), server_(ioc_) {}
  ~ServerHarness() { Shutdown(); }

  // Stops the server and the loop thread (objects owned by the loop stay until destruction).
  void Shutdown() {
    server_.Stop();
    work_.reset();
    ioc_.stop();
    if (thread_.joinable()) thread_.join();
  }

  // Listens and starts the loop; returns the port (0 on failure, with error set).
  std::uint16_t Start(ListenOptions options, HttpHandler handler, WsUpgradeHandler ws = {}) {
    auto port = server_.Listen(options, std::move(handler), std::move(ws));
    if (!port.ok()) {
      error = port.error().message;
      return 0;
    }
    thread_ = std::thread([this] { exceptions_ = RunLoop(ioc_, "test loop"); });
    return *port;
  }

  HttpServer& server() { return server_; }
  boost::asio::io_context& ioc() { return ioc_; }

  // Polls cond every 5 ms for up to timeout_ms.
  static bool WaitFor(const std::function<bool()>& cond, int timeout_ms = 3000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!cond()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  std::string error;

 private:
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  HttpServer server_;
  std::thread thread_;
  int exceptions_ = 0;
};

struct RawResponse {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
  bool HasHeader(const std::string& line_prefix) const {
    return head.find("\r\n" + line_prefix) != std::string::npos;
  }
};

// Blocking POSIX socket with deadlines.
class RawClient {
 public:
  // `source`: the local address to connect from (any 127.x.y.z works on loopback), so tests can
  // be several peers.
  explicit RawClient(std::uint16_t port, const char* source = nullptr) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (source) {
      sockaddr_in local{};
      local.sin_family = AF_INET;
      ::inet_pton(AF_INET, source, &local.sin_addr);
      ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local);
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~RawClient() { ::close(fd_); }

  bool connected() const { return connected_; }

  bool Send(const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }

  // Reads whatever arrives until EOF/reset or timeout. closed() tells whether EOF/reset was seen.
  std::string ReadUntilClosed(int timeout_ms = 3000) {
    auto deadline = Deadline(timeout_ms);
    while (!closed_ && Fill(deadline)) {
    }
    std::string out = std::move(buffer_);
    buffer_.clear();
    return out;
  }

  // Reads exactly n bytes (or fewer on EOF/timeout).
  std::string ReadBytes(std::size_t n, int timeout_ms = 3000) {
    auto deadline = Deadline(timeout_ms);
    while (buffer_.size() < n && Fill(deadline)) {
    }
    std::string out = buffer_.substr(0, std::min(n, buffer_.size()));
    buffer_.erase(0, out.size());
    return out;
  }

  // Reads one HTTP response framed by Content-Length. nullopt on EOF/timeout before complete.
  std::optional<RawResponse> ReadResponse(int timeout_ms = 3000) {
    auto deadline = Deadline(timeout_ms);
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill(deadline)) return std::nullopt;
    }
    RawResponse res;
    res.head = buffer_.substr(0, end + 2);
    res.status = std::atoi(res.head.substr(9, 3).c_str());
    std::size_t length = 0;
    auto lower = res.head;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto cl = lower.find("\r\ncontent-length:");
    if (cl != std::string::npos) length = std::strtoul(lower.c_str() + cl + 17, nullptr, 10);
    while (buffer_.size() < end + 4 + length) {
      if (!Fill(deadline)) return std::nullopt;
    }
    res.body = buffer_.substr(end + 4, length);
    buffer_.erase(0, end + 4 + length);
    return res;
  }

  // Sends GET <path> over HTTP/1.1 (Host: x) and reads its response.
  std::optional<RawResponse> Get(const std::string& path, int timeout_ms = 3000) {
    if (!Send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n")) return std::nullopt;
    return ReadResponse(timeout_ms);
  }

  bool closed() const { return closed_; }

 private:
  using TimePoint = std::chrono::steady_clock::time_point;
  static TimePoint Deadline(int ms) {
    return std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  }

  // One recv into buffer_; false on EOF, error or deadline.
  bool Fill(TimePoint deadline) {
    if (closed_) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[16384];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    buffer_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
  std::string buffer_;
};

}  // namespace muster::net::testing

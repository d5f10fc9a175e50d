#pragma once
// Tiny loopback servers for the client tests: a UDP responder and a TCP server whose handler
// turns each received request into a reply. Each runs on its own thread until destroyed.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

namespace muster::client::testing {

inline int BindLoopback(int type, std::uint16_t& port) {
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  if (type == SOCK_STREAM) ::listen(fd, 16);
  return fd;
}

// Replies to each datagram with handler(datagram) unless it returns "".
class UdpServer {
 public:
  explicit UdpServer(std::function<std::string(const std::string&)> handler)
      : handler_(std::move(handler)) {
    fd_ = BindLoopback(SOCK_DGRAM, port_);
    thread_ = std::thread([this] { Run(); });
  }
  ~UdpServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }

 private:
  void Run() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) != 1) continue;
      char buf[2048];
      sockaddr_in from{};
      socklen_t len = sizeof from;
      ssize_t n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n < 0) continue;
      std::string reply = handler_(std::string(buf, static_cast<std::size_t>(n)));
      if (!reply.empty()) {
        ::sendto(fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
      }
    }
  }
  std::function<std::string(const std::string&)> handler_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Accepts connections one at a time; `complete(buffer)` says when a request is whole, then
// handler(request) is written back and the connection closed.
class TcpServer {
 public:
  TcpServer(std::function<bool(const std::string&)> complete,
            std::function<std::string(const std::string&)> handler)
      : complete_(std::move(complete)), handler_(std::move(handler)) {
    fd_ = BindLoopback(SOCK_STREAM, port_);
    thread_ = std::thread([this] { Run(); });
  }
  ~TcpServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }

 private:
  void Run() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) != 1) continue;
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      std::string req;
      char buf[4096];
      while (!stop_ && !complete_(req)) {
        pollfd q{c, POLLIN, 0};
        if (::poll(&q, 1, 2000) != 1) break;
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        req.append(buf, static_cast<std::size_t>(n));
      }
      std::string reply = handler_(req);
      ::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }
  std::function<bool(const std::string&)> complete_;
  std::function<std::string(const std::string&)> handler_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace muster::client::testing

#include "sdk/client/probes.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "common/crypto.h"

namespace muster::client {

namespace {

using SteadyClock = std::chrono::steady_clock;

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { if (fd_ >= 0) ::close(fd_); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string Where(const std::string& host, std::uint16_t port) {
  return host + ":" + std::to_string(port);
}

// A connected socket of the given type to host:port, trying each resolved address.
Result<int> Connect(const std::string& host, std::uint16_t port, int socktype, int timeout_ms) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = socktype;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
  if (rc != 0) return Error::Unavailable("cannot resolve " + host + ": " + gai_strerror(rc));
  std::string last = "no address";
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      ::freeaddrinfo(res);
      return fd;
    }
    if (errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, timeout_ms) == 1) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err == 0) {
          ::freeaddrinfo(res);
          return fd;
        }
        last = std::strerror(err);
      } else {
        last = "connect timed out";
      }
    } else {
      last = std::strerror(errno);
    }
    ::close(fd);
  }
  ::freeaddrinfo(res);
  return Error::Unavailable("cannot connect to " + Where(host, port) + ": " + last);
}

int RemainingMs(SteadyClock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
  return static_cast<int>(std::max<long>(0, left.count()));
}

// Receives one datagram / chunk before the deadline; empty optional on timeout.
Result<std::string> RecvBefore(int fd, SteadyClock::time_point deadline, const std::string& what) {
  for (;;) {
    int wait = RemainingMs(deadline);
    pollfd p{fd, POLLIN, 0};
    int n = ::poll(&p, 1, wait);
    if (n == 0) return Error::Unavailable(what + ": no reply (timed out)");
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::Unavailable(what + ": " + std::strerror(errno));
    }
    char buf[2048];
    ssize_t got = ::recv(fd, buf, sizeof buf, 0);
    if (got < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return Error::Unavailable(what + ": " + std::strerror(errno));
    }
    return std::string(buf, static_cast<std::size_t>(got));
  }
}

std::string FirstLine(std::string s) {
  std::size_t nl = s.find('\n');
  if (nl != std::string::npos) s.resize(nl);
  if (!s.empty() && s.back() == '\r') s.pop_back();
  return s;
}

}  // namespace

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[(v.size() - 1) / 2];
}

Result<int> MeasureLatencyMs(const std::string& host, std::uint16_t port, int samples,
                             int timeout_ms) {
  if (samples < 1) samples = 1;
  MUSTER_ASSIGN_OR_RETURN(int raw_fd, Connect(host, port, SOCK_DGRAM, timeout_ms));
  Fd fd(raw_fd);
  std::vector<double> rtts;
  std::string last_error;
  for (int i = 0; i < samples; ++i) {
    std::string nonce = RandomAlnum(12);
    std::string ping = "PING " + nonce;
    auto start = SteadyClock::now();
    auto deadline = start + std::chrono::milliseconds(timeout_ms);
    if (::send(fd.get(), ping.data(), ping.size(), 0) < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    // Skip stale or foreign replies until ours arrives.
    for (;;) {
      auto reply = RecvBefore(fd.get(), deadline, "ping " + Where(host, port));
      if (!reply.ok()) {
        last_error = reply.error().message;
        break;
      }
      if (FirstLine(*reply) == "PONG " + nonce) {
        rtts.push_back(std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count());
        break;
      }
    }
  }
  if (rtts.empty()) {
    return Error::Unavailable("no PONG from " + Where(host, port) + " in " +
                              std::to_string(samples) + " tries: " + last_error);
  }
  return std::max(1, static_cast<int>(std::lround(Median(rtts))));
}

Result<std::string> JoinGameServer(const std::string& host, std::uint16_t port, Transport transport,
                                   const std::string& player_session_id, int timeout_ms) {
  auto deadline = SteadyClock::now() + std::chrono::milliseconds(timeout_ms);
  int type = transport == Transport::kTcp ? SOCK_STREAM : SOCK_DGRAM;
  MUSTER_ASSIGN_OR_RETURN(int raw_fd, Connect(host, port, type, timeout_ms));
  Fd fd(raw_fd);
  std::string what = transport == Transport::kTcp ? "tcp" : "udp";
  what.append(" game server ").append(Where(host, port));
  if (::send(fd.get(), player_session_id.data(), player_session_id.size(), MSG_NOSIGNAL) < 0) {
    return Error::Unavailable(what + ": send failed: " + std::strerror(errno));
  }
  std::string got;
  for (;;) {
    MUSTER_ASSIGN_OR_RETURN(std::string chunk, RecvBefore(fd.get(), deadline, what));
    if (chunk.empty()) {  // TCP peer closed
      if (got.empty()) return Error::Unavailable(what + ": closed the connection without a reply");
      return FirstLine(got);
    }
    got += chunk;
    if (transport == Transport::kUdp || got.find('\n') != std::string::npos || got.size() > 4096) {
      return FirstLine(got);
    }
  }
}

}  // namespace muster::client

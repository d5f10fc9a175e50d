#include "tools/load/engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

namespace muster::load {

std::int64_t MonotonicMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void KindStats::Merge(const KindStats& o) {
  ok += o.ok;
  failed += o.failed;
  if (first_failure.empty()) first_failure = o.first_failure;
  for (const auto& [status, n] : o.statuses) statuses[status] += n;
  latency_us.Merge(o.latency_us);
}

void EngineStats::Merge(const EngineStats& o) {
  if (kinds.size() < o.kinds.size()) kinds.resize(o.kinds.size());
  for (std::size_t i = 0; i < o.kinds.size(); ++i) kinds[i].Merge(o.kinds[i]);
  connect_errors += o.connect_errors;
  io_errors += o.io_errors;
  protocol_errors += o.protocol_errors;
  timeouts += o.timeouts;
  unfinished += o.unfinished;
  unsent += o.unsent;
  if (!o.last_error.empty()) last_error = o.last_error;
  max_backlog = std::max(max_backlog, o.max_backlog);
}

std::uint64_t EngineStats::answered() const {
  std::uint64_t n = 0;
  for (const auto& k : kinds) n += k.ok + k.failed;
  return n;
}

std::uint64_t EngineStats::errors() const {
  std::uint64_t n = connect_errors + io_errors + protocol_errors + timeouts + unfinished + unsent;
  for (const auto& k : kinds) n += k.failed;
  return n;
}

struct Engine::Conn {
  int fd = -1;
  bool connecting = false;
  bool busy = false;         // a request is in flight
  bool want_write = false;   // EPOLLOUT registered
  std::string out;
  std::size_t out_off = 0;
  int kind = 0;
  std::int64_t sent_us = 0;  // when the request was due (open loop) or sent (closed loop)
  ResponseReader reader;
};

std::size_t Engine::Index(const Conn& c) const { return static_cast<std::size_t>(&c - conns_.data()); }

Engine::Engine(EngineOptions options, Workload& workload, std::size_t kinds)
    : options_(std::move(options)), workload_(workload) {
  stats_.kinds.resize(kinds);
  conns_.resize(std::max<std::size_t>(options_.connections, 1));
}

Engine::~Engine() {
  for (auto& c : conns_) {
    if (c.fd >= 0) ::close(c.fd);
  }
  if (epoll_ >= 0) ::close(epoll_);
}

bool Engine::Connect(Conn& c, std::int64_t now_us) {
  if (now_us < connect_after_us_) return false;
  sockaddr_storage addr{};
  socklen_t len = 0;
  int family = AF_INET;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, options_.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(options_.port);
    len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, options_.host.c_str(), &v6->sin6_addr) == 1) {
    family = AF_INET6;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(options_.port);
    len = sizeof(sockaddr_in6);
  } else {
    Drop(c, Failure::kConnect, "not an IP address: " + options_.host);
    return false;
  }
  c.fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c.fd < 0) {
    Drop(c, Failure::kConnect, std::string("socket: ") + std::strerror(errno));
    return false;
  }
  int one = 1;
  ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int rc = ::connect(c.fd, reinterpret_cast<sockaddr*>(&addr), len);
  if (rc != 0 && errno != EINPROGRESS) {
    Drop(c, Failure::kConnect, std::string("connect: ") + std::strerror(errno));
    return false;
  }
  c.connecting = rc != 0;
  c.want_write = c.connecting;
  c.reader.Reset();
  epoll_event ev{};
  ev.events = EPOLLIN | (c.want_write ? EPOLLOUT : 0);
  ev.data.u64 = Index(c);
  ::epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev);
  return true;
}

void Engine::Drop(Conn& c, Failure failure, const std::string& why) {
  if (c.fd >= 0) {
    ::epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
    ::close(c.fd);
  }
  c.fd = -1;
  c.connecting = false;
  c.want_write = false;
  c.out.clear();
  c.out_off = 0;
  switch (failure) {
    case Failure::kNone: break;
    case Failure::kConnect:
      ++stats_.connect_errors;
      connect_after_us_ = MonotonicMicros() + 10'000;  // a refused server is not hammered
      break;
    case Failure::kIo: ++stats_.io_errors; break;
    case Failure::kProtocol: ++stats_.protocol_errors; break;
    case Failure::kTimeout: ++stats_.timeouts; break;
  }
  if (failure != Failure::kNone) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    stats_.last_error = why;
  }
  if (c.busy) {  // its request is lost; the connection is free again
    c.busy = false;
    idle_.push_back(Index(c));
  }
}

void Engine::Flush(Conn& c) {
  while (c.out_off < c.out.size()) {
    ssize_t n = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_off += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0 && errno == EINTR) continue;
    Drop(c, Failure::kIo, std::string("send: ") + std::strerror(errno));
    return;
  }
  const bool want = c.out_off < c.out.size();
  if (want != c.want_write) {
    c.want_write = want;
    epoll_event ev{};
    ev.events = EPOLLIN | (want ? EPOLLOUT : 0);
    ev.data.u64 = Index(c);
    ::epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
  }
}

bool Engine::Send(Conn& c, std::int64_t due_us, std::int64_t now_us) {
  if (c.fd < 0 && !Connect(c, now_us)) return false;
  c.out.clear();
  c.out_off = 0;
  if (!workload_.Next(Index(c), &c.out, &c.kind)) return false;
  c.busy = true;
  c.sent_us = due_us;
  if (!c.connecting) Flush(c);
  return true;
}

void Engine::Read(Conn& c, std::int64_t now_us) {
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n > 0) {
      c.reader.Append(buf, static_cast<std::size_t>(n));
      if (static_cast<std::size_t>(n) < sizeof buf) break;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0 && errno == EINTR) continue;
    if (!c.busy) {
      Drop(c, Failure::kNone, "");  // an idle keep-alive connection closed: reconnect when used
    } else {
      Drop(c, Failure::kIo, n == 0 ? "the server closed the connection during a request"
                                   : std::string("recv: ") + std::strerror(errno));
    }
    return;
  }
  Response r;
  ResponseReader::State st = c.reader.Next(&r);
  if (st == ResponseReader::State::kNeedMore) return;
  if (st == ResponseReader::State::kError || !c.busy) {
    Drop(c, Failure::kProtocol, st == ResponseReader::State::kError ? c.reader.error() : "an answer nobody asked for");
    return;
  }
  c.busy = false;
  idle_.push_back(Index(c));
  const bool ok = workload_.Done(Index(c), c.kind, r);
  answered_.fetch_add(1, std::memory_order_relaxed);
  if (!ok) errors_.fetch_add(1, std::memory_order_relaxed);
  if (c.sent_us >= measure_from_us_ && static_cast<std::size_t>(c.kind) < stats_.kinds.size()) {
    KindStats& k = stats_.kinds[static_cast<std::size_t>(c.kind)];
    (ok ? k.ok : k.failed) += 1;
    if (!ok && k.first_failure.empty()) {
      k.first_failure = std::to_string(r.status) + " " + r.body.substr(0, 300);
    }
    ++k.statuses[r.status];
    k.latency_us.Record(now_us - c.sent_us);
  }
  if (r.close || c.reader.buffered() > 0) Drop(c, Failure::kNone, "");
}

void Engine::Run(std::int64_t start_us) {
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (const std::int64_t wait = start_us - MonotonicMicros(); wait > 0) {
    std::this_thread::sleep_for(std::chrono::microseconds(wait));
  }
  measure_from_us_ = start_us + options_.warmup_us;
  const std::int64_t end_us = measure_from_us_ + options_.duration_us;
  const bool open_loop = options_.rate > 0;
  const double interval_us = open_loop ? 1e6 / options_.rate : 0;
  std::uint64_t sent_due = 0;  // open loop: requests that went out
  for (std::size_t i = 0; i < conns_.size(); ++i) {
    idle_.push_back(i);
    Connect(conns_[i], MonotonicMicros());
  }
  std::vector<epoll_event> events(conns_.size() + 1);
  std::vector<std::size_t> parked;  // nothing sent this round (no connection, or nothing to send)
  // Requests due by `t` (open loop): one at start_us, then one per interval.
  auto due_by = [&](std::int64_t t) -> std::uint64_t {
    return t < start_us ? 0 : static_cast<std::uint64_t>(static_cast<double>(t - start_us) / interval_us) + 1;
  };
  std::int64_t next_timeout_check = start_us;
  for (;;) {
    std::int64_t now = MonotonicMicros();
    if (now >= end_us) break;
    if (now >= next_timeout_check) {
      for (Conn& c : conns_) {
        if (c.busy && now - c.sent_us > options_.request_timeout_us) {
          Drop(c, Failure::kTimeout, "a request was unanswered after " +
                                         std::to_string(options_.request_timeout_us / 1000) + " ms");
        }
      }
      next_timeout_check = now + 100'000;
    }
    if (open_loop) {
      const std::uint64_t due = due_by(now);
      while (sent_due < due && !idle_.empty()) {
        const std::size_t i = idle_.back();
        idle_.pop_back();
        const auto due_at = start_us + static_cast<std::int64_t>(static_cast<double>(sent_due) * interval_us);
        if (!Send(conns_[i], due_at, now)) {
          parked.push_back(i);
          continue;
        }
        ++sent_due;
      }
      if (due > sent_due) stats_.max_backlog = std::max(stats_.max_backlog, due - sent_due);
    } else {
      // At most one send per connection per round (a server resetting every connection at once
      // must not spin this loop).
      for (std::size_t sends = 0; !idle_.empty() && sends < conns_.size(); ++sends) {
        const std::size_t i = idle_.back();
        idle_.pop_back();
        if (!Send(conns_[i], now, now)) parked.push_back(i);
      }
    }
    int timeout_ms = 100;
    if (open_loop && !idle_.empty()) {  // with no free connection, only an answer can help
      const auto next_due = start_us + static_cast<std::int64_t>(static_cast<double>(sent_due) * interval_us);
      timeout_ms = static_cast<int>(std::clamp<std::int64_t>((next_due - now) / 1000, 0, 100));
    }
    if (!parked.empty()) timeout_ms = std::min(timeout_ms, 1);
    timeout_ms = static_cast<int>(std::min<std::int64_t>(timeout_ms, (end_us - now) / 1000 + 1));
    const int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), timeout_ms);
    now = MonotonicMicros();
    for (int e = 0; e < n; ++e) {
      Conn& c = conns_[events[e].data.u64];
      if (c.fd < 0) continue;
      const std::uint32_t what = events[e].events;
      if (c.connecting && (what & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          Drop(c, Failure::kConnect, std::string("connect: ") + std::strerror(err));
          continue;
        }
        c.connecting = false;
      }
      if (what & EPOLLOUT) Flush(c);
      if (c.fd >= 0 && (what & (EPOLLIN | EPOLLERR | EPOLLHUP))) Read(c, now);
    }
    // Parked connections are asked again in the next round (after at most a millisecond).
    for (std::size_t i : parked) idle_.push_back(i);
    parked.clear();
  }
  for (const Conn& c : conns_) {
    if (c.busy && c.sent_us >= measure_from_us_) ++stats_.unfinished;
  }
  if (open_loop) {
    const std::uint64_t due = due_by(end_us - 1), measured_from = due_by(measure_from_us_ - 1);
    const std::uint64_t first_unsent = std::max(sent_due, measured_from);
    if (due > first_unsent) stats_.unsent = due - first_unsent;
  }
}

}  // namespace muster::load

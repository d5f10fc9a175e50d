#pragma once
// The network engine of muster-load: one thread's keep-alive HTTP/1.1 connections to one server
// (non-blocking sockets on epoll), each with at most one request in flight.
//
// Load shapes:
//   closed loop (rate 0): each connection sends its next request as soon as its answer arrives;
//   open loop (rate R): requests are due at a fixed rate; a due request goes out on the next free
//     connection and its latency counts from when it was DUE, so a server that falls behind shows
//     in the latency instead of silently lowering the load (no coordinated omission).
// Requests due (open loop) or sent (closed loop) during the warm-up are not counted in the
// result. A request unanswered after `request_timeout_us` is counted as a timeout and its
// connection is replaced; at the end, requests still unanswered and (open loop) requests due but
// never sent are counted too, so a stalled server cannot hide in the percentiles.
//
// Thread safety: Run on one thread; progress() from any thread.

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tools/load/histogram.h"
#include "tools/load/response_reader.h"

namespace muster::load {

// What the connections send: one instance per engine thread (no locks needed inside).
class Workload {
 public:
  virtual ~Workload() = default;
  // The next whole HTTP/1.1 request of connection `conn` and its kind (an index into the kind
  // names of the workload); false when the connection has nothing to send yet.
  virtual bool Next(std::size_t conn, std::string* request, int* kind) = 0;
  // The answer to the last request of `conn`; returns whether it counts as a success.
  virtual bool Done(std::size_t conn, int kind, const Response& response) = 0;
};

struct KindStats {
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;               // answered, but not a success for the workload
  std::map<int, std::uint64_t> statuses;  // HTTP status -> answers
  std::string first_failure;              // status and the start of the body of the first one
  Histogram latency_us;
  void Merge(const KindStats& o);
};

struct EngineStats {
  std::vector<KindStats> kinds;
  std::uint64_t connect_errors = 0;
  std::uint64_t io_errors = 0;        // resets and closes while a request was in flight
  std::uint64_t protocol_errors = 0;  // unreadable answers
  std::uint64_t timeouts = 0;         // requests unanswered after the request timeout
  std::uint64_t unfinished = 0;       // measured requests still unanswered at the end
  std::uint64_t unsent = 0;           // open loop: requests due by the end but never sent
  std::string last_error;
  std::uint64_t max_backlog = 0;      // open loop: most requests overdue at once (no free connection)
  void Merge(const EngineStats& o);
  std::uint64_t answered() const;
  std::uint64_t errors() const;       // failed answers and connection errors
};

struct EngineOptions {
  std::string host = "127.0.0.1";  // an IPv4 or IPv6 address
  std::uint16_t port = 8080;
  std::size_t connections = 64;
  double rate = 0;                 // requests per second for this engine; 0 = closed loop
  std::int64_t warmup_us = 0;
  std::int64_t duration_us = 10'000'000;
  std::int64_t request_timeout_us = 30'000'000;
};

class Engine {
 public:
  Engine(EngineOptions options, Workload& workload, std::size_t kinds);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  // Runs the warm-up and the measured duration from `start_us` (MonotonicMicros), then returns.
  void Run(std::int64_t start_us);
  const EngineStats& stats() const { return stats_; }

  // Live counters (warm-up included), for the progress line.
  struct Progress {
    std::uint64_t answered = 0;
    std::uint64_t errors = 0;
  };
  Progress progress() const {
    return {answered_.load(std::memory_order_relaxed), errors_.load(std::memory_order_relaxed)};
  }

 private:
  struct Conn;
  enum class Failure { kNone, kConnect, kIo, kProtocol, kTimeout };
  bool Connect(Conn& c, std::int64_t now_us);
  // Closes the connection (it reconnects when next used), counts `failure`, and frees a
  // connection that had a request in flight.
  void Drop(Conn& c, Failure failure, const std::string& why);
  std::size_t Index(const Conn& c) const;
  bool Send(Conn& c, std::int64_t due_us, std::int64_t now_us);
  void Flush(Conn& c);
  void Read(Conn& c, std::int64_t now_us);

  EngineOptions options_;
  Workload& workload_;
  EngineStats stats_;
  std::vector<Conn> conns_;
  std::vector<std::size_t> idle_;
  int epoll_ = -1;
  std::int64_t measure_from_us_ = 0;
  std::int64_t connect_after_us_ = 0;  // after a failed connect, wait before the next one
  std::atomic<std::uint64_t> answered_{0};
  std::atomic<std::uint64_t> errors_{0};
};

std::int64_t MonotonicMicros();

}  // namespace muster::load

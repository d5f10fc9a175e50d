// muster-load: a load generator for Muster's network paths. See docs/benchmarks.md and
// `muster-load --help`.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "common/json.h"
#include "net/http_client.h"
#include "sdk/client/muster_client.h"
#include "tools/load/engine.h"
#include "tools/load/proc_stats.h"
#include "tools/load/workloads.h"

namespace muster::load {
namespace {

constexpr const char* kHelp = R"(muster-load: load on a running musterd

  muster-load --mode MODE [options]

Modes:
  start      management StartMatchmaking, admin-signed, one new player per ticket
  describe   management DescribeMatchmaking of --tickets tickets started first
  request    GET /requestmatchmaking signed by --guests guests (identity API credentials); a
             player has one live ticket at a time, so each guest cancels its ticket
             (DELETE /v1/matchmaking/<id>) before the next (at least one guest per connection)
  status     GET /requestmatchstatus: each of --guests guests starts a ticket first, then polls it

Load:
  --url URL              the client port (default http://127.0.0.1:8080)
  --concurrency N        closed loop: N connections, each sending again as soon as answered
                         (default 64)
  --rate R               open loop: R requests/s in total over --connections connections;
                         latency counts from when each request was due
  --connections N        connections in open loop (default 64)
  --threads N            load threads, each with its share of connections (default 1)
  --duration S           measured seconds (default 10)
  --warmup S             seconds before measuring (default 1)
  --timeout S            a request unanswered this long is counted as a timeout (default 30)
  --server-pid PID       report this process's CPU time and memory (musterd's pid)
  --json FILE            also write the result as JSON
  --quiet                no progress line

Set-up:
  --configuration NAME   matchmaking configuration for start (default demo-2v2)
  --admin-key K --admin-secret S   management credentials (default demo / demo-secret)
  --region R             signing region (default local)
  --pool ID              identity pool (default local:00000000-0000-0000-0000-000000000000)
  --guests N             guests for request and status (default 100)
  --tickets N            tickets for describe (default 1000)
  --latencies Q          request: the latencies query value (default: 20 ms to every location)

The server's own limits apply: for request and status from one address, raise
identity_rate_per_minute, identity_burst, address_tickets_rate_per_minute and
address_tickets_burst (see docs/benchmarks.md).
)";

struct Args {
  std::string mode;
  std::string url = "http://127.0.0.1:8080";
  int concurrency = 64;
  double rate = 0;
  int connections = 64;
  int threads = 1;
  double duration = 10;
  double warmup = 1;
  double timeout = 30;
  int server_pid = 0;
  std::string json_file;
  bool quiet = false;
  std::string configuration = "demo-2v2";
  std::string admin_key = "demo", admin_secret = "demo-secret";
  std::string region = "local";
  std::string pool = "local:00000000-0000-0000-0000-000000000000";
  int guests = 100;
  int tickets = 1000;
  std::string latencies;
  bool latencies_given = false;
};

[[noreturn]] void Fail(const std::string& what, int code = 2) {
  std::fprintf(stderr, "muster-load: %s\n", what.c_str());
  std::exit(code);
}

double Number(const std::string& flag, const char* v, double min, double max) {
  char* end = nullptr;
  double d = std::strtod(v, &end);
  if (end == v || *end != '\0' || !std::isfinite(d) || d < min || d > max) {
    Fail(flag + ": expected a number from " + std::to_string(min) + " to " + std::to_string(max) +
         ", got '" + v + "'");
  }
  return d;
}

Args Parse(int argc, char** argv) {
  Args a;
  bool rate_given = false, concurrency_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string f = argv[i];
    if (f == "--help" || f == "-h") {
      std::fputs(kHelp, stdout);
      std::exit(0);
    }
    if (f == "--quiet") {
      a.quiet = true;
      continue;
    }
    if (i + 1 >= argc) Fail(f + " needs a value (see --help)");
    const char* v = argv[++i];
    if (f == "--mode") a.mode = v;
    else if (f == "--url") a.url = v;
    else if (f == "--concurrency") { a.concurrency = static_cast<int>(Number(f, v, 1, 10000)); concurrency_given = true; }
    else if (f == "--rate") { a.rate = Number(f, v, 1, 10'000'000); rate_given = true; }
    else if (f == "--connections") a.connections = static_cast<int>(Number(f, v, 1, 10000));
    else if (f == "--threads") a.threads = static_cast<int>(Number(f, v, 1, 64));
    else if (f == "--duration") a.duration = Number(f, v, 0.1, 86400);
    else if (f == "--warmup") a.warmup = Number(f, v, 0, 3600);
    else if (f == "--timeout") a.timeout = Number(f, v, 0.001, 3600);
    else if (f == "--server-pid") a.server_pid = static_cast<int>(Number(f, v, 1, 1 << 30));
    else if (f == "--json") a.json_file = v;
    else if (f == "--configuration") a.configuration = v;
    else if (f == "--admin-key") a.admin_key = v;
    else if (f == "--admin-secret") a.admin_secret = v;
    else if (f == "--region") a.region = v;
    else if (f == "--pool") a.pool = v;
    else if (f == "--guests") a.guests = static_cast<int>(Number(f, v, 1, 1'000'000));
    else if (f == "--tickets") a.tickets = static_cast<int>(Number(f, v, 1, 10'000'000));
    else if (f == "--latencies") { a.latencies = v; a.latencies_given = true; }
    else Fail("unknown option " + f + " (see --help)");
  }
  if (a.mode.empty()) Fail("--mode is required: start, describe, request or status (see --help)");
  if (!KnownMode(a.mode)) Fail("unknown --mode '" + a.mode + "': start, describe, request or status");
  if (rate_given && concurrency_given) Fail("give --rate (open loop) or --concurrency (closed loop), not both");
  return a;
}

std::string Thousands(double v) {
  std::string s = std::to_string(static_cast<long long>(std::llround(v)));
  for (int i = static_cast<int>(s.size()) - 3; i > (s[0] == '-' ? 1 : 0); i -= 3) s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

std::string Millis(std::int64_t us) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f ms", static_cast<double>(us) / 1000.0);
  return b;
}

// --- set-up ------------------------------------------------------------------------------

void SetUpGuests(const Args& a, const client::Endpoint& ep, Setup* s) {
  client::ClientOptions o;
  o.endpoint = ep;
  o.pool_id = a.pool;
  o.region = a.region;
  for (int i = 0; i < a.guests; ++i) {
    client::MusterClient c(o);
    if (auto st = c.Login(); !st.ok()) {
      Fail("guest " + std::to_string(i + 1) + " of " + std::to_string(a.guests) + ": " + st.error().message +
           " (the identity API limits guests per address: see --help)");
    }
    if (i == 0 && !a.latencies_given && a.mode == "request") {
      auto locations = c.FetchLocations();
      if (!locations.ok()) Fail("GET /v1/locations: " + locations.error().message);
      std::vector<client::LocationLatency> lat;
      for (const auto& l : *locations) lat.push_back({l.location, 20});
      s->request_query = client::LatenciesQuery(lat);
    }
    Guest g;
    g.identity_id = c.identity_id();
    g.credentials = c.credentials();
    if (a.mode == "status") {
      auto t = c.RequestMatchmaking({});
      if (!t.ok()) Fail("guest " + std::to_string(i + 1) + ": requestmatchmaking: " + t.error().message);
      g.ticket_id = *t;
    }
    s->guests.push_back(std::move(g));
  }
}

void SetUpTickets(const Args& a, const client::Endpoint& ep, Setup* s) {
  for (int i = 0; i < a.tickets; ++i) {
    json::object player{{"PlayerId", "load-setup-" + std::to_string(i)}};
    json::object body{{"ConfigurationName", s->configuration}, {"Players", json::array{player}}};
    auth::SignableRequest r = ManagementRequest(*s, "StartMatchmaking", ToJson(body));
    auto resp = net::HttpFetch(ep.host, ep.port, r.method, r.path, r.headers, r.body);
    if (!resp.ok()) Fail("StartMatchmaking: " + resp.error().message);
    if (resp->status != 200) Fail("StartMatchmaking answered " + std::to_string(resp->status) + ": " + resp->body);
    auto parsed = ParseJson(resp->body, JsonLimits{.max_bytes = 1 << 20});
    const json::value* ticket =
        parsed.ok() && parsed->is_object() ? parsed->get_object().if_contains("MatchmakingTicket") : nullptr;
    const json::value* id = ticket && ticket->is_object() ? ticket->get_object().if_contains("TicketId") : nullptr;
    if (!id || !id->is_string()) Fail("StartMatchmaking: no TicketId in " + resp->body);
    s->ticket_ids.emplace_back(id->get_string());
  }
}

// --- report ------------------------------------------------------------------------------

struct ServerCost {
  bool known = false;
  double cpu_seconds = 0;
  std::int64_t rss_bytes = 0, peak_rss_bytes = 0;
};

int Run(int argc, char** argv) {
  Args a = Parse(argc, argv);
  auto ep = client::ParseEndpoint(a.url);
  if (!ep.ok()) Fail("--url: " + ep.error().message);
  Setup s;
  s.mode = a.mode;
  s.host_header = ep->HostHeader();
  s.region = a.region;
  s.configuration = a.configuration;
  s.admin = {a.admin_key, a.admin_secret, ""};
  if (a.latencies_given) s.request_query = "latencies=" + a.latencies;
  const bool open_loop = a.rate > 0;
  const int total_connections = open_loop ? a.connections : a.concurrency;
  if (a.mode == "request" && a.guests < total_connections) {
    Fail("request needs at least one guest per connection (--guests " + std::to_string(a.guests) + " < " +
         std::to_string(total_connections) + " connections): a player has one live ticket at a time");
  }
  if (a.mode == "request" || a.mode == "status") SetUpGuests(a, *ep, &s);
  if (a.mode == "describe") SetUpTickets(a, *ep, &s);

  const int threads = std::min(a.threads, total_connections);
  const std::vector<std::string> kinds = KindNames(a.mode);
  std::vector<std::unique_ptr<Workload>> workloads;
  std::vector<std::unique_ptr<Engine>> engines;
  for (int t = 0; t < threads; ++t) {
    EngineOptions o;
    o.host = ep->host;
    o.port = ep->port;
    o.connections = static_cast<std::size_t>(total_connections / threads + (t < total_connections % threads ? 1 : 0));
    o.rate = open_loop ? a.rate / threads : 0;
    o.warmup_us = static_cast<std::int64_t>(a.warmup * 1e6);
    o.duration_us = static_cast<std::int64_t>(a.duration * 1e6);
    o.request_timeout_us = static_cast<std::int64_t>(a.timeout * 1e6);
    workloads.push_back(MakeWorkload(s, t, threads, o.connections));
    engines.push_back(std::make_unique<Engine>(o, *workloads.back(), kinds.size()));
  }
  std::fprintf(stderr, "muster-load: %s on %s, %s, %d connection%s on %d thread%s, %.1f s warm-up, %.1f s measured\n",
               kinds[0].c_str(), a.url.c_str(),
               open_loop ? ("open loop at " + Thousands(a.rate) + " req/s").c_str() : "closed loop",
               total_connections, total_connections == 1 ? "" : "s", threads, threads == 1 ? "" : "s", a.warmup,
               a.duration);

  const std::int64_t start_us = MonotonicMicros() + 10'000;
  std::vector<std::thread> runners;
  for (auto& e : engines) runners.emplace_back([&e, start_us] { e->Run(start_us); });

  auto sample = [&]() -> ServerCost {
    ServerCost c;
    if (a.server_pid == 0) return c;
    auto p = SampleProcess(a.server_pid);
    if (!p.ok()) return c;
    c.known = true;
    c.cpu_seconds = p->cpu_seconds;
    c.rss_bytes = p->rss_bytes;
    c.peak_rss_bytes = p->peak_rss_bytes;
    return c;
  };
  auto totals = [&] {
    Engine::Progress sum;
    for (auto& e : engines) {
      auto p = e->progress();
      sum.answered += p.answered;
      sum.errors += p.errors;
    }
    return sum;
  };
  const std::int64_t measure_us = start_us + static_cast<std::int64_t>(a.warmup * 1e6);
  const std::int64_t end_us = measure_us + static_cast<std::int64_t>(a.duration * 1e6);
  ServerCost at_measure, last = sample();
  bool measuring = false;
  Engine::Progress last_progress;
  std::int64_t last_us = MonotonicMicros();
  std::int64_t next_print = start_us + 1'000'000;
  auto start_measuring = [&] {
    if (!measuring && MonotonicMicros() >= measure_us) {
      at_measure = sample();
      measuring = true;
    }
  };
  for (;;) {
    start_measuring();
    const std::int64_t wake = std::min(next_print, measuring ? end_us : measure_us);
    if (const std::int64_t now = MonotonicMicros(); wake > now) {
      std::this_thread::sleep_for(std::chrono::microseconds(wake - now));
    }
    start_measuring();
    if (MonotonicMicros() >= end_us) break;
    if (MonotonicMicros() < next_print) continue;
    next_print += 1'000'000;
    const auto p = totals();
    const ServerCost c = sample();
    const double secs = static_cast<double>(MonotonicMicros() - last_us) / 1e6;
    if (!a.quiet) {
      std::string server;
      if (c.known && last.known) {
        char b[96];
        std::snprintf(b, sizeof b, "  server cpu %3.0f%%  rss %.1f MB", 100.0 * (c.cpu_seconds - last.cpu_seconds) / secs,
                      static_cast<double>(c.rss_bytes) / 1e6);
        server = b;
      }
      std::fprintf(stderr, "  %5.1f s  %s req/s  errors %s%s%s\n",
                   static_cast<double>(MonotonicMicros() - start_us) / 1e6,
                   Thousands(static_cast<double>(p.answered - last_progress.answered) / secs).c_str(),
                   Thousands(static_cast<double>(p.errors)).c_str(), server.c_str(), measuring ? "" : "  (warm-up)");
    }
    last = c;
    last_progress = p;
    last_us = MonotonicMicros();
  }
  const ServerCost at_end = sample();
  for (auto& r : runners) r.join();

  EngineStats all;
  for (auto& e : engines) all.Merge(e->stats());
  KindStats total;
  for (const auto& k : all.kinds) total.Merge(k);
  const std::uint64_t answered = all.answered();
  const double rate = static_cast<double>(answered) / a.duration;
  std::printf("result: %s answers in %.2f s = %s req/s (%s)\n", Thousands(static_cast<double>(answered)).c_str(),
              a.duration, Thousands(rate).c_str(), kinds[0].c_str());
  std::printf("  latency: p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (mean %s)\n",
              Millis(total.latency_us.Percentile(50)).c_str(), Millis(total.latency_us.Percentile(90)).c_str(),
              Millis(total.latency_us.Percentile(99)).c_str(), Millis(total.latency_us.Percentile(99.9)).c_str(),
              Millis(total.latency_us.max()).c_str(), Millis(static_cast<std::int64_t>(total.latency_us.mean())).c_str());
  if (kinds.size() > 1) {
    for (std::size_t k = 0; k < kinds.size() && k < all.kinds.size(); ++k) {
      const KindStats& ks = all.kinds[k];
      std::printf("  %s: %s answers, p50 %s, p99 %s, failed %s\n", kinds[k].c_str(),
                  Thousands(static_cast<double>(ks.ok + ks.failed)).c_str(), Millis(ks.latency_us.Percentile(50)).c_str(),
                  Millis(ks.latency_us.Percentile(99)).c_str(), Thousands(static_cast<double>(ks.failed)).c_str());
    }
  }
  std::string statuses;
  for (const auto& [st, n] : total.statuses) statuses += " " + std::to_string(st) + "×" + Thousands(static_cast<double>(n));
  std::printf("  answers:%s; failed %s; connection errors %s (connect %s, I/O %s, protocol %s)%s%s\n",
              statuses.empty() ? " none" : statuses.c_str(), Thousands(static_cast<double>(total.failed)).c_str(),
              Thousands(static_cast<double>(all.connect_errors + all.io_errors + all.protocol_errors)).c_str(),
              Thousands(static_cast<double>(all.connect_errors)).c_str(), Thousands(static_cast<double>(all.io_errors)).c_str(),
              Thousands(static_cast<double>(all.protocol_errors)).c_str(),
              all.last_error.empty() ? "" : "; last: ", all.last_error.c_str());
  if (all.timeouts + all.unfinished + all.unsent > 0) {
    std::printf("  never answered: %s timed out, %s still in flight at the end, %s due but never sent\n",
                Thousands(static_cast<double>(all.timeouts)).c_str(), Thousands(static_cast<double>(all.unfinished)).c_str(),
                Thousands(static_cast<double>(all.unsent)).c_str());
  }
  if (!total.first_failure.empty()) std::printf("  first failed answer: %s\n", total.first_failure.c_str());
  if (open_loop) std::printf("  open loop: at most %s requests were overdue at once (no free connection)\n", Thousands(static_cast<double>(all.max_backlog)).c_str());
  json::object result{{"mode", a.mode},
                      {"answers", answered},
                      {"seconds", a.duration},
                      {"rate", rate},
                      {"ok", total.ok},
                      {"failed", total.failed},
                      {"connection_errors", all.connect_errors + all.io_errors + all.protocol_errors},
                      {"timeouts", all.timeouts},
                      {"unfinished", all.unfinished},
                      {"unsent", all.unsent},
                      {"latency_us", json::object{{"p50", total.latency_us.Percentile(50)},
                                                  {"p90", total.latency_us.Percentile(90)},
                                                  {"p99", total.latency_us.Percentile(99)},
                                                  {"p999", total.latency_us.Percentile(99.9)},
                                                  {"max", total.latency_us.max()}}}};
  if (at_measure.known && at_end.known) {
    const double cpu = at_end.cpu_seconds - at_measure.cpu_seconds;
    const double per_request_us = answered ? cpu / static_cast<double>(answered) * 1e6 : 0;
    std::printf("  server: %.2f CPU-s (%.0f%% of one core), %.1f µs CPU per answer, rss %.1f MB (peak %.1f MB)\n", cpu,
                100.0 * cpu / a.duration, per_request_us, static_cast<double>(at_end.rss_bytes) / 1e6,
                static_cast<double>(at_end.peak_rss_bytes) / 1e6);
    result["server"] = json::object{{"cpu_seconds", cpu},
                                    {"cpu_us_per_answer", per_request_us},
                                    {"rss_bytes", at_end.rss_bytes},
                                    {"peak_rss_bytes", at_end.peak_rss_bytes}};
  } else if (a.server_pid != 0) {
    std::printf("  server: process %d could not be read from /proc\n", a.server_pid);
  }
  if (!a.json_file.empty()) {
    std::ofstream out(a.json_file);
    out << ToJson(result) << "\n";
    if (!out) Fail("cannot write " + a.json_file);
  }
  return answered > 0 ? 0 : 1;
}

}  // namespace
}  // namespace muster::load

int main(int argc, char** argv) { return muster::load::Run(argc, argv); }

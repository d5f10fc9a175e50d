// Matchmaking core throughput, decision latency and memory, in steady state with a large pool.
//
// Workload (deterministic, seeded): solo players arrive one by one; simulated time advances with
// each arrival (arrival_rate tickets per simulated second). A player has a skill (normal, mean
// 1500, sd 400), a game mode (8), a level, and latencies to 8 regions (a home region 15-60 ms,
// the others 40-250 ms). After each Add the matcher runs (event-driven: work only for the new
// ticket and for tickets whose expansion level changed), matched tickets leave, 1% of arrivals
// cancel later (Remove), and NextExpansionAt is read once per batch. Tickets that find no match
// wait for expansions, so the pool settles at a large size by itself; the warm-up (untimed) runs
// the same process until the pool has reached its steady size. Only matcher calls are timed,
// with the thread's CPU clock; decision latency (Add of the ticket that completes a match to the
// Run that returns it) with the monotonic clock.
//
//   build-*/bench/matcher_bench --benchmark_repetitions=3

#include <benchmark/benchmark.h>
#include <malloc.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "matchmaking/matcher.h"

// Bytes currently allocated through operator new (usable size, as malloc reports it), counted
// only while the memory benchmark measures (g_counting): the throughput benchmarks do not pay
// for the accounting. Memory allocated before counting starts and freed while it runs would
// make the count low, so the memory benchmark counts from before it creates anything.
static std::atomic<long long> g_live_bytes{0};
static std::atomic<bool> g_counting{false};

void* operator new(std::size_t n) {
  void* p = std::malloc(n ? n : 1);
  if (p == nullptr) throw std::bad_alloc();
  if (g_counting.load(std::memory_order_relaxed)) {
    g_live_bytes.fetch_add(static_cast<long long>(malloc_usable_size(p)), std::memory_order_relaxed);
  }
  return p;
}
void operator delete(void* p) noexcept {
  if (p == nullptr) return;
  if (g_counting.load(std::memory_order_relaxed)) {
    g_live_bytes.fetch_sub(static_cast<long long>(malloc_usable_size(p)), std::memory_order_relaxed);
  }
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }
// Over-aligned blocks are counted the same way (a memory resource may ask for them).
void* operator new(std::size_t n, std::align_val_t a) {
  const std::size_t align = static_cast<std::size_t>(a);
  void* p = std::aligned_alloc(align, (std::max<std::size_t>(n, 1) + align - 1) / align * align);
  if (p == nullptr) throw std::bad_alloc();
  if (g_counting.load(std::memory_order_relaxed)) {
    g_live_bytes.fetch_add(static_cast<long long>(malloc_usable_size(p)), std::memory_order_relaxed);
  }
  return p;
}
void operator delete(void* p, std::align_val_t) noexcept { operator delete(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { operator delete(p); }

namespace muster::matchmaking {
namespace {

constexpr Millis kT0 = 1'700'000'000'000;

constexpr const char* k5v5 = R"J({"name":"bench-5v5","ruleLanguageVersion":"1.0",
  "playerAttributes":[{"name":"skill","type":"number","default":1500},
                      {"name":"mode","type":"string","default":"ranked"},
                      {"name":"level","type":"number","default":10}],
  "teams":[{"name":"red","minPlayers":5,"maxPlayers":5},{"name":"blue","minPlayers":5,"maxPlayers":5}],
  "rules":[{"name":"SimilarSkill","type":"batchDistance","batchAttribute":"skill","maxDistance":3},
           {"name":"SameMode","type":"batchDistance","batchAttribute":"mode"},
           {"name":"Ping","type":"latency","maxLatency":60},
           {"name":"Veterans","type":"comparison","measurements":["min(flatten(teams[*].players.attributes[level]))"],
            "referenceValue":5,"operation":">="}],
  "expansions":[{"target":"rules[SimilarSkill].maxDistance","steps":[{"waitTimeSeconds":5,"value":10},{"waitTimeSeconds":15,"value":25},{"waitTimeSeconds":30,"value":100}]},
                {"target":"rules[Ping].maxLatency","steps":[{"waitTimeSeconds":10,"value":120}]}]})J";

constexpr const char* kLarge = R"J({"name":"bench-large","ruleLanguageVersion":"1.0",
  "playerAttributes":[{"name":"skill","type":"number","default":1500}],
  "algorithm":{"strategy":"balanced","balancedAttribute":"skill","batchingPreference":"largestPopulation"},
  "teams":[{"name":"red","minPlayers":50,"maxPlayers":50},{"name":"blue","minPlayers":50,"maxPlayers":50}],
  "rules":[{"name":"SimilarSkill","type":"batchDistance","batchAttribute":"skill","maxDistance":40},
           {"name":"Ping","type":"latency","maxLatency":50}],
  "expansions":[{"target":"rules[SimilarSkill].maxDistance","steps":[{"waitTimeSeconds":30,"value":60}]},
                {"target":"rules[Ping].maxLatency","steps":[{"waitTimeSeconds":60,"value":100}]}]})J";

const char* const kRegions[] = {"us-east-1", "us-west-2", "eu-west-1", "eu-central-1",
                                "ap-northeast-1", "ap-southeast-2", "sa-east-1", "af-south-1"};
const char* const kModes[] = {"ranked", "casual", "arena", "hardcore",
                              "duos", "capture", "escort", "survival"};

double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
double WallSeconds() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

class Population {
 public:
  Population(std::uint64_t seed, bool modes, double arrival_rate)
      : rng_(seed), modes_(modes), step_ms_(1000.0 / arrival_rate) {}

  TicketInput Next() {
    TicketInput t;
    char buf[64];
    std::snprintf(buf, sizeof buf, "ticket-%08llx-4c1e-9a7b-%012llu", static_cast<unsigned long long>(n_ * 2654435761u),
                  static_cast<unsigned long long>(n_));
    t.ticket_id = buf;
    sim_ms_ += step_ms_;
    t.start_time = kT0 + static_cast<Millis>(sim_ms_);
    PlayerInput p;
    std::snprintf(buf, sizeof buf, "player-%012llu", static_cast<unsigned long long>(n_));
    p.player_id = buf;
    p.attributes["skill"] = AttributeValue::Number(std::clamp(std::round(skill_(rng_)), 0.0, 3000.0));
    if (modes_) {
      p.attributes["mode"] = AttributeValue::String(kModes[rng_() % 8]);
      p.attributes["level"] = AttributeValue::Number(static_cast<double>(5 + rng_() % 95));
    }
    int home = static_cast<int>(rng_() % 8);
    for (int r = 0; r < 8; ++r) {
      int ms = r == home ? 15 + static_cast<int>(rng_() % 46) : 40 + static_cast<int>(rng_() % 211);
      p.latency_ms[kRegions[r]] = ms;
    }
    t.players.push_back(std::move(p));
    ++n_;
    return t;
  }
  Millis now() const { return kT0 + static_cast<Millis>(sim_ms_); }

 private:
  std::mt19937_64 rng_;
  std::normal_distribution<double> skill_{1500, 400};
  bool modes_;
  double step_ms_;
  double sim_ms_ = 0;
  std::uint64_t n_ = 0;
};

struct Driver {
  Matcher matcher;
  Population pop;
  std::deque<std::pair<Millis, std::string>> cancels;  // (at, ticket id)
  std::uint64_t matched_tickets = 0, matches = 0;
  std::mt19937 rng{99};

  Driver(const char* rules, bool modes, double rate)
      : matcher(*ParseRuleSet(rules)), pop(7, modes, rate) {}

  // One arrival; `decided` gets the Add→match latency (s, monotonic clock: read through the vDSO,
  // unlike the thread CPU clock, which is a system call and would bill its own cost to the
  // matcher) when the new ticket completed a match.
  void Step(TicketInput t, double* decided) {
    std::string id = t.ticket_id;
    Millis now = t.start_time;
    double w0 = WallSeconds();
    if (!matcher.Add(std::move(t)).ok()) std::abort();
    auto ms = matcher.Run(now);
    double w1 = WallSeconds();
    bool mine = false;
    for (const auto& m : ms) {
      ++matches;
      matched_tickets += m.ticket_ids.size();
      for (const auto& tid : m.ticket_ids) mine = mine || tid == id;
    }
    if (mine && decided) *decided = w1 - w0;
    if (rng() % 100 == 0) cancels.emplace_back(now + 5000, id);
    while (!cancels.empty() && cancels.front().first <= now) {
      matcher.Remove(cancels.front().second);
      cancels.pop_front();
    }
  }

  void WarmUp(std::size_t min_pool, int max_arrivals) {
    std::size_t last = 0;
    for (int i = 0; i < max_arrivals; ++i) {
      Step(pop.Next(), nullptr);
      if (i % 20000 == 19999) {
        std::size_t s = matcher.size();
        if (s >= min_pool && s <= last + last / 100) break;  // grown past the floor and levelled off
        last = s;
      }
    }
  }
};

void SteadyState(benchmark::State& state, const char* rules, bool modes, double rate,
                 std::size_t min_pool) {
  Driver d(rules, modes, rate);
  d.WarmUp(min_pool, 3'000'000);
  constexpr int kBatch = 2000;
  std::vector<TicketInput> batch;
  std::vector<double> latencies;
  double cpu = 0;
  std::uint64_t arrivals = 0;
  const std::uint64_t matched0 = d.matched_tickets, matches0 = d.matches;
  const MatcherStats st0 = d.matcher.stats();
  std::size_t pool_min = d.matcher.size(), pool_max = d.matcher.size();
  for (auto _ : state) {
    state.PauseTiming();
    batch.clear();
    for (int i = 0; i < kBatch; ++i) batch.push_back(d.pop.Next());
    state.ResumeTiming();
    double c0 = CpuSeconds();
    for (auto& t : batch) {
      double lat = -1;
      d.Step(std::move(t), &lat);
      if (lat >= 0) latencies.push_back(lat);
    }
    benchmark::DoNotOptimize(d.matcher.NextExpansionAt(d.pop.now()));
    cpu += CpuSeconds() - c0;
    arrivals += kBatch;
    pool_min = std::min(pool_min, d.matcher.size());
    pool_max = std::max(pool_max, d.matcher.size());
  }
  std::sort(latencies.begin(), latencies.end());
  auto pct = [](const std::vector<double>& v, double q) {
    return v.empty() ? 0.0 : v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))] * 1e6;
  };
  const double matched = static_cast<double>(d.matched_tickets - matched0);
  state.counters["pool_min"] = static_cast<double>(pool_min);
  state.counters["pool_max"] = static_cast<double>(pool_max);
  state.counters["matcher_cpu_s"] = cpu;
  state.counters["matched_tickets_per_s"] = matched / cpu;
  state.counters["matches_per_s"] = static_cast<double>(d.matches - matches0) / cpu;
  state.counters["arrivals_per_s"] = static_cast<double>(arrivals) / cpu;
  state.counters["decision_wall_p50_us"] = pct(latencies, 0.50);
  state.counters["decision_wall_p99_us"] = pct(latencies, 0.99);
  const MatcherStats& st = d.matcher.stats();
  const double n_arrivals = static_cast<double>(arrivals);
  state.counters["level_changes_per_arrival"] = static_cast<double>(st.level_changes - st0.level_changes) / n_arrivals;
  state.counters["anchors_per_arrival"] = static_cast<double>(st.anchors - st0.anchors) / n_arrivals;
  state.counters["cands_per_arrival"] = static_cast<double>(st.candidates - st0.candidates) / n_arrivals;
  state.counters["nodes_per_arrival"] = static_cast<double>(st.nodes - st0.nodes) / n_arrivals;
}

void BM_Steady5v5(benchmark::State& state) { SteadyState(state, k5v5, true, 60000, 100000); }
BENCHMARK(BM_Steady5v5)->Unit(benchmark::kMillisecond)->Iterations(100);

void BM_SteadyLarge100(benchmark::State& state) { SteadyState(state, kLarge, false, 20000, 100000); }
BENCHMARK(BM_SteadyLarge100)->Unit(benchmark::kMillisecond)->Iterations(100);

// Bytes the Matcher holds per searching ticket (every index included): 100k 1-player tickets
// with three attributes and latencies to 8 regions, added without matching.
void BM_MemoryPerTicket(benchmark::State& state) {
  constexpr int kTickets = 100000;
  for (auto _ : state) {
    state.PauseTiming();
    g_counting = true;  // from here on every allocation and free is counted
    Population pop(11, true, 20000);
    auto rules = *ParseRuleSet(k5v5);
    const long long before = g_live_bytes.load();  // the inputs below are freed before measuring
    std::vector<TicketInput> in;
    in.reserve(kTickets);
    for (int i = 0; i < kTickets; ++i) in.push_back(pop.Next());
    state.ResumeTiming();
    auto m = std::make_unique<Matcher>(rules);
    for (auto& t : in) {
      if (!m->Add(std::move(t)).ok()) std::abort();
    }
    state.PauseTiming();
    in.clear();
    in.shrink_to_fit();
    long long held = g_live_bytes.load() - before;
    g_counting = false;
    state.counters["bytes_per_ticket"] = static_cast<double>(held) / kTickets;
    state.counters["pool"] = static_cast<double>(m->size());
    m.reset();
    state.ResumeTiming();
  }
}
BENCHMARK(BM_MemoryPerTicket)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace muster::matchmaking

BENCHMARK_MAIN();

// PlacementCore::Pump while capacity is scarce: every process of the fleet hosts a game session and
// N placements wait (the clock stands still, nothing changes). The cost of the 100 ms pump as the
// queue of waiting placements grows, with 1,000 busy processes in each of two locations.
//   build/bench/placement_bench --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include <string>

#include "common/env.h"
#include "fleet/fleet_core.h"
#include "placement/placement_core.h"

namespace {

using namespace muster;  // NOLINT

placement::PlacementRequest Request(const std::string& id) {
  placement::PlacementRequest r;
  r.placement_id = id;
  r.queue_name = "q";
  r.max_players = 2;
  r.players = {{"a-" + id, "", {{"custom-a", 40}, {"custom-b", 60}}},
               {"b-" + id, "", {{"custom-a", 50}, {"custom-b", 30}}}};
  return r;
}

void BM_PumpWhileEveryProcessIsBusy(benchmark::State& state) {
  ManualClock clock;
  SeededRandom random(1);
  Env env{clock, random};
  fleet::FleetCore fleets(env, fleet::FleetOptions{});
  placement::PlacementCore core(env, fleets);
  fleets.PutCompute({"fleet-1", "compute-a", "custom-a", "10.0.0.1", "", "tok", 0});
  fleets.PutCompute({"fleet-1", "compute-b", "custom-b", "10.0.0.2", "", "tok", 0});
  core.PutFleet("fleet-1", {"custom-a", "custom-b"});
  placement::QueueConfig q;
  q.name = "q";
  q.fleets = {"fleet-1"};
  (void)core.PutQueue(q);
  constexpr int kProcessesPerLocation = 1000;
  std::uint64_t conn = 0;
  for (const char* compute : {"compute-a", "compute-b"}) {
    for (int i = 0; i < kProcessesPerLocation; ++i) {
      std::string key;
      (void)fleets.Connect(++conn, "fleet-1", compute, "p" + std::to_string(i), &key);
      (void)fleets.ActivateServerProcess(key, 7000, "5.4.0", "Cpp");
    }
  }
  // The first placements take every process (their sessions activate); the rest wait.
  const auto waiting = static_cast<int>(state.range(0));
  // (Start tries at once while no older placement waits.)
  for (int i = 0; i < 2 * kProcessesPerLocation + waiting; ++i) (void)core.Start(Request("pl-" + std::to_string(i)));
  (void)core.Pump();
  for (auto _ : state) {
    benchmark::DoNotOptimize(core.Pump());
  }
  state.SetLabel(std::to_string(core.PendingCount()) + " pending, " + std::to_string(waiting) + " waiting");
}
BENCHMARK(BM_PumpWhileEveryProcessIsBusy)->Arg(10)->Arg(1000)->Arg(10'000);

}  // namespace

BENCHMARK_MAIN();

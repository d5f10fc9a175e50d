// FleetCore::Tick with many connected processes, none of them due (the clock stands still): the cost of the 100 ms tick
// as the fleet grows (ordered deadlines: it should not grow with the number of processes).
//   build/bench/fleet_bench --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include <string>

#include "common/env.h"
#include "fleet/fleet_core.h"

namespace {

using namespace muster;  // NOLINT

void BM_TickWithIdleProcesses(benchmark::State& state) {
  ManualClock clock;
  SeededRandom random(1);
  Env env{clock, random};
  fleet::FleetCore core(env, fleet::FleetOptions{});
  core.PutCompute({"fleet-1", "compute-a", "custom-a", "10.0.0.1", "", "tok", 0});
  const auto n = static_cast<std::uint64_t>(state.range(0));
  for (std::uint64_t i = 1; i <= n; ++i) {
    std::string key;
    (void)core.Connect(i, "fleet-1", "compute-a", "p" + std::to_string(i), &key);
    (void)core.ActivateServerProcess(key, 7000, "5.4.0", "Cpp");
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(core.Tick());
  }
  state.SetLabel(std::to_string(n) + " processes");
}
BENCHMARK(BM_TickWithIdleProcesses)->Arg(100)->Arg(10'000)->Arg(100'000);

}  // namespace

BENCHMARK_MAIN();

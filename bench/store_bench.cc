// Store engine throughput: single-row commits (insert, CAS update), commits with an outbox event,
// point reads and status pages, on a real SQLite file in WAL mode.
//
//   build-*/bench/store_bench --benchmark_filter=Sqlite

#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "store/sqlite_store.h"

namespace muster::store {
namespace {

class ScratchDb {
 public:
  explicit ScratchDb(bool full) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "muster-bench-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) return;
    dir_ = tmpl;
    auto s = OpenSqliteStore({.path = dir_ + "/bench.db", .synchronous_full = full});
    if (s.ok()) store_ = std::move(s).value();
  }
  ~ScratchDb() {
    store_.reset();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  Store* get() { return store_.get(); }

 private:
  std::string dir_;
  std::unique_ptr<Store> store_;
};

Row BenchRow(std::string id, std::size_t body_bytes) {
  Row r;
  r.id = std::move(id);
  r.index = "identity-1";
  r.status = "SEARCHING";
  r.body = "{\"p\":\"" + std::string(body_bytes, 'x') + "\"}";
  return r;
}

void BM_SqliteInsert(benchmark::State& state) {
  ScratchDb db(state.range(0) != 0);
  if (db.get() == nullptr) return state.SkipWithError("open failed");
  std::int64_t i = 0;
  for (auto _ : state) {
    Status st =
        CommitOne(*db.get(), Write::Insert(Table::kTickets, BenchRow(std::to_string(i++), 512)));
    if (!st.ok()) return state.SkipWithError(st.error().message.c_str());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SqliteInsert)->Arg(0)->Arg(1)->ArgName("full");

void BM_SqliteCasUpdateWithEvent(benchmark::State& state) {
  ScratchDb db(false);
  if (db.get() == nullptr) return state.SkipWithError("open failed");
  if (!CommitOne(*db.get(), Write::Insert(Table::kTickets, BenchRow("t", 512))).ok()) {
    return state.SkipWithError("seed failed");
  }
  std::int64_t version = 1;
  for (auto _ : state) {
    Status st = db.get()->Commit({Write::Update(Table::kTickets, BenchRow("t", 512), version)},
                                 {EventAppend{"matchmaking", "{\"type\":\"Searching\"}", 0}});
    if (!st.ok()) return state.SkipWithError(st.error().message.c_str());
    ++version;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SqliteCasUpdateWithEvent);

void BM_SqliteGet(benchmark::State& state) {
  ScratchDb db(false);
  if (db.get() == nullptr) return state.SkipWithError("open failed");
  constexpr int kRows = 10000;
  std::vector<Write> seed;
  for (int i = 0; i < kRows; ++i)
    seed.push_back(Write::Insert(Table::kTickets, BenchRow(std::to_string(i), 512)));
  if (!db.get()->Commit(seed).ok()) return state.SkipWithError("seed failed");
  int i = 0;
  for (auto _ : state) {
    auto got = db.get()->Get(Table::kTickets, std::to_string(i++ % kRows));
    benchmark::DoNotOptimize(got);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SqliteGet);

void BM_SqliteListByStatusPage(benchmark::State& state) {
  ScratchDb db(false);
  if (db.get() == nullptr) return state.SkipWithError("open failed");
  std::vector<Write> seed;
  for (int i = 0; i < 10000; ++i)
    seed.push_back(Write::Insert(Table::kTickets, BenchRow(std::to_string(i), 512)));
  if (!db.get()->Commit(seed).ok()) return state.SkipWithError("seed failed");
  for (auto _ : state) {
    auto page = db.get()->ListByStatus(Table::kTickets, "SEARCHING", "5", 100);
    benchmark::DoNotOptimize(page);
  }
  state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK(BM_SqliteListByStatusPage);

// Intake's shape: per ticket, a start batch (the ticket's row, QUEUED) and its share of the
// matchmaking run's batch (the row again, COMPLETED; a MatchmakingSearching event per ticket and
// a MatchmakingSucceeded per 1v1 match), with musterd's row and event sizes. One group commit per
// `tickets` tickets: how the cost of a ticket falls as groups grow (the pages every commit writes
// again, whatever its size). merged:1 is the same group as one batch that inserts each ticket's
// final row (its start and its match committed together).
void BM_SqliteIntakeGroup(benchmark::State& state) {
  ScratchDb db(false);
  if (db.get() == nullptr) return state.SkipWithError("open failed");
  const auto tickets = static_cast<std::size_t>(state.range(0));
  const bool merged = state.range(1) != 0;
  const std::string searching(700, 's'), succeeded(900, 'm');
  std::int64_t next = 0;
  char id[64];
  for (auto _ : state) {
    std::vector<Batch> group;
    group.reserve(tickets + 1);
    Batch run;
    run.shard = "node";
    for (std::size_t i = 0; i < tickets; ++i, ++next) {
      std::snprintf(id, sizeof id, "0193a1b2-%04llx-7000-8000-%012llx",
                    static_cast<unsigned long long>(next >> 48),
                    static_cast<unsigned long long>(next));
      Row queued;
      queued.id = id;
      queued.status = "QUEUED";
      queued.body.assign(194, 'q');
      queued.updated = next;
      if (!merged) group.push_back({{Write::Insert(Table::kTickets, queued)}, {}, "node"});
      Row done = queued;
      done.status = "COMPLETED";
      done.body.assign(280, 'c');
      run.writes.push_back(merged ? Write::Insert(Table::kTickets, std::move(done))
                                  : Write::Upsert(Table::kTickets, std::move(done)));
      run.events.push_back({"matchmaking", searching, next});
      if (i % 2 == 1) run.events.push_back({"matchmaking", succeeded, next});
    }
    group.push_back(std::move(run));
    auto r = db.get()->CommitGroup(group);
    if (!r.ok()) return state.SkipWithError(r.error().message.c_str());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(tickets));
}
BENCHMARK(BM_SqliteIntakeGroup)
    ->ArgsProduct({{8, 16, 32, 64, 128}, {0, 1}})
    ->ArgNames({"tickets", "merged"});

}  // namespace
}  // namespace muster::store

BENCHMARK_MAIN();

#pragma once
// For node tests: a Node over a real SQLite file behind a FaultStore (store/fault_store.h), with a
// manual clock and a seeded generator, and the reads those tests share.
//
// Thread safety: a test fixture; its helpers run on the test's thread.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "node/node.h"
#include "node/node_test_setup.h"
#include "store/fault_store.h"
#include "store/temp_sqlite_store.h"

namespace muster::node::testing {

class FaultyNodeTest : public ::testing::Test {
 protected:
  explicit FaultyNodeTest(NodeOptions options) : faults_(*db_), node_(faults_, env_, options) {}

  // A connected, active game server process; returns its key.
  std::string Ready(std::uint64_t connection) {
    auto key = ReadyProcess(node_, connection);
    EXPECT_TRUE(key.ok()) << (key.ok() ? "" : key.error().message);
    return key.ok() ? *key : "";
  }

  // The stored row's status, "(absent)" when there is none.
  std::string Stored(store::Table t, const std::string& id) {
    auto row = (*db_).Get(t, id);
    EXPECT_TRUE(row.ok());
    return row.ok() && row->has_value() ? (*row)->status : "(absent)";
  }

  store::testing::TempSqliteStore db_;
  store::FaultStore faults_;
  ManualClock clock_{1'700'000'000'000};
  SeededRandom random_{5};
  Env env_{clock_, random_};
  Node node_;
};

}  // namespace muster::node::testing

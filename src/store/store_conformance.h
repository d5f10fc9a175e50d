#pragma once
// The engine conformance suite: GoogleTest cases that every store::Store engine must pass. It
// checks only the contract in store.h (nothing engine-specific), so SQLite and PostgreSQL run the
// same cases.
//
// To run it for an engine, in the engine's test file:
//
//   MUSTER_STORE_CONFORMANCE(Sqlite, [](const std::string& dir) -> std::unique_ptr<Store> {
//     auto s = OpenSqliteStore({.path = dir + "/db.sqlite"});
//     return s.ok() ? std::move(s).value() : nullptr;
//   });
//
// The factory contract: every test gets a fresh, empty scratch directory (removed afterwards).
// Each call with the SAME directory must open the SAME database (the reopen and two-instance
// cases rely on it; two instances must behave like two nodes sharing the database); different
// directories must be isolated databases. Return nullptr when the engine cannot be opened.
//
// Thread safety: the cases start their own threads; the factory may be called from the test thread
// only.

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "store/store.h"

namespace muster::store::testing {

using StoreFactory = std::function<std::unique_ptr<Store>(const std::string& scratch_dir)>;

struct EngineUnderTest {
  std::string name;
  StoreFactory factory;
};
// GoogleTest prints the engine's name in failure messages instead of raw bytes.
inline void PrintTo(const EngineUnderTest& e, std::ostream* os) { *os << e.name; }

// The parameterised fixture. Cases live in store_conformance.cc.
class StoreConformance : public ::testing::TestWithParam<EngineUnderTest> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A new instance on this test's database (asserts inside the factory result is non-null).
  std::unique_ptr<Store> Open();

  std::string dir_;
};

// Referenced by MUSTER_STORE_CONFORMANCE so that the linker keeps the object file holding the
// cases when the suite is linked from a static library.
int ConformanceSuiteAnchor();

}  // namespace muster::store::testing

// Use at namespace scope; engine_name is a plain identifier (it prefixes the test names).
#define MUSTER_STORE_CONFORMANCE(engine_name, factory_expr)                                    \
  [[maybe_unused]] static const int muster_store_conformance_anchor_##engine_name =            \
      ::muster::store::testing::ConformanceSuiteAnchor();                                      \
  using ::muster::store::testing::StoreConformance;                                            \
  INSTANTIATE_TEST_SUITE_P(                                                                    \
      engine_name, StoreConformance,                                                           \
      ::testing::Values(::muster::store::testing::EngineUnderTest{#engine_name, factory_expr}), \
      [](const auto& info) { return info.param.name; })

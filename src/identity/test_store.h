#pragma once
// Identity tests use a real SQLite store in a fresh temporary file (store/temp_sqlite_store.h).

#include "store/temp_sqlite_store.h"

namespace muster::identity::testing {
using store::testing::TempSqliteStore;
}  // namespace muster::identity::testing

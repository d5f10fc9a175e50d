#pragma once
// A real SQLite store in a fresh temporary file for tests; removed on destruction.

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "common/crypto.h"
#include "store/sqlite_store.h"

namespace muster::store::testing {

class TempSqliteStore {
 public:
  TempSqliteStore() {
    dir_ = std::filesystem::temp_directory_path() / ("muster-test-" + RandomAlnum(12));
    std::filesystem::create_directories(dir_);
    auto s = store::OpenSqliteStore({(dir_ / "muster.db").string()});
    if (!s.ok()) ADD_FAILURE() << s.error().message;
    else store_ = std::move(s).value();
  }
  ~TempSqliteStore() {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  store::Store& operator*() { return *store_; }
  std::string path() const { return (dir_ / "muster.db").string(); }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
};

}  // namespace muster::store::testing

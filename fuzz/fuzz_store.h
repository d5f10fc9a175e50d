#pragma once
// A real SQLite store in a fresh temporary directory for the fuzz targets whose parsers act on a
// store (identity, management). Renewed every `renew_every` inputs so that rows the fuzzer
// creates do not slow it down, and removed at exit.

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <unistd.h>

#include "store/sqlite_store.h"

namespace muster::fuzzing {

class FuzzStore {
 public:
  explicit FuzzStore(const char* name, int renew_every = 2000) : renew_every_(renew_every) {
    dir_ = std::filesystem::temp_directory_path() /
           (std::string("muster-fuzz-") + name + "-" + std::to_string(::getpid()));
  }
  ~FuzzStore() { Remove(); }

  // True when the caller must rebuild what sits on the store (a fresh store was opened).
  bool Tick() {
    if (store_ && ++uses_ < renew_every_) return false;
    uses_ = 0;
    store_.reset();
    Remove();
    std::filesystem::create_directories(dir_);
    auto s = store::OpenSqliteStore({(dir_ / "muster.db").string()});
    if (!s.ok()) std::abort();
    store_ = std::move(s).value();
    return true;
  }
  store::Store& operator*() { return *store_; }

 private:
  void Remove() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  int renew_every_;
  int uses_ = 0;
};

}  // namespace muster::fuzzing

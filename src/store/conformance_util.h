#pragma once
// Small helpers shared by the conformance suite and engine-specific store tests: row builders,
// result unwrapping that records a GoogleTest failure instead of crashing, and a CAS increment.
//
// Thread safety: the helpers are free functions; CasIncrement may run on many threads at once.

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "store/store.h"

#ifndef ASSERT_OK
#define ASSERT_OK(expr)                                 \
  do {                                                  \
    auto _muster_st = (expr);                           \
    ASSERT_TRUE(_muster_st.ok()) << _muster_st.error().message; \
  } while (0)
#endif

namespace muster::store::testing {

Row MakeRow(std::string id, std::string index, std::string status, std::string body,
            Millis updated = 0);

// The row, or a recorded failure and an empty Row.
Row MustGet(Store& s, Table t, std::string_view id);
std::vector<Row> MustList(Result<std::vector<Row>> r);
std::vector<Event> MustEvents(Result<std::vector<Event>> r);
std::vector<std::string> Ids(const std::vector<Row>& rows);

// The error code, or nullopt when ok.
std::optional<ErrorCode> CodeOf(const Status& st);

// Reads the row (body = a decimal counter), writes counter+1 conditional on the version it read,
// and retries on kConflict. Any other error is returned.
Status CasIncrement(Store& s, Table t, const std::string& id);

}  // namespace muster::store::testing

#include "store/conformance_util.h"

#include <charconv>

namespace muster::store::testing {

Row MakeRow(std::string id, std::string index, std::string status, std::string body,
            Millis updated) {
  Row r;
  r.id = std::move(id);
  r.index = std::move(index);
  r.status = std::move(status);
  r.body = std::move(body);
  r.updated = updated;
  return r;
}

Row MustGet(Store& s, Table t, std::string_view id) {
  auto got = s.Get(t, id);
  if (!got.ok()) {
    ADD_FAILURE() << "Get(" << TableName(t) << ", " << id << "): " << got.error().message;
    return {};
  }
  if (!got->has_value()) {
    ADD_FAILURE() << "Get(" << TableName(t) << ", " << id << "): row missing";
    return {};
  }
  return std::move(**got);
}

std::vector<Row> MustList(Result<std::vector<Row>> r) {
  if (!r.ok()) {
    ADD_FAILURE() << "list: " << r.error().message;
    return {};
  }
  return std::move(r).value();
}

std::vector<Event> MustEvents(Result<std::vector<Event>> r) {
  if (!r.ok()) {
    ADD_FAILURE() << "read events: " << r.error().message;
    return {};
  }
  return std::move(r).value();
}

std::vector<std::string> Ids(const std::vector<Row>& rows) {
  std::vector<std::string> ids;
  ids.reserve(rows.size());
  for (const Row& r : rows) ids.push_back(r.id);
  return ids;
}

std::optional<ErrorCode> CodeOf(const Status& st) {
  if (st.ok()) return std::nullopt;
  return st.error().code;
}

Status CasIncrement(Store& s, Table t, const std::string& id) {
  // Bounded so that a broken engine fails the test instead of spinning forever.
  for (int attempt = 0; attempt < 100000; ++attempt) {
    auto got = s.Get(t, id);
    if (!got.ok()) return got.take_error();
    if (!got->has_value()) return Error::NotFound("counter row " + id + " missing");
    Row row = std::move(**got);
    long long n = 0;
    auto [ptr, ec] = std::from_chars(row.body.data(), row.body.data() + row.body.size(), n);
    if (ec != std::errc() || ptr != row.body.data() + row.body.size()) {
      return Error::Internal("counter row " + id + " has body '" + row.body + "'");
    }
    std::int64_t seen = row.version;
    row.body = std::to_string(n + 1);
    Status st = CommitOne(s, Write::Update(t, std::move(row), seen));
    if (st.ok()) return st;
    if (st.error().code != ErrorCode::kConflict) return st;
  }
  return Error::Internal("CAS increment of " + id + " kept conflicting");
}

}  // namespace muster::store::testing

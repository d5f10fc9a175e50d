#pragma once
// JSON at the edges: parsing untrusted bytes with limits, and reading objects field by field with
// errors that name the offending field's path. Built on Boost.JSON (separately compiled library).
//
// Thread safety: plain functions and a reader bound to one value; no shared state.

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace muster {

namespace json = boost::json;

struct JsonLimits {
  std::size_t max_bytes = 64 * 1024;
  std::size_t max_depth = 32;
  bool allow_comments = false;
  bool allow_trailing_commas = false;
};

// Parses `text` as one JSON value. Errors (kInvalidArgument / kTooLarge) say what and where.
Result<json::value> ParseJson(std::string_view text, const JsonLimits& limits = {});

// Serialises compactly.
std::string ToJson(const json::value& v);

// Lenient readers for documents Muster wrote itself (store rows): a missing or mistyped field
// reads as the default. Untrusted input goes through JsonObjectReader instead.
std::string StringOr(const json::object& o, std::string_view key, std::string dflt = {});
std::int64_t IntOr(const json::object& o, std::string_view key, std::int64_t dflt = 0);
bool BoolOr(const json::object& o, std::string_view key, bool dflt);
// Parses a stored document that must be an object; kInternal names `what` when it is corrupt.
Result<json::object> ParseStoredObject(std::string_view text, std::string_view what);

// "a.b[3].c" style path building.
std::string JoinPath(std::string_view parent, std::string_view field);
std::string IndexPath(std::string_view parent, std::size_t index);

// Reads one JSON object. Each getter records the field as known; Finish() reports the first
// unknown field (when strict) and the first error seen. Getters return nullopt for an absent
// optional field, and after an error.
class JsonObjectReader {
 public:
  // `path` is the path of this object in its document ("" for the root).
  JsonObjectReader(const json::value& v, std::string path, bool strict = true);
  // The reader keeps a pointer into `v`: binding it to a temporary would dangle.
  JsonObjectReader(json::value&& v, std::string path, bool strict = true) = delete;

  bool is_object() const { return obj_ != nullptr; }
  bool has(std::string_view key) const;
  const json::value* raw(std::string_view key, bool required = false);

  std::optional<std::string> String(std::string_view key, bool required = false,
                                    std::size_t max_len = 4096);
  std::optional<std::int64_t> Int(std::string_view key, bool required = false,
                                  std::int64_t min = INT64_MIN, std::int64_t max = INT64_MAX);
  // Accepts integers and doubles; rejects NaN/inf.
  std::optional<double> Number(std::string_view key, bool required = false);
  std::optional<bool> Bool(std::string_view key, bool required = false);
  const json::object* Object(std::string_view key, bool required = false);
  const json::array* Array(std::string_view key, bool required = false);

  // Marks a key as known without reading it.
  void Allow(std::string_view key);
  // Records an error for `key` (first error wins).
  void Fail(std::string_view key, std::string message);

  std::string PathOf(std::string_view key) const { return JoinPath(path_, key); }
  Status Finish();
  bool failed() const { return error_.has_value(); }

 private:
  const json::value* Get(std::string_view key, bool required, const char* type_name);

  const json::object* obj_ = nullptr;
  std::string path_;
  bool strict_;
  std::set<std::string, std::less<>> known_;
  std::optional<Error> error_;
};

}  // namespace muster

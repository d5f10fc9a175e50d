#include "common/json.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cmath>

namespace muster {

Result<json::value> ParseJson(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return Error::TooLarge("JSON body is " + std::to_string(text.size()) +
                           " bytes; the limit is " + std::to_string(limits.max_bytes));
  }
  json::parse_options opt;
  opt.max_depth = limits.max_depth;
  opt.allow_comments = limits.allow_comments;
  opt.allow_trailing_commas = limits.allow_trailing_commas;
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec, {}, opt);
  if (ec) {
    std::string what = ec.message();
    if (ec == json::error::too_deep) {
      what = "nesting deeper than " + std::to_string(limits.max_depth);
    }
    return Error::InvalidArgument("malformed JSON: " + what);
  }
  return v;
}

std::string ToJson(const json::value& v) { return json::serialize(v); }

std::string StringOr(const json::object& o, std::string_view key, std::string dflt) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::move(dflt);
}

std::int64_t IntOr(const json::object& o, std::string_view key, std::int64_t dflt) {
  auto* v = o.if_contains(key);
  return v && v->is_int64() ? v->get_int64() : dflt;
}

bool BoolOr(const json::object& o, std::string_view key, bool dflt) {
  auto* v = o.if_contains(key);
  return v && v->is_bool() ? v->get_bool() : dflt;
}

Result<json::object> ParseStoredObject(std::string_view text, std::string_view what) {
  auto v = ParseJson(text, JsonLimits{.max_bytes = 64 * 1024 * 1024, .max_depth = 64});
  if (!v.ok()) return Error::Internal("corrupt " + std::string(what) + ": " + v.error().message);
  if (!v->is_object()) return Error::Internal("corrupt " + std::string(what) + ": not an object");
  return std::move(v->get_object());
}

std::string JoinPath(std::string_view parent, std::string_view field) {
  if (parent.empty()) return std::string(field);
  std::string out(parent);
  out += '.';
  out += field;
  return out;
}

std::string IndexPath(std::string_view parent, std::size_t index) {
  std::string out(parent);
  out += '[';
  out += std::to_string(index);
  out += ']';
  return out;
}

JsonObjectReader::JsonObjectReader(const json::value& v, std::string path, bool strict)
    : path_(std::move(path)), strict_(strict) {
  obj_ = v.if_object();
  if (!obj_) {
    error_ = Error::InvalidArgument((path_.empty() ? std::string("body") : path_) +
                                    " must be a JSON object");
  }
}

bool JsonObjectReader::has(std::string_view key) const {
  return obj_ && obj_->find(json::string_view(key.data(), key.size())) != obj_->end();
}

void JsonObjectReader::Allow(std::string_view key) { known_.emplace(key); }

void JsonObjectReader::Fail(std::string_view key, std::string message) {
  if (!error_) error_ = Error::InvalidArgument(PathOf(key) + ": " + message);
}

const json::value* JsonObjectReader::Get(std::string_view key, bool required, const char*) {
  known_.emplace(key);
  if (!obj_) return nullptr;
  auto it = obj_->find(json::string_view(key.data(), key.size()));
  if (it == obj_->end() || it->value().is_null()) {
    if (required) Fail(key, "is required");
    return nullptr;
  }
  return &it->value();
}

const json::value* JsonObjectReader::raw(std::string_view key, bool required) {
  return Get(key, required, "value");
}

std::optional<std::string> JsonObjectReader::String(std::string_view key, bool required,
                                                    std::size_t max_len) {
  const json::value* v = Get(key, required, "string");
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    Fail(key, "must be a string");
    return std::nullopt;
  }
  const auto& s = v->get_string();
  if (s.size() > max_len) {
    Fail(key, "is longer than " + std::to_string(max_len) + " characters");
    return std::nullopt;
  }
  return std::string(s.data(), s.size());
}

std::optional<std::int64_t> JsonObjectReader::Int(std::string_view key, bool required,
                                                  std::int64_t min, std::int64_t max) {
  const json::value* v = Get(key, required, "integer");
  if (!v) return std::nullopt;
  std::int64_t out;
  if (v->is_int64()) {
    out = v->get_int64();
  } else if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    out = static_cast<std::int64_t>(v->get_uint64());
  } else {
    Fail(key, "must be an integer");
    return std::nullopt;
  }
  if (out < min || out > max) {
    Fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return std::nullopt;
  }
  return out;
}

std::optional<double> JsonObjectReader::Number(std::string_view key, bool required) {
  const json::value* v = Get(key, required, "number");
  if (!v) return std::nullopt;
  double d;
  if (v->is_double()) d = v->get_double();
  else if (v->is_int64()) d = static_cast<double>(v->get_int64());
  else if (v->is_uint64()) d = static_cast<double>(v->get_uint64());
  else {
    Fail(key, "must be a number");
    return std::nullopt;
  }
  if (!std::isfinite(d)) {
    Fail(key, "must be a finite number");
    return std::nullopt;
  }
  return d;
}

std::optional<bool> JsonObjectReader::Bool(std::string_view key, bool required) {
  const json::value* v = Get(key, required, "boolean");
  if (!v) return std::nullopt;
  if (!v->is_bool()) {
    Fail(key, "must be a boolean");
    return std::nullopt;
  }
  return v->get_bool();
}

const json::object* JsonObjectReader::Object(std::string_view key, bool required) {
  const json::value* v = Get(key, required, "object");
  if (!v) return nullptr;
  if (!v->is_object()) {
    Fail(key, "must be an object");
    return nullptr;
  }
  return &v->get_object();
}

const json::array* JsonObjectReader::Array(std::string_view key, bool required) {
  const json::value* v = Get(key, required, "array");
  if (!v) return nullptr;
  if (!v->is_array()) {
    Fail(key, "must be an array");
    return nullptr;
  }
  return &v->get_array();
}

Status JsonObjectReader::Finish() {
  if (error_) return *error_;
  if (strict_ && obj_) {
    for (const auto& kv : *obj_) {
      std::string_view k(kv.key().data(), kv.key().size());
      if (!known_.count(k)) {
        return Error::InvalidArgument(PathOf(k) + ": unknown field");
      }
    }
  }
  return OkStatus();
}

}  // namespace muster

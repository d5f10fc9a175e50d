#pragma once
// JsonWriter: JSON text appended straight to a string, for the hot paths (store rows and events of
// every ticket) that would otherwise build a Boost.JSON document only to serialise it at once.
// The output is what json::serialize gives for the same document (compact, the same escapes).
// The caller writes a well-formed sequence (a key before each member, balanced Begin/End); the
// writer places the commas and colons.
//
// Thread safety: one writer, one string, one thread.

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include <boost/json/fwd.hpp>

namespace muster {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& BeginObject() { return Open('{'); }
  JsonWriter& EndObject() { return Close('}'); }
  JsonWriter& BeginArray() { return Open('['); }
  JsonWriter& EndArray() { return Close(']'); }
  JsonWriter& Key(std::string_view key);

  JsonWriter& String(std::string_view s);
  JsonWriter& Int(std::int64_t v);
  JsonWriter& Bool(bool v);
  // Any document, serialised as json::serialize does.
  JsonWriter& Value(const boost::json::value& v);

  // Key and value in one call.
  template <typename T>
  JsonWriter& Member(std::string_view key, const T& v) {
    Key(key);
    if constexpr (std::is_same_v<T, bool>) {
      return Bool(v);
    } else if constexpr (std::is_integral_v<T>) {
      static_assert(!std::is_unsigned_v<T> || sizeof(T) < sizeof(std::int64_t),
                    "JsonWriter writes signed 64-bit integers only");
      return Int(static_cast<std::int64_t>(v));
    } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
      return String(v);
    } else {
      return Value(v);
    }
  }

 private:
  void Separate() {
    if (comma_) out_.push_back(',');
    comma_ = true;
  }
  JsonWriter& Open(char c) {
    Separate();
    out_.push_back(c);
    comma_ = false;
    return *this;
  }
  JsonWriter& Close(char c) {
    out_.push_back(c);
    comma_ = true;
    return *this;
  }

  std::string& out_;
  bool comma_ = false;  // the next key or value needs a comma before it
};

// Appends `s` as a JSON string literal, quotes included.
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace muster

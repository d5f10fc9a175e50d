#include "api/query.h"

namespace muster::api {

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

Result<std::string> PercentDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return Error::InvalidArgument("query string has a truncated percent escape");
      int hi = HexValue(in[i + 1]);
      int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return Error::InvalidArgument("query string has an invalid percent escape");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<std::map<std::string, std::string>> ParseQuery(std::string_view raw) {
  if (raw.size() > kMaxQueryBytes) {
    return Error::InvalidArgument("query string is " + std::to_string(raw.size()) +
                                  " bytes; the limit is " + std::to_string(kMaxQueryBytes));
  }
  std::map<std::string, std::string> out;
  std::size_t count = 0;
  while (!raw.empty()) {
    std::size_t amp = raw.find('&');
    std::string_view part = raw.substr(0, amp);
    raw = amp == std::string_view::npos ? std::string_view() : raw.substr(amp + 1);
    if (part.empty()) continue;
    if (++count > kMaxQueryParams) {
      return Error::InvalidArgument("query string has more than " + std::to_string(kMaxQueryParams) + " parameters");
    }
    std::size_t eq = part.find('=');
    MUSTER_ASSIGN_OR_RETURN(std::string name, PercentDecode(part.substr(0, eq), true));
    std::string value;
    if (eq != std::string_view::npos) {
      MUSTER_ASSIGN_OR_RETURN(value, PercentDecode(part.substr(eq + 1), true));
    }
    out.emplace(std::move(name), std::move(value));
  }
  return out;
}

}  // namespace muster::api

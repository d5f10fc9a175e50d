#include "auth/canonical.h"

#include <algorithm>

#include "common/ascii.h"
#include "common/crypto.h"

namespace muster::auth {

namespace {

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

}  // namespace

std::string UriEncode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3 / 2 + 4);
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = HexValue(s[i + 1]);
      int lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

QueryList ParseQuery(std::string_view raw) {
  QueryList out;
  std::size_t pos = 0;
  while (pos <= raw.size()) {
    std::size_t amp = raw.find('&', pos);
    if (amp == std::string_view::npos) amp = raw.size();
    std::string_view piece = raw.substr(pos, amp - pos);
    if (!piece.empty()) {
      std::size_t eq = piece.find('=');
      if (eq == std::string_view::npos) {
        out.emplace_back(PercentDecode(piece), std::string());
      } else {
        out.emplace_back(PercentDecode(piece.substr(0, eq)), PercentDecode(piece.substr(eq + 1)));
      }
    }
    pos = amp + 1;
  }
  return out;
}

std::string ToLowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string CanonicalUri(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    std::size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view seg = path.substr(pos, slash - pos);
    if (seg.empty() || seg == ".") {
      // skipped: consecutive slashes and "." segments
    } else if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else {
      segments.push_back(seg);
    }
    pos = slash + 1;
  }
  std::string normalized = "/";  // the wire path always starts at the root
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i) normalized.push_back('/');
    normalized.append(segments[i]);
  }
  if (!segments.empty() && !path.empty() && path.back() == '/') normalized.push_back('/');
  return UriEncode(normalized, /*keep_slash=*/true);
}

std::string CanonicalQuery(const QueryList& pairs, bool exclude_signature) {
  std::vector<std::pair<std::string, std::string>> enc;
  enc.reserve(pairs.size());
  for (const auto& [k, v] : pairs) {
    if (exclude_signature && AsciiIEquals(k, "x-amz-signature")) continue;
    enc.emplace_back(UriEncode(k), UriEncode(v));
  }
  std::sort(enc.begin(), enc.end());
  std::string out;
  for (std::size_t i = 0; i < enc.size(); ++i) {
    if (i) out.push_back('&');
    out.append(enc[i].first);
    out.push_back('=');
    out.append(enc[i].second);
  }
  return out;
}

std::string CanonicalQueryFromRaw(std::string_view raw_query) {
  return CanonicalQuery(ParseQuery(raw_query), true);
}

namespace {

// Appends `v` trimmed, with each run of whitespace inside it made one space.
void AppendCanonicalHeaderValue(std::string_view v, std::string* out) {
  std::size_t i = 0;
  bool first = true;
  while (i < v.size()) {
    while (i < v.size() && IsSpace(v[i])) ++i;
    std::size_t start = i;
    while (i < v.size() && !IsSpace(v[i])) ++i;
    if (i == start) break;
    if (!first) out->push_back(' ');
    out->append(v.data() + start, i - start);
    first = false;
  }
}

}  // namespace

std::string CanonicalHeaderValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  AppendCanonicalHeaderValue(v, &out);
  return out;
}

Result<std::string> CanonicalHeaders(const HeaderList& headers,
                                     const std::vector<std::string>& signed_names) {
  std::string out;
  out.reserve(512);
  for (const std::string& name : signed_names) {
    out.append(name);
    out.push_back(':');
    bool found = false;
    for (const auto& [hn, hv] : headers) {
      if (!AsciiIEquals(hn, name)) continue;
      if (found) out.push_back(',');
      AppendCanonicalHeaderValue(hv, &out);
      found = true;
    }
    if (!found) {
      return Error::Forbidden("signed header '" + name + "' is missing from the request");
    }
    out.push_back('\n');
  }
  return out;
}

std::string CanonicalRequest(std::string_view method, std::string_view canonical_uri,
                             std::string_view canonical_query, std::string_view canonical_headers,
                             std::string_view signed_headers, std::string_view payload_hash) {
  std::string out;
  out.reserve(method.size() + canonical_uri.size() + canonical_query.size() +
              canonical_headers.size() + signed_headers.size() + payload_hash.size() + 8);
  out.append(method).push_back('\n');
  out.append(canonical_uri).push_back('\n');
  out.append(canonical_query).push_back('\n');
  out.append(canonical_headers).push_back('\n');
  out.append(signed_headers).push_back('\n');
  out.append(payload_hash);
  return out;
}

std::string CredentialScope(std::string_view date8, std::string_view region,
                            std::string_view service) {
  std::string out(date8);
  out.push_back('/');
  out.append(region).push_back('/');
  out.append(service).append("/aws4_request");
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string out(kAlgorithm);
  out.push_back('\n');
  out.append(amz_date).push_back('\n');
  out.append(scope).push_back('\n');
  out.append(Sha256Hex(canonical_request));
  return out;
}

std::string DeriveSigningKey(std::string_view secret, std::string_view date8,
                             std::string_view region, std::string_view service) {
  std::string k = HmacSha256(std::string("AWS4").append(secret), date8);
  k = HmacSha256(k, region);
  k = HmacSha256(k, service);
  return HmacSha256(k, "aws4_request");
}

std::string ComputeSignature(std::string_view secret, std::string_view date8,
                             std::string_view region, std::string_view service,
                             std::string_view string_to_sign) {
  return Hex(HmacSha256(DeriveSigningKey(secret, date8, region, service), string_to_sign));
}

bool IsUnsignableHeader(std::string_view n) {
  static constexpr std::string_view kNames[] = {
      "authorization", "cache-control", "connection", "expect", "from", "keep-alive",
      "max-forwards", "pragma", "referer", "te", "trailer", "transfer-encoding", "upgrade",
      "user-agent", "x-amzn-trace-id"};
  for (auto k : kNames) {
    if (n == k) return true;
  }
  return n.starts_with("proxy-") || n.starts_with("sec-");
}

}  // namespace muster::auth

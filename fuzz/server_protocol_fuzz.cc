// libFuzzer target for the server socket protocol: both decoders must return a value or an
// error for any bytes, and whatever decodes must re-encode, decode again and re-encode to the same
// text, except that numbers may differ by float rounding. (Boost.JSON 1.81 reads number literals
// to within an ulp, not exactly; see the closing note of issue 2. Exact parsing is future work.)
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fleet/protocol.h"

namespace {

bool IsNumberChar(char c) { return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'; }

// Same text outside numbers; numbers equal within a relative 1e-14.
bool SameUpToRounding(std::string_view a, std::string_view b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    bool num_a = IsNumberChar(a[i]) && (i == 0 || !std::isalpha(static_cast<unsigned char>(a[i - 1])));
    bool num_b = IsNumberChar(b[j]) && (j == 0 || !std::isalpha(static_cast<unsigned char>(b[j - 1])));
    if (num_a && num_b) {
      std::size_t ei = i, ej = j;
      while (ei < a.size() && IsNumberChar(a[ei])) ++ei;
      while (ej < b.size() && IsNumberChar(b[ej])) ++ej;
      double x = std::strtod(std::string(a.substr(i, ei - i)).c_str(), nullptr);
      double y = std::strtod(std::string(b.substr(j, ej - j)).c_str(), nullptr);
      if (x != y && std::fabs(x - y) > 1e-14 * std::fmax(std::fabs(x), std::fabs(y))) return false;
      i = ei;
      j = ej;
      continue;
    }
    if (a[i] != b[j]) return false;
    ++i;
    ++j;
  }
  return i == a.size() && j == b.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace muster::fleet;
  std::string_view frame(reinterpret_cast<const char*>(data), size);
  FrameHeader header;
  auto client = DecodeClientMessage(frame, &header);
  if (client.ok()) {
    std::string e1 = Encode(*client);
    auto again = DecodeClientMessage(e1);
    if (!again.ok() || again->action() != client->action()) std::abort();
    if (!SameUpToRounding(e1, Encode(*again))) std::abort();
  }
  auto server = DecodeServerMessage(frame);
  if (server.ok()) {
    std::string e1 = Encode(*server);
    auto again = DecodeServerMessage(e1);
    // Error replies drop their body on encode; compare what survives.
    if (!again.ok() || again->action != server->action ||
        again->status_code != server->status_code) {
      std::abort();
    }
    if ((server->ok() || server->is_push()) && !SameUpToRounding(e1, Encode(*again))) std::abort();
  }
  return 0;
}

// libFuzzer target for the server socket protocol: both decoders must return a value or an
// error for any bytes, and whatever decodes must re-encode and decode to the same message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fleet/protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace muster::fleet;
  std::string_view frame(reinterpret_cast<const char*>(data), size);
  FrameHeader header;
  auto client = DecodeClientMessage(frame, &header);
  if (client.ok()) {
    auto again = DecodeClientMessage(Encode(*client));
    if (!again.ok() || !(*again == *client)) std::abort();
  }
  auto server = DecodeServerMessage(frame);
  if (server.ok()) {
    auto again = DecodeServerMessage(Encode(*server));
    // Error replies drop their body on encode; compare what survives.
    if (!again.ok() || again->action != server->action ||
        again->status_code != server->status_code) {
      std::abort();
    }
    if ((server->ok() || server->is_push()) && !(*again == *server)) std::abort();
  }
  return 0;
}

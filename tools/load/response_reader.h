#pragma once
// Reads HTTP/1.1 responses off a keep-alive connection for muster-load: the status line, the
// headers it needs (Content-Length, Connection, X-Muster-Ticket-Status), and a body of
// Content-Length bytes. A chunked body, a header section over 64 KiB, a body over 16 MiB or a
// malformed status line is an error that names what was wrong (the connection is then dropped).
//
// Thread safety: none; one per connection.

#include <cstddef>
#include <string>

namespace muster::load {

struct Response {
  int status = 0;
  std::string body;
  std::string ticket_status;  // X-Muster-Ticket-Status, when present
  bool close = false;         // the server will close the connection after it
};

class ResponseReader {
 public:
  enum class State { kNeedMore, kDone, kError };

  static constexpr std::size_t kMaxHeaderBytes = 64 * 1024;
  static constexpr std::size_t kMaxBodyBytes = 16 * 1024 * 1024;

  // Appends received bytes.
  void Append(const char* data, std::size_t n) { buffer_.append(data, n); }
  // Takes one whole final response off the front of what was received, if there is one
  // (interim 1xx answers before it are skipped).
  State Next(Response* out);
  const std::string& error() const { return error_; }
  void Reset() {
    buffer_.clear();
    error_.clear();
  }
  std::size_t buffered() const { return buffer_.size(); }

 private:
  State NextOne(Response* out);

  std::string buffer_;
  std::string error_;
};

}  // namespace muster::load

#include "node/event_log.h"

#include <cerrno>
#include <cstring>
#include <unistd.h>

#include "common/json.h"
#include "common/log.h"
#include "common/time_util.h"

namespace muster::node {

Result<std::unique_ptr<EventLog>> EventLog::Open(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "a+e");
  if (!f) return Error::InvalidArgument("event_log '" + path + "': " + std::strerror(errno));
  // A crash may have left a partial last line: end it, so the next line is whole.
  if (std::fseek(f, -1, SEEK_END) == 0 && std::fgetc(f) != '\n') std::fputc('\n', f);
  return std::unique_ptr<EventLog>(new EventLog(path, f));
}

EventLog::~EventLog() {
  if (file_) std::fclose(file_);
}

void EventLog::OnEvent(const store::Event& raw, core::LazyNotice& lazy) {
  if (!failed_.empty()) return;
  const core::Notice* event = lazy.get();
  std::string line = "{\"seq\":" + std::to_string(raw.seq) + ",\"topic\":" + ToJson(json::value(raw.topic)) +
                     ",\"time\":\"" + FormatIso8601(raw.time) + "\"" +
                     (event ? ",\"event\":" + raw.body : ",\"undecodable\":" + ToJson(json::value(raw.body))) + "}\n";
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size()) {
    failed_ = std::strerror(errno);
    MLOG(kError) << "event_log '" << path_ << "': " << failed_ << "; the log stops until musterd restarts";
  }
}

Status EventLog::Sync() {
  if (failed_.empty() && (std::fflush(file_) != 0 || ::fdatasync(fileno(file_)) != 0)) {
    failed_ = std::strerror(errno);
    MLOG(kError) << "event_log '" << path_ << "': " << failed_ << "; the log stops until musterd restarts";
  }
  if (!failed_.empty()) return Error::Internal("event_log '" + path_ + "': " + failed_);
  return OkStatus();
}

}  // namespace muster::node

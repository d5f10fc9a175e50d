#pragma once
// The event log: every outbox event appended to a file as one JSON line, for operators and
// scripts (`tail -f events.jsonl | jq`). A durable subscriber of the dispatcher ("event-log"):
// the file is flushed and synced before its cursor is written, so after a crash or restart it
// resumes after the last event it made durable. Lines past that point may be written again
// (at least once): a reader that must not see one twice skips a seq it has seen.
//
//   {"seq":41,"topic":"matchmaking","time":"2026-12-05T16:00:00.000Z","event":{...the outbox body...}}
//   {"seq":42,"topic":"mystery","time":"...","undecodable":"...the body as a string..."}
//
// A line left half-written by a crash is ended at the next start (its event follows again on
// its own line). A write error stops the log (later events are not written, its cursor stays) until musterd
// restarts, which resumes from the last durable line; the error is logged.
//
// Thread rules: OnEvent and Sync on the dispatcher's thread only.

#include <cstdio>
#include <memory>
#include <string>

#include "common/result.h"
#include "core/event_codec.h"
#include "core/events.h"
#include "store/store.h"

namespace muster::node {

class EventLog {
 public:
  static Result<std::unique_ptr<EventLog>> Open(const std::string& path);
  ~EventLog();

  // Every event. One that does not decode (`event` null) is written with its body as a JSON
  // string under "undecodable" instead of "event".
  void OnEvent(const store::Event& raw, core::LazyNotice& event);
  Status Sync();

 private:
  EventLog(std::string path, std::FILE* f) : path_(std::move(path)), file_(f) {}
  std::string path_;
  std::FILE* file_;
  std::string failed_;  // the first write error
};

}  // namespace muster::node

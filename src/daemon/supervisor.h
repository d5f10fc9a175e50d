#pragma once
// Runs local child processes (the demo's sample game servers) and restarts any that exit, after
// a back-off. Children get SIGTERM when musterd dies (PR_SET_PDEATHSIG), so none is orphaned.
// A child inherits stdin, stdout and stderr and no other descriptor, so a game server that
// outlives a crashed musterd holds none of its ports or files.
//
// Thread safety: none; call from the daemon's loop thread. Poll() reaps and restarts.

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/clock.h"

namespace muster::daemon {

class Supervisor {
 public:
  struct Child {
    std::string name;
    std::vector<std::string> argv;
    std::vector<std::string> env;  // extra NAME=value entries (secrets go here, not in argv)
    pid_t pid = 0;
    Millis restart_at = 0;
    int restarts = 0;
  };

  explicit Supervisor(const Clock& clock) : clock_(clock) {}
  ~Supervisor() { StopAll(); }

  void Add(std::string name, std::vector<std::string> argv, std::vector<std::string> env = {});
  // Starts children that are due, reaps those that exited (scheduling their restart).
  void Poll();
  // Asks every child to stop (SIGTERM) and stops restarting them. The loop keeps running so that
  // children can finish talking to musterd (ProcessEnding); poll Stopped() until it is true.
  void BeginStop();
  // Reaps; true once every child has exited. After `grace_ms` from BeginStop, SIGKILLs the rest.
  bool Stopped(int grace_ms = 5000);
  // Blocking variant for the destructor: SIGTERM, wait up to `grace_ms`, then SIGKILL.
  void StopAll(int grace_ms = 5000);

 private:
  void Spawn(Child& c);

  const Clock& clock_;
  std::vector<Child> children_;
  bool stopping_ = false;
  Millis stop_started_ = 0;
};

}  // namespace muster::daemon

#include "daemon/supervisor.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

#include <algorithm>
#include <thread>

#include "common/log.h"

namespace muster::daemon {

namespace {

// Async-signal-safe: runs in the child between fork and exec.
void CloseDescriptorsFrom(int first) {
  if (::close_range(static_cast<unsigned>(first), ~0U, 0) == 0) return;
  // Kernels before 5.9: close one by one up to the descriptor limit.
  long max = ::sysconf(_SC_OPEN_MAX);
  if (max < 0 || max > 1 << 20) max = 1 << 16;
  for (long fd = first; fd < max; ++fd) ::close(static_cast<int>(fd));
}

}  // namespace

void Supervisor::Add(std::string name, std::vector<std::string> argv, std::vector<std::string> env) {
  children_.push_back(Child{std::move(name), std::move(argv), std::move(env)});
  Spawn(children_.back());
}

void Supervisor::Spawn(Child& c) {
  std::vector<char*> args;
  for (auto& a : c.argv) args.push_back(a.data());
  args.push_back(nullptr);
  // The environment is built before fork: only async-signal-safe calls happen in the child.
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e) env_store.emplace_back(*e);
  for (const auto& e : c.env) env_store.push_back(e);
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    MLOG(kError) << "supervisor: fork failed for " << c.name;
    c.restart_at = clock_.NowMillis() + 5000;
    return;
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1);  // the parent died before prctl
    // The child gets stdin, stdout and stderr only: not the node's sockets, store files or
    // anything musterd itself inherited (everything the node opens is close-on-exec too; this
    // also covers descriptors a library opened without it, or that our parent leaked to us).
    CloseDescriptorsFrom(3);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  c.pid = pid;
  MLOG(kInfo) << "supervisor: started " << c.name << " (pid " << pid << ")";
}

void Supervisor::Poll() {
  if (stopping_) return;
  for (auto& c : children_) {
    if (c.pid > 0) {
      int status = 0;
      pid_t r = waitpid(c.pid, &status, WNOHANG);
      if (r == c.pid) {
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (code == 0) {
          MLOG(kInfo) << "supervisor: " << c.name << " exited with 0";
        } else {
          MLOG(kWarn) << "supervisor: " << c.name << " exited with " << code;
        }
        c.pid = 0;
        // Clean exits (a finished game) restart at once; crashes back off up to 30 s.
        Millis delay = code == 0 ? 0 : std::min<Millis>(30'000, 1000LL << std::min(c.restarts, 5));
        if (code != 0) ++c.restarts;
        else c.restarts = 0;
        c.restart_at = clock_.NowMillis() + delay;
      }
    }
    if (c.pid == 0 && clock_.NowMillis() >= c.restart_at) Spawn(c);
  }
}

void Supervisor::BeginStop() {
  if (stopping_) return;
  stopping_ = true;
  stop_started_ = clock_.NowMillis();
  for (auto& c : children_) {
    if (c.pid > 0) kill(c.pid, SIGTERM);
  }
}

bool Supervisor::Stopped(int grace_ms) {
  bool all = true;
  bool late = clock_.NowMillis() - stop_started_ > grace_ms;
  for (auto& c : children_) {
    if (c.pid <= 0) continue;
    int status = 0;
    pid_t r = waitpid(c.pid, &status, WNOHANG);
    if (r == c.pid || r < 0) {
      c.pid = 0;
      continue;
    }
    if (late) {
      MLOG(kWarn) << "supervisor: " << c.name << " did not stop in time; killing it";
      kill(c.pid, SIGKILL);
      waitpid(c.pid, &status, 0);
      c.pid = 0;
      continue;
    }
    all = false;
  }
  return all;
}

void Supervisor::StopAll(int grace_ms) {
  stopping_ = true;
  for (auto& c : children_) {
    if (c.pid > 0) kill(c.pid, SIGTERM);
  }
  Millis deadline = SystemClock::Instance().NowMillis() + grace_ms;
  for (auto& c : children_) {
    while (c.pid > 0) {
      int status = 0;
      pid_t r = waitpid(c.pid, &status, WNOHANG);
      if (r == c.pid || r < 0) {
        c.pid = 0;
        break;
      }
      if (SystemClock::Instance().NowMillis() > deadline) {
        kill(c.pid, SIGKILL);
        waitpid(c.pid, &status, 0);
        c.pid = 0;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

}  // namespace muster::daemon

#include "daemon/cores.h"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace muster::daemon {

namespace {

std::optional<long long> Number(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  long long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<unsigned> Cores(long long quota, long long period) {
  if (quota <= 0 || period <= 0) return std::nullopt;
  return static_cast<unsigned>(std::max<long long>(1, (quota + period - 1) / period));
}

std::optional<std::string> Read(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<unsigned> Min(std::optional<unsigned> a, std::optional<unsigned> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

// The group's directory and each ancestor's up to the mount point: "/a/b" → "/a/b", "/a", "".
std::vector<std::string> SelfAndAncestors(std::string path) {
  std::vector<std::string> out;
  while (!path.empty() && path.back() == '/') path.pop_back();
  for (;;) {
    out.push_back(path);
    if (path.empty()) break;
    const auto slash = path.rfind('/');
    path.erase(slash == std::string::npos ? 0 : slash);
  }
  return out;
}

}  // namespace

std::optional<unsigned> CoresOfCpuMax(std::string_view cpu_max) {
  auto space = cpu_max.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  auto quota = Number(cpu_max.substr(0, space));  // "max": no number, no quota
  auto period = Number(cpu_max.substr(space + 1));
  if (!quota || !period) return std::nullopt;
  return Cores(*quota, *period);
}

std::optional<unsigned> CoresOfCfs(std::string_view quota_us, std::string_view period_us) {
  auto quota = Number(quota_us);
  auto period = Number(period_us);
  if (!quota || !period) return std::nullopt;
  return Cores(*quota, *period);
}

std::optional<unsigned> CgroupQuotaCores(const std::string& root) {
  auto self = Read(root + "/proc/self/cgroup");
  if (!self) return std::nullopt;
  std::optional<unsigned> cores;
  std::istringstream lines(*self);
  for (std::string line; std::getline(lines, line);) {
    // "<id>:<controllers>:<path>"; v2 is "0::<path>".
    auto a = line.find(':');
    auto b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    std::string controllers = line.substr(a + 1, b - a - 1);
    std::string path = line.substr(b + 1);
    if (controllers.empty()) {
      for (const char* mount : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
        for (const auto& dir : SelfAndAncestors(path)) {
          if (auto max = Read(root + mount + dir + "/cpu.max")) cores = Min(cores, CoresOfCpuMax(*max));
        }
      }
      continue;
    }
    std::istringstream names(controllers);
    bool cpu = false;
    for (std::string n; std::getline(names, n, ',');) cpu = cpu || n == "cpu";
    if (!cpu) continue;
    const std::vector<std::string> mounts{"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/" + controllers};
    for (const auto& mount : mounts) {
      for (const auto& dir : SelfAndAncestors(path)) {
        auto quota = Read(root + mount + dir + "/cpu.cfs_quota_us");
        auto period = Read(root + mount + dir + "/cpu.cfs_period_us");
        if (quota && period) cores = Min(cores, CoresOfCfs(*quota, *period));
      }
    }
  }
  return cores;
}

unsigned UsableCores() {
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) cores = static_cast<unsigned>(CPU_COUNT(&set));
  if (auto quota = CgroupQuotaCores()) cores = std::min(cores, *quota);
  return std::max(1u, cores);
}

}  // namespace muster::daemon

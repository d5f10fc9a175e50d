#pragma once
// How many cores musterd may use: its CPU affinity (taskset, a container's cpuset), lowered by a
// CPU quota of its control group (a container's `--cpus`, a Kubernetes CPU limit, systemd's
// CPUQuota=): a quota of 2.5 cores over 64 affinity cores gives 3, so the default number of loops
// (`threads = 0`) fits what the process may really run. Both cgroup versions are read (v2
// `cpu.max`; v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`), the quota of every ancestor group
// counting too (the smallest wins).
//
// Thread safety: plain functions (they read files).

#include <optional>
#include <string>
#include <string_view>

namespace muster::daemon {

// The cores a quota allows (rounded up, at least 1), or nullopt for no quota: v2 `cpu.max` text
// ("max 100000", "250000 100000").
std::optional<unsigned> CoresOfCpuMax(std::string_view cpu_max);
// The same from v1's quota and period (quota -1: none).
std::optional<unsigned> CoresOfCfs(std::string_view quota_us, std::string_view period_us);

// The quota of the control group the process is in, reading `<root>/proc/self/cgroup` and the
// groups under `<root>/sys/fs/cgroup` (root "" for the real ones; tests pass a directory).
// nullopt when there is none, or nothing can be read.
std::optional<unsigned> CgroupQuotaCores(const std::string& root = "");

// min(affinity cores, quota cores); at least 1.
unsigned UsableCores();

}  // namespace muster::daemon

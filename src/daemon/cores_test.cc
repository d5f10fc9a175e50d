#include "daemon/cores.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <unistd.h>

namespace muster::daemon {
namespace {

TEST(CoresTest, AQuotaIsRoundedUpToWholeCores) {
  EXPECT_EQ(CoresOfCpuMax("max 100000\n"), std::nullopt);
  EXPECT_EQ(CoresOfCpuMax("200000 100000\n"), 2u);
  EXPECT_EQ(CoresOfCpuMax("250000 100000"), 3u);
  EXPECT_EQ(CoresOfCpuMax("10000 100000"), 1u);  // a tenth of a core still runs one loop
  EXPECT_EQ(CoresOfCpuMax("garbage"), std::nullopt);
  EXPECT_EQ(CoresOfCpuMax("100000 0"), std::nullopt);
  EXPECT_EQ(CoresOfCfs("-1\n", "100000\n"), std::nullopt);
  EXPECT_EQ(CoresOfCfs("150000\n", "100000\n"), 2u);
  EXPECT_EQ(CoresOfCfs("x", "100000"), std::nullopt);
}

class CgroupTree : public ::testing::Test {
 protected:
  CgroupTree() : root_(std::filesystem::temp_directory_path() / ("muster-cores-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(root_);
  }
  ~CgroupTree() override { std::filesystem::remove_all(root_); }
  void Write(const std::string& path, const std::string& text) {
    auto p = root_ / path.substr(1);
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  std::filesystem::path root_;
};

TEST_F(CgroupTree, Version2TheSmallestQuotaOfTheGroupAndItsAncestorsCounts) {
  Write("/proc/self/cgroup", "0::/kubepods/pod1/musterd\n");
  EXPECT_EQ(CgroupQuotaCores(root_.string()), std::nullopt);  // no cpu.max anywhere: no quota
  Write("/sys/fs/cgroup/kubepods/pod1/musterd/cpu.max", "max 100000\n");
  Write("/sys/fs/cgroup/kubepods/pod1/cpu.max", "300000 100000\n");
  Write("/sys/fs/cgroup/kubepods/cpu.max", "800000 100000\n");
  EXPECT_EQ(CgroupQuotaCores(root_.string()), 3u);
}

TEST_F(CgroupTree, Version1ReadsTheCpuControllersQuotaAndPeriod) {
  Write("/proc/self/cgroup", "4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n0::/\n");
  Write("/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "150000\n");
  Write("/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000\n");
  EXPECT_EQ(CgroupQuotaCores(root_.string()), 2u);
  Write("/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "-1\n");
  EXPECT_EQ(CgroupQuotaCores(root_.string()), std::nullopt);
}

TEST_F(CgroupTree, NothingReadableMeansNoQuota) {
  EXPECT_EQ(CgroupQuotaCores(root_.string()), std::nullopt);
  Write("/proc/self/cgroup", "not a cgroup line\n");
  EXPECT_EQ(CgroupQuotaCores(root_.string()), std::nullopt);
}

TEST(CoresTest, UsableCoresIsAtLeastOneAndAtMostTheAffinity) {
  unsigned n = UsableCores();
  EXPECT_GE(n, 1u);
  EXPECT_LE(n, std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace
}  // namespace muster::daemon

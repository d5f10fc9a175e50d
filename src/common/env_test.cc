#include "common/env.h"

#include <gtest/gtest.h>

#include <regex>
#include <cstdio>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

namespace muster {
namespace {

TEST(SeededRandomTest, TheSameSeedGivesTheSameStream) {
  SeededRandom a(42), b(42), c(43);
  std::string x = a.Bytes(100), y = b.Bytes(100), z = c.Bytes(100);
  EXPECT_EQ(x, y);
  EXPECT_NE(x, z);
  EXPECT_EQ(a.Uuid4(), b.Uuid4());
  // Lengths that are not a multiple of 8 stay in step too.
  std::string first = a.Bytes(3);
  first += a.Bytes(13);
  EXPECT_EQ(first, b.Bytes(16));
}

TEST(SeededRandomTest, BytesAreSpreadOverEveryValue) {
  SeededRandom r(7);
  std::string bytes = r.Bytes(256 * 64);
  std::set<unsigned char> seen(bytes.begin(), bytes.end());
  EXPECT_EQ(seen.size(), 256u);
}

TEST(RandomTest, Uuid4HasTheVersionAndVariantBits) {
  const std::regex shape("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  SeededRandom seeded(1);
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(std::regex_match(seeded.Uuid4(), shape));
    EXPECT_TRUE(std::regex_match(SystemRandom::Instance().Uuid4(), shape));
  }
}

TEST(RandomTest, Uuid7StartsWithItsMillisecondsAndSortsByThem) {
  const std::regex shape("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  SeededRandom seeded(1);
  const Millis t = 1'764'000'000'123;  // 0x19AB... ms since the epoch
  std::string a = seeded.Uuid7(t);
  EXPECT_TRUE(std::regex_match(a, shape)) << a;
  char hex[13];
  std::snprintf(hex, sizeof hex, "%012llx", static_cast<unsigned long long>(t));
  EXPECT_EQ(a.substr(0, 8) + a.substr(9, 4), hex);
  std::string prev;
  for (Millis ms = t; ms < t + 100; ++ms) {
    std::string id = seeded.Uuid7(ms);
    EXPECT_LT(prev, id);
    prev = id;
  }
  EXPECT_NE(seeded.Uuid7(t), seeded.Uuid7(t));  // the same millisecond: still distinct
}

TEST(RandomTest, SystemRandomDoesNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(SystemRandom::Instance().Bytes(16));
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(RandomTest, SystemRandomBuffersPerThreadWithoutRepeating) {
  // Small requests come from each thread's buffer, large ones straight from OpenSSL; across
  // refills and threads nothing repeats.
  std::vector<std::thread> threads;
  std::vector<std::set<std::string>> seen(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&seen, t] {
      for (int i = 0; i < 3000; ++i) seen[t].insert(SystemRandom::Instance().Bytes(i % 3 == 0 ? 16 : 300));
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> all;
  for (const auto& s : seen) all.insert(s.begin(), s.end());
  EXPECT_EQ(all.size(), 12000u);
}

// One fork: the child's next 32 bytes against the parent's.
void ExpectTheChildsBytesDiffer() {
  (void)SystemRandom::Instance().Bytes(16);  // the parent's buffer holds unhanded bytes now
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    std::string b = SystemRandom::Instance().Bytes(32);
    ssize_t w = write(fds[1], b.data(), b.size());
    _exit(w == 32 ? 0 : 1);
  }
  close(fds[1]);
  std::string child(32, '\0');
  ssize_t got = 0;
  while (got < 32) {
    ssize_t r = read(fds[0], child.data() + got, 32 - static_cast<std::size_t>(got));
    if (r <= 0) break;
    got += r;
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_EQ(got, 32);
  EXPECT_NE(child, SystemRandom::Instance().Bytes(32));
}

TEST(RandomTest, AForkedChildDoesNotHandOutItsParentsBytes) {
  // Three forks: when the buffer is nearly spent at one of them (both sides would refill on their
  // own and differ anyway), the next ones find it refilled.
  for (int i = 0; i < 3; ++i) ExpectTheChildsBytesDiffer();
}

TEST(EnvTest, ReadsItsClock) {
  ManualClock clock(1234);
  SeededRandom random(1);
  Env env{clock, random};
  EXPECT_EQ(env.Now(), 1234);
  clock.Advance(5);
  EXPECT_EQ(env.Now(), 1239);
}

}  // namespace
}  // namespace muster

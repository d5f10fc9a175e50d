#include "daemon/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace muster::daemon {
namespace {

Result<Config> Load(std::vector<std::string> args) {
  args.insert(args.begin(), "musterd");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return LoadConfig(static_cast<int>(argv.size()), argv.data());
}

TEST(Config, DefaultsAreTheDemo) {
  auto c = Load({});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->http_port, 8080);
  EXPECT_EQ(c->server_ws_port, 9080);
  EXPECT_EQ(c->server_wss_port, 9443);
  EXPECT_EQ(c->identity_pool, "local:00000000-0000-0000-0000-000000000000");
  EXPECT_EQ(c->configuration, "demo-2v2");
  EXPECT_EQ(c->queue, "demo-queue");
  EXPECT_EQ(c->fleet, "demo-fleet");
  EXPECT_EQ(c->locations, (std::vector<std::string>{"custom-local-a", "custom-local-b"}));
  EXPECT_EQ(c->admin_access_key, "demo");
  EXPECT_EQ(c->admin_secret_key, "demo-secret");
  EXPECT_EQ(c->data_dir, "./muster-data");
}

TEST(Config, FlagsInBothSpellings) {
  auto c = Load({"--http-port", "0", "--locations=custom-x,custom-y", "--allow-guests", "false"});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->http_port, 0);
  EXPECT_EQ(c->locations.size(), 2u);
  EXPECT_FALSE(c->allow_guests);
}

TEST(Config, TomlFileThenFlagsOverride) {
  std::string path = testing::TempDir() + "/muster-config-test.toml";
  {
    std::ofstream f(path);
    f << "http_port = 8181\nregion = \"eu-local\"\nlocations = [\"custom-eu\"]\n";
  }
  auto c = Load({"--config", path, "--http-port", "8282"});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->http_port, 8282);
  EXPECT_EQ(c->region, "eu-local");
  EXPECT_EQ(c->locations, std::vector<std::string>{"custom-eu"});
  std::remove(path.c_str());
}

TEST(Config, RetentionsAreDurations) {
  auto d = Load({});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->event_retention_ms, 24LL * 3600 * 1000);
  EXPECT_EQ(d->session_retention_ms, 30LL * 24 * 3600 * 1000);
  auto c = Load({"--event-retention", "10m", "--ticket-retention", "90s", "--process-retention", "2d",
                 "--session-retention", "0"});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->event_retention_ms, 600'000);
  EXPECT_EQ(c->ticket_retention_ms, 90'000);
  EXPECT_EQ(c->process_retention_ms, 2LL * 86'400'000);
  EXPECT_EQ(c->session_retention_ms, 0);
  std::string path = testing::TempDir() + "/muster-config-duration.toml";
  {
    std::ofstream f(path);
    f << "event_retention = \"36h\"\nticket_retention = 120\n";
  }
  auto t = Load({"--config", path});
  std::remove(path.c_str());
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->event_retention_ms, 36LL * 3'600'000);
  EXPECT_EQ(t->ticket_retention_ms, 120'000);
  auto old = Load({"--ticket-retention-hours", "48", "--session-retention-days", "7"});
  ASSERT_TRUE(old.ok()) << old.error().message;
  EXPECT_EQ(old->ticket_retention_ms, 48LL * 3'600'000);
  EXPECT_EQ(old->session_retention_ms, 7LL * 86'400'000);
  for (const char* bad : {"10x", "-5m", "h", "", "1.5h", "999999999d"}) {
    auto b = Load({"--event-retention", bad});
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_NE(b.error().message.find("event_retention"), std::string::npos) << b.error().message;
  }
}

TEST(Config, ErrorsNameTheKey) {
  auto a = Load({"--no-such-flag", "1"});
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message.find("--no_such_flag"), std::string::npos);
  auto b = Load({"--http-port", "70000"});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message.find("http_port"), std::string::npos);
  auto c = Load({"--locations", "eu-west"});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("custom-"), std::string::npos);
  std::string path = testing::TempDir() + "/muster-config-bad.toml";
  {
    std::ofstream f(path);
    f << "http_port = \"eighty\"\n";
  }
  auto d = Load({"--config", path});
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("http_port"), std::string::npos);
  std::remove(path.c_str());
}

TEST(Config, DemoSecretOnlyOnLoopback) {
  EXPECT_TRUE(Load({"--listen-address", "127.0.0.1"}).ok());
  auto open = Load({"--listen-address", "0.0.0.0"});
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.error().message.find("admin_secret_key"), std::string::npos);
  EXPECT_TRUE(Load({"--listen-address", "0.0.0.0", "--admin-secret-key", "s3cret-for-real"}).ok());
}

TEST(Config, FlexMatchModeIsCheckedWithTheBackfillMode) {
  auto standalone = Load({"--flexmatch-mode", "STANDALONE"});
  ASSERT_TRUE(standalone.ok()) << standalone.error().message;
  EXPECT_EQ(standalone->flexmatch_mode, "STANDALONE");
  auto unknown = Load({"--flexmatch-mode", "SOLO"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("flexmatch_mode"), std::string::npos);
  auto both = Load({"--flexmatch-mode", "STANDALONE", "--backfill-mode", "AUTOMATIC"});
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.error().message.find("WITH_QUEUE"), std::string::npos);
}

TEST(Config, HelpListsEveryFlag) {
  std::string h = HelpText();
  for (const char* f : {"--http-port", "--server-wss-port", "--identity-pool", "--admin-secret-key", "--locations",
                        "--demo-servers", "--config"}) {
    EXPECT_NE(h.find(f), std::string::npos) << f;
  }
  EXPECT_NE(h.find("(default: 8080)"), std::string::npos);
  EXPECT_NE(h.find("(default: local:00000000-0000-0000-0000-000000000000)"), std::string::npos);
}

}  // namespace
}  // namespace muster::daemon

#include "identity/player_data.h"

#include <gtest/gtest.h>

#include "identity/test_store.h"

namespace muster::identity {
namespace {

class PlayerDataTest : public ::testing::Test {
 protected:
  testing::TempSqliteStore store_;
  ManualClock clock_;
};

TEST_F(PlayerDataTest, NewPlayerGetsTheDefaultOnce) {
  PlayerDataService svc(*store_, clock_);
  auto a = svc.GetOrCreate("local:p1");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(ToJson(*a), R"({"skill":{"N":1000}})");
  auto row = (*store_).Get(store::Table::kPlayerData, "local:p1");
  ASSERT_TRUE(row.ok() && row->has_value());
  // A changed default does not rewrite existing players.
  PlayerDataService other(*store_, clock_, json::object{{"skill", json::object{{"N", 5}}}});
  EXPECT_EQ(ToJson(*other.GetOrCreate("local:p1")), R"({"skill":{"N":1000}})");
  EXPECT_EQ(ToJson(*other.GetOrCreate("local:p2")), R"({"skill":{"N":5}})");
}

TEST_F(PlayerDataTest, PutReplacesAttributes) {
  PlayerDataService svc(*store_, clock_);
  json::object attrs{{"skill", json::object{{"N", 1500.5}}},
                     {"mode", json::object{{"S", "ranked"}}},
                     {"maps", json::object{{"SL", json::array{"a", "b"}}}},
                     {"pings", json::object{{"SDM", json::object{{"x", 1}}}}}};
  ASSERT_TRUE(svc.Put("local:p1", attrs).ok());
  auto got = svc.GetOrCreate("local:p1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, attrs);
}

TEST_F(PlayerDataTest, PutRejectsBadAttributes) {
  PlayerDataService svc(*store_, clock_);
  struct Case {
    json::object attrs;
    const char* needle;
  };
  json::object eleven;
  for (int i = 0; i < 11; ++i) eleven["a" + std::to_string(i)] = json::object{{"N", i}};
  std::vector<Case> cases = {
      {{{"skill", 5}}, "skill: must be an object"},
      {{{"skill", json::object{{"N", "x"}}}}, "skill.N: must be a number"},
      {{{"skill", json::object{{"N", 1}, {"S", "x"}}}}, "exactly one"},
      {{{"mode", json::object{{"S", 1}}}}, "mode.S: must be a string"},
      {{{"maps", json::object{{"SL", json::array{1}}}}}, "maps.SL"},
      {{{"p", json::object{{"SDM", json::object{{"x", "y"}}}}}}, "p.SDM.x"},
      {{{"p", json::object{{"B", true}}}}, "unknown attribute type"},
      {{{"", json::object{{"N", 1}}}}, "1 to 128"},
      {eleven, "at most 10"},
  };
  for (const Case& c : cases) {
    Status st = svc.Put("local:p1", c.attrs);
    ASSERT_FALSE(st.ok()) << c.needle;
    EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(st.error().message.find(c.needle), std::string::npos) << st.error().message;
  }
  EXPECT_FALSE(svc.Put("", {}).ok());
  EXPECT_FALSE(svc.GetOrCreate("").ok());
}

}  // namespace
}  // namespace muster::identity

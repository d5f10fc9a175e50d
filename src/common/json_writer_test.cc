#include "common/json_writer.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>

#include "common/json.h"

namespace muster {
namespace {

std::string Written(const std::string& s) {
  std::string out;
  JsonWriter(out).String(s);
  return out;
}

TEST(JsonWriter, EveryByteIsEscapedAsBoostSerialisesIt) {
  for (int c = 0; c < 256; ++c) {
    std::string s = "a" + std::string(1, static_cast<char>(c)) + "b";
    EXPECT_EQ(Written(s), ToJson(json::value(s))) << "byte " << c;
  }
}

TEST(JsonWriter, RandomStringsMatchBoost) {
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 40, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 128);  // ASCII with every control byte
    ASSERT_EQ(Written(s), ToJson(json::value(s))) << i;
    ASSERT_TRUE(ParseJson(Written(s)).ok());
    ASSERT_EQ(ParseJson(Written(s))->as_string(), s);
  }
}

TEST(JsonWriter, DocumentsMatchBoostAndParseBack) {
  json::object inner{{"x", json::array{1, "two", false}}, {"y", json::object{}}};
  std::string out;
  JsonWriter w(out);
  w.BeginObject()
      .Member("s", std::string("quote\" backslash\\"))
      .Member("min", std::numeric_limits<std::int64_t>::min())
      .Member("max", std::numeric_limits<std::int64_t>::max())
      .Member("zero", 0)
      .Member("neg", -42)
      .Member("yes", true)
      .Member("no", false)
      .Member("inner", json::value(inner))
      .Key("empty_array")
      .BeginArray()
      .EndArray()
      .Key("empty_object")
      .BeginObject()
      .EndObject()
      .Key("list")
      .BeginArray();
  for (int i = 0; i < 3; ++i) w.BeginObject().Member("i", i).EndObject();
  w.String("tail").Int(7).EndArray().EndObject();

  json::object expect{{"s", "quote\" backslash\\"},
                      {"min", std::numeric_limits<std::int64_t>::min()},
                      {"max", std::numeric_limits<std::int64_t>::max()},
                      {"zero", 0},
                      {"neg", -42},
                      {"yes", true},
                      {"no", false},
                      {"inner", inner},
                      {"empty_array", json::array{}},
                      {"empty_object", json::object{}},
                      {"list", json::array{json::object{{"i", 0}}, json::object{{"i", 1}},
                                           json::object{{"i", 2}}, "tail", 7}}};
  EXPECT_EQ(out, ToJson(expect));
  auto back = ParseJson(out);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, json::value(expect));
}

TEST(JsonWriter, AppendsAfterWhatTheStringHeld) {
  std::string out = "prefix:";
  JsonWriter(out).BeginArray().Int(1).Int(2).EndArray();
  EXPECT_EQ(out, "prefix:[1,2]");
}

}  // namespace
}  // namespace muster

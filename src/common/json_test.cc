#include "common/json.h"

#include <gtest/gtest.h>

namespace muster {
namespace {

TEST(ParseJson, RejectsMalformedWithMessage) {
  auto r = ParseJson("{\"a\": ");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("malformed JSON"), std::string::npos);
}

TEST(ParseJson, RejectsOversized) {
  std::string big = "\"" + std::string(100, 'x') + "\"";
  auto r = ParseJson(big, JsonLimits{.max_bytes = 50});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kTooLarge);
}

TEST(ParseJson, RejectsTooDeep) {
  std::string deep(100, '[');
  deep += std::string(100, ']');
  auto r = ParseJson(deep, JsonLimits{.max_depth = 10});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("deeper"), std::string::npos);
}

TEST(ParseJson, CommentsOnlyWhenAllowed) {
  EXPECT_FALSE(ParseJson("{\"a\":1 // c\n}").ok());
  EXPECT_TRUE(ParseJson("{\"a\":1 // c\n}", JsonLimits{.allow_comments = true}).ok());
}

TEST(JsonObjectReader, NamesPathOfBadField) {
  auto v = ParseJson(R"({"Name":"x","Port":"80"})");
  ASSERT_TRUE(v.ok());
  JsonObjectReader r(*v, "req");
  r.String("Name", true);
  r.Int("Port", true);
  auto st = r.Finish();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "req.Port: must be an integer");
}

TEST(JsonObjectReader, UnknownAndMissingFields) {
  auto v = ParseJson(R"({"Name":"x","Extra":1})");
  JsonObjectReader r(*v, "");
  r.String("Name", true);
  auto st = r.Finish();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "Extra: unknown field");

  JsonObjectReader r2(*v, "", /*strict=*/false);
  r2.String("Missing", true);
  EXPECT_EQ(r2.Finish().error().message, "Missing: is required");
}

TEST(JsonObjectReader, FloatIsNotInt) {
  auto v = ParseJson(R"({"Port":7777.5,"N":1e400})");
  JsonObjectReader r(*v, "");
  r.Int("Port");
  EXPECT_FALSE(r.Finish().ok());
}

}  // namespace
}  // namespace muster

#include "api/query.h"

#include <gtest/gtest.h>

namespace muster::api {
namespace {

TEST(Query, DecodesAndSplits) {
  auto q = ParseQuery("ticketId=abc-1&x=a%20b+c&empty=&flag");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->at("ticketId"), "abc-1");
  EXPECT_EQ(q->at("x"), "a b c");
  EXPECT_EQ(q->at("empty"), "");
  EXPECT_EQ(q->at("flag"), "");
}

TEST(Query, FirstOfRepeatedWins) {
  auto q = ParseQuery("a=1&a=2");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->at("a"), "1");
}

TEST(Query, RejectsBadEscapesAndLimits) {
  EXPECT_FALSE(ParseQuery("a=%4").ok());
  EXPECT_FALSE(ParseQuery("a=%zz").ok());
  EXPECT_FALSE(ParseQuery("a=%").ok());
  EXPECT_FALSE(ParseQuery(std::string(kMaxQueryBytes + 1, 'a')).ok());
  std::string many;
  for (int i = 0; i < 65; ++i) many += "k" + std::to_string(i) + "=1&";
  auto r = ParseQuery(many);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("more than 64"), std::string::npos);
}

}  // namespace
}  // namespace muster::api

#include "matchmaking/attribute.h"

#include <gtest/gtest.h>

namespace muster::matchmaking {
namespace {

Result<AttributeValue> Wire(const std::string& text) {
  JsonLimits limits;
  auto v = ParseJson(text, limits);
  EXPECT_TRUE(v.ok()) << text;
  return ParseAttributeValue(*v, "attributes.skill");
}

TEST(AttributeValue, ParsesEveryWireKind) {
  EXPECT_EQ(*Wire(R"({"S":"coop"})"), AttributeValue::String("coop"));
  EXPECT_EQ(*Wire(R"({"N":12.5})"), AttributeValue::Number(12.5));
  EXPECT_EQ(*Wire(R"({"SL":["a","b"]})"), AttributeValue::StringList({"a", "b"}));
  EXPECT_EQ(*Wire(R"({"SDM":{"b":2,"a":1}})"), AttributeValue::StringNumberMap({{"a", 1}, {"b", 2}}));
  auto round = AttributeValueToJson(AttributeValue::StringNumberMap({{"x", 3}}));
  EXPECT_EQ(ToJson(round), R"({"SDM":{"x":3E0}})");
}

TEST(AttributeValue, RejectsBadWireForms) {
  EXPECT_NE(Wire(R"({"N":"12"})").error().message.find("attributes.skill.N: must be a finite number"),
            std::string::npos);
  EXPECT_NE(Wire(R"({"N":1e999})").error().message.find("finite"), std::string::npos);
  EXPECT_NE(Wire(R"({"X":1})").error().message.find("unknown attribute value kind 'X'"), std::string::npos);
  EXPECT_FALSE(Wire(R"({"S":"a","N":1})").ok());
  EXPECT_FALSE(Wire(R"({})").ok());
  EXPECT_FALSE(Wire(R"([1])").ok());
  EXPECT_NE(Wire(R"({"SL":["a",1]})").error().message.find("attributes.skill.SL[1]"), std::string::npos);
  std::string list = R"({"SL":[)";
  for (int i = 0; i < 101; ++i) list += std::string(i ? "," : "") + "\"s\"";
  EXPECT_NE(Wire(list + "]}").error().message.find("has 101 strings; the limit is 100"), std::string::npos);
  std::string map = R"({"SDM":{)";
  for (int i = 0; i < 11; ++i) map += std::string(i ? "," : "") + "\"k" + std::to_string(i) + "\":1";
  EXPECT_NE(Wire(map + "}}").error().message.find("has 11 pairs; the limit is 10"), std::string::npos);
  EXPECT_NE(Wire(R"({"SDM":{"a":"x"}})").error().message.find("attributes.skill.SDM.a"), std::string::npos);
  EXPECT_FALSE(Wire(R"({"S":")" + std::string(2000, 'x') + R"("})").ok());
}

TEST(AttributeValue, DefaultsAreTypeChecked) {
  auto parse = [](const std::string& text, AttributeType t) {
    return ParseAttributeDefault(*ParseJson(text), t, "playerAttributes[0].default");
  };
  EXPECT_EQ(*parse("10", AttributeType::kNumber), AttributeValue::Number(10));
  EXPECT_EQ(*parse(R"("10")", AttributeType::kNumber), AttributeValue::Number(10));
  EXPECT_FALSE(parse(R"("ten")", AttributeType::kNumber).ok());
  EXPECT_FALSE(parse("1", AttributeType::kString).ok());
  EXPECT_EQ(*parse(R"([])", AttributeType::kStringList), AttributeValue::StringList({}));
  EXPECT_EQ(*parse(R"({"N":3})", AttributeType::kNumber), AttributeValue::Number(3));
  EXPECT_FALSE(parse(R"({"S":"x"})", AttributeType::kNumber).ok());
  EXPECT_FALSE(parse(R"({"m":"x"})", AttributeType::kStringNumberMap).ok());
}

TEST(AttributeValue, CheckRejectsNonFiniteBuiltValues) {
  EXPECT_FALSE(CheckAttributeValue(AttributeValue::Number(NAN), "p").ok());
  EXPECT_FALSE(CheckAttributeValue(AttributeValue::StringNumberMap({{"a", INFINITY}}), "p").ok());
  EXPECT_TRUE(CheckAttributeValue(AttributeValue::Number(-3), "p").ok());
}

}  // namespace
}  // namespace muster::matchmaking

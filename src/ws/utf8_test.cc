#include "ws/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace muster::ws {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

TEST(Utf8Test, AcceptsValidTextOfEveryLength) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("hello, world: long enough to take the eight-byte path"));
  EXPECT_TRUE(IsValidUtf8("\xc2\x80"));               // U+0080
  EXPECT_TRUE(IsValidUtf8("\xdf\xbf"));               // U+07FF
  EXPECT_TRUE(IsValidUtf8("\xe0\xa0\x80"));           // U+0800
  EXPECT_TRUE(IsValidUtf8("\xed\x9f\xbf"));           // U+D7FF, just below the surrogates
  EXPECT_TRUE(IsValidUtf8("\xee\x80\x80"));           // U+E000, just above them
  EXPECT_TRUE(IsValidUtf8("\xef\xbf\xbf"));           // U+FFFF
  EXPECT_TRUE(IsValidUtf8("\xf0\x90\x80\x80"));       // U+10000
  EXPECT_TRUE(IsValidUtf8("\xf4\x8f\xbf\xbf"));       // U+10FFFF
  EXPECT_TRUE(IsValidUtf8("Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!"));
  EXPECT_TRUE(IsValidUtf8("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"));  // κόσμε
}

TEST(Utf8Test, RefusesEveryKindOfInvalidSequence) {
  EXPECT_FALSE(IsValidUtf8(Bytes({0x80})));                    // a lone continuation byte
  EXPECT_FALSE(IsValidUtf8(Bytes({0xbf})));
  EXPECT_FALSE(IsValidUtf8(Bytes({0xc0, 0xaf})));              // overlong '/'
  EXPECT_FALSE(IsValidUtf8(Bytes({0xc1, 0xbf})));              // overlong
  EXPECT_FALSE(IsValidUtf8(Bytes({0xe0, 0x80, 0xaf})));        // overlong three bytes
  EXPECT_FALSE(IsValidUtf8(Bytes({0xe0, 0x9f, 0xbf})));
  EXPECT_FALSE(IsValidUtf8(Bytes({0xf0, 0x80, 0x80, 0xaf})));  // overlong four bytes
  EXPECT_FALSE(IsValidUtf8(Bytes({0xf0, 0x8f, 0xbf, 0xbf})));
  EXPECT_FALSE(IsValidUtf8(Bytes({0xed, 0xa0, 0x80})));        // U+D800
  EXPECT_FALSE(IsValidUtf8(Bytes({0xed, 0xbf, 0xbf})));        // U+DFFF
  EXPECT_FALSE(IsValidUtf8(Bytes({0xf4, 0x90, 0x80, 0x80})));  // U+110000
  EXPECT_FALSE(IsValidUtf8(Bytes({0xf5, 0x80, 0x80, 0x80})));
  EXPECT_FALSE(IsValidUtf8(Bytes({0xfe})));
  EXPECT_FALSE(IsValidUtf8(Bytes({0xff})));
  EXPECT_FALSE(IsValidUtf8(Bytes({0xc2, 0x41})));              // a lead without its tail
  EXPECT_FALSE(IsValidUtf8(Bytes({0xe1, 0x80, 0x41})));
  EXPECT_FALSE(IsValidUtf8(Bytes({0xc2})));                    // ends inside a character
  EXPECT_FALSE(IsValidUtf8(Bytes({0xf0, 0x90, 0x80})));
  EXPECT_FALSE(IsValidUtf8(std::string("abcdefghijklmnop") + Bytes({0x80})));  // after the fast path
}

TEST(Utf8Test, AValidTextSplitAtAnyByteIsValidAndCompleteOnlyAtTheEnd) {
  const std::string text = "a\xc2\xb5\xe2\x82\xac\xf0\x9f\x98\x80z";  // a µ € 😀 z
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    Utf8Validator v;
    ASSERT_TRUE(v.Feed(text.substr(0, cut))) << cut;
    ASSERT_TRUE(v.Feed(text.substr(cut))) << cut;
    EXPECT_TRUE(v.Complete()) << cut;
  }
  Utf8Validator v;
  ASSERT_TRUE(v.Feed("\xf0\x9f"));
  EXPECT_FALSE(v.Complete());
  EXPECT_FALSE(v.Failed());
}

TEST(Utf8Test, FailsAtTheFirstByteThatCannotContinueValidText) {
  // A surrogate's second byte already decides it: the third need not arrive.
  Utf8Validator v;
  ASSERT_TRUE(v.Feed("ok\xed"));
  EXPECT_FALSE(v.Feed("\xa0"));
  EXPECT_TRUE(v.Failed());
  EXPECT_FALSE(v.Feed("a"));  // and stays failed
  Utf8Validator w;
  EXPECT_FALSE(w.Feed("\xf4\x90"));  // above U+10FFFF after two bytes
}

}  // namespace
}  // namespace muster::ws

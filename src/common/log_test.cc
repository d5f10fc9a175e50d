#include "common/log.h"

#include <gtest/gtest.h>

namespace muster::log {
namespace {

TEST(LogSanitize, ControlCharactersCannotForgeALine) {
  std::string forged = "pID x\n2026-12-05T05:59:59.000Z INFO server socket: process forged connected";
  std::string out = Sanitize(forged);
  EXPECT_EQ(out.find('\n'), std::string::npos);
  EXPECT_NE(out.find("x\\x0a2026"), std::string::npos) << out;
  EXPECT_EQ(Sanitize(std::string("a\rb\0c\x7f", 6)), "a\\x0db\\x00c\\x7f");
  EXPECT_EQ(Sanitize("plain text, UTF-8 \xc3\xa9 kept"), "plain text, UTF-8 \xc3\xa9 kept");
}

TEST(LogSanitize, LongLinesAreCut) {
  std::string out = Sanitize(std::string(10'000, 'a'));
  EXPECT_LT(out.size(), kMaxLineBytes + 40);
  EXPECT_NE(out.find("(7952 more bytes)"), std::string::npos) << out.substr(kMaxLineBytes);
}

}  // namespace
}  // namespace muster::log

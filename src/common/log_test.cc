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
  // A cut never splits a UTF-8 sequence.
  for (std::size_t pad : {kMaxLineBytes - 1, kMaxLineBytes - 2, kMaxLineBytes - 3}) {
    std::string line = std::string(pad, 'a');
    for (int i = 0; i < 10; ++i) line += "\xe2\x82\xac";  // €
    std::string cut = Sanitize(line);
    std::size_t dots = cut.find("... (");
    ASSERT_NE(dots, std::string::npos);
    std::string kept = cut.substr(0, dots);
    EXPECT_EQ((kept.size() - pad) % 3, 0u) << pad;  // whole euro signs only
    EXPECT_NE(cut.find("(" + std::to_string(line.size() - kept.size()) + " more bytes)"), std::string::npos) << cut.substr(dots);
  }
}

}  // namespace
}  // namespace muster::log

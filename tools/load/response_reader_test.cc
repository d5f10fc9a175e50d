#include "tools/load/response_reader.h"

#include <gtest/gtest.h>

#include <string>

namespace muster::load {
namespace {

using State = ResponseReader::State;

TEST(ResponseReaderTest, ReadsResponsesSplitAnywhereAndBackToBack) {
  const std::string one =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ncontent-length: 5\r\n"
      "X-Muster-Ticket-Status: SEARCHING\r\n\r\nhello";
  const std::string two = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  const std::string wire = one + two;
  for (std::size_t split = 0; split <= wire.size(); ++split) {
    ResponseReader r;
    Response out;
    r.Append(wire.data(), split);
    State st = r.Next(&out);
    if (split < one.size()) {
      ASSERT_EQ(st, State::kNeedMore) << split;
      r.Append(wire.data() + split, wire.size() - split);
      ASSERT_EQ(r.Next(&out), State::kDone);
    } else {
      ASSERT_EQ(st, State::kDone) << split;
      r.Append(wire.data() + split, wire.size() - split);
    }
    EXPECT_EQ(out.status, 200);
    EXPECT_EQ(out.body, "hello");
    EXPECT_EQ(out.ticket_status, "SEARCHING");
    EXPECT_FALSE(out.close);
    ASSERT_EQ(r.Next(&out), State::kDone) << split;
    EXPECT_EQ(out.status, 503);
    EXPECT_EQ(out.body, "");
    EXPECT_TRUE(out.close);
    EXPECT_EQ(r.buffered(), 0u);
    EXPECT_EQ(r.Next(&out), State::kNeedMore);
  }
}

TEST(ResponseReaderTest, RefusesWhatItCannotRead) {
  struct Case {
    std::string wire;
    std::string error;
  };
  for (const Case& c : std::vector<Case>{
           {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "chunked"},
           {"HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n", "Content-Length"},
           {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "Content-Length"},
           {"HTTP/1.1 200 OK\r\n\r\n", "without Content-Length"},
           {"HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n", "status code"},
           {"SMTP ready\r\n\r\n", "status line"},
           {"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "header line"},
           {"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n", "over"},
       }) {
    ResponseReader r;
    Response out;
    r.Append(c.wire.data(), c.wire.size());
    EXPECT_EQ(r.Next(&out), State::kError) << c.wire;
    EXPECT_NE(r.error().find(c.error), std::string::npos) << r.error();
    EXPECT_EQ(r.Next(&out), State::kError);  // stays failed
  }
}

TEST(ResponseReaderTest, InterimAnswersBodilessStatusesAndConnectionLists) {
  const std::string wire =
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive, close\r\n\r\nok";
  ResponseReader r;
  Response out;
  r.Append(wire.data(), wire.size());
  ASSERT_EQ(r.Next(&out), State::kDone);
  EXPECT_EQ(out.status, 304);  // the 100 was skipped; the 304 has no body despite its length
  EXPECT_EQ(out.body, "");
  ASSERT_EQ(r.Next(&out), State::kDone);
  EXPECT_EQ(out.status, 200);
  EXPECT_EQ(out.body, "ok");
  EXPECT_TRUE(out.close);
  const std::string bad = "HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n";
  ResponseReader r2;
  r2.Append(bad.data(), bad.size());
  EXPECT_EQ(r2.Next(&out), State::kError);
}

TEST(ResponseReaderTest, AHeaderSectionThatNeverEndsIsAnError) {
  ResponseReader r;
  Response out;
  std::string line = "X-Filler: " + std::string(1000, 'a') + "\r\n";
  r.Append("HTTP/1.1 200 OK\r\n", 17);
  State st = State::kNeedMore;
  for (int i = 0; i < 100 && st == State::kNeedMore; ++i) {
    r.Append(line.data(), line.size());
    st = r.Next(&out);
  }
  EXPECT_EQ(st, State::kError);
  EXPECT_NE(r.error().find("header section"), std::string::npos);
}

}  // namespace
}  // namespace muster::load

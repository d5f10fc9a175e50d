#include "net/loop.h"

#include <boost/asio/io_context.hpp>

#include <exception>

#include "common/log.h"

namespace muster::net {

int RunLoop(boost::asio::io_context& ioc, const char* name) {
  int caught = 0;
  for (;;) {
    try {
      ioc.run();
      return caught;
    } catch (const std::exception& e) {
      MLOG(kError) << name << ": a handler threw: " << e.what() << "; the loop goes on";
    } catch (...) {
      MLOG(kError) << name << ": a handler threw an exception of unknown type; the loop goes on";
    }
    ++caught;
  }
}

}  // namespace muster::net

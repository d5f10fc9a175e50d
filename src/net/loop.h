#pragma once
// Running an event loop so that one bad handler cannot stop it.
//
// Thread safety: call RunLoop from the thread that is to run the loop (several threads may run
// one io_context, each through RunLoop).

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace muster::net {

// Runs `ioc` until it runs out of work or is stopped. An exception that escapes a completion
// handler is logged under `name` and the loop goes on (Asio allows run() to be called again after
// a handler threw; the other handlers are not affected). Returns the number of exceptions caught.
int RunLoop(boost::asio::io_context& ioc, const char* name);

}  // namespace muster::net

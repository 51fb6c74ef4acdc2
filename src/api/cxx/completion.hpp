// Adapters between the C++ API's completions (callbacks, futures) and the library's internal
// Completer.
#pragma once

#include <future>
#include <memory>
#include <system_error>

#include "peerdist/peerdist.hpp"

#include "core/completer.hpp"

namespace peerdist::cxx {

// A Completer that calls `done` with the operation's error code and bytes.
[[nodiscard]] inline api::Completer completer_for(Completion done) {
  return api::Completer([done = std::move(done)](const api::OpResult& result) {
    if (done) done(win32_error(result.status), result.bytes);
  });
}

// ERROR_IO_PENDING is the success of an asynchronous start.
[[nodiscard]] inline std::error_code started(DWORD code) noexcept {
  return code == ERROR_IO_PENDING ? std::error_code() : win32_error(code);
}

// Runs `start(callback)` and turns its completion (or its synchronous error) into a future.
template <typename Start>
[[nodiscard]] std::future<std::error_code> as_future(Start&& start) {
  auto promise = std::make_shared<std::promise<std::error_code>>();
  auto future = promise->get_future();
  const std::error_code error =
      start([promise](std::error_code e, std::size_t /*bytes*/) { promise->set_value(e); });
  if (error) promise->set_value(error);
  return future;
}

}  // namespace peerdist::cxx

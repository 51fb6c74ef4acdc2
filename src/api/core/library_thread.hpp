// The library's own threads (receiver, sender, reconnect watcher). They start with every
// signal blocked, so that the application's signals (SIGINT, SIGTERM, SIGCHLD...) are delivered
// to its own threads and never run a handler on ours, and they carry a name ("peerdist-recv")
// that shows in ps, top and gdb.
#pragma once

#include <functional>
#include <thread>

namespace peerdist::api {

// `name`: at most 15 characters (the kernel's limit).
[[nodiscard]] std::thread start_library_thread(const char* name, std::function<void()> body);

}  // namespace peerdist::api

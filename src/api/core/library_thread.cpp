#include "core/library_thread.hpp"

#include <pthread.h>
#include <signal.h>

#include <utility>

namespace peerdist::api {

std::thread start_library_thread(const char* name, std::function<void()> body) {
  // A new thread inherits the creating thread's signal mask: block everything around the
  // creation, then restore the caller's mask.
  sigset_t all;
  sigset_t previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  std::thread thread;
  try {
    thread = std::thread(std::move(body));
  } catch (...) {
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    throw;
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  // Named from here, so the name is there as soon as this returns.
  pthread_setname_np(thread.native_handle(), name);
  return thread;
}

}  // namespace peerdist::api

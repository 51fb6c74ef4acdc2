// Where the library finds peerdistd (docs/api.md, "Defaults").
#pragma once

#include <string>

namespace peerdist::api {

// PEERDIST_SOCKET if set and non-empty; else /run/peerdist/peerdistd.sock for root and
// $XDG_RUNTIME_DIR/peerdist/peerdistd.sock for other users. docs/api.md leaves open what a
// user without XDG_RUNTIME_DIR gets: /run/user/<uid>/..., where systemd puts that directory.
[[nodiscard]] std::string daemon_socket_path();

}  // namespace peerdist::api

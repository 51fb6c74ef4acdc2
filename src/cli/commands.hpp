// The subcommands of `peerdist`. Each add_*_command registers itself on the application and,
// when chosen on the command line, stores the function that runs it.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace peerdist::cli {

// Exit statuses of every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // bad input, I/O error, invalid content information
inline constexpr int kExitUsage = 2;    // bad command line

using Runner = std::function<int()>;

void add_hash_command(CLI::App& app, Runner& chosen);
void add_info_command(CLI::App& app, Runner& chosen);
// publish, unpublish, ci: through peerdistd.
void add_service_commands(CLI::App& app, Runner& chosen);
void add_status_command(CLI::App& app, Runner& chosen);
// cache [--json], cache clear: the data cache, through peerdistd.
void add_cache_command(CLI::App& app, Runner& chosen);
// fetch CI -o FILE [--origin FILE]: a content by its CI, through peerdistd (cache, peers).
void add_fetch_command(CLI::App& app, Runner& chosen);
// get URL [-o FILE]: an HTTP download through BranchCache (MS-PCCRTP), peers first.
void add_get_command(CLI::App& app, Runner& chosen);
// serve DIR [--listen ADDR:PORT]: an HTTP origin that gives BranchCache clients content
// information (MS-PCCRTP).
void add_serve_command(CLI::App& app, Runner& chosen);

}  // namespace peerdist::cli

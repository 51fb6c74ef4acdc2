// peerdist: the administrator's command line for content information, publication, retrieval,
// the cache and keys.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <iostream>

#include "commands.hpp"

int main(int argc, char** argv) {
  using namespace peerdist::cli;
  CLI::App app{"peerdist: BranchCache (Peer Distribution) for Linux"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("peerdist ") + PEERDIST_PROGRAM_VERSION);

  Runner chosen;
  add_hash_command(app, chosen);
  add_info_command(app, chosen);
  add_service_commands(app, chosen);
  add_status_command(app, chosen);
  add_cache_command(app, chosen);
  add_fetch_command(app, chosen);
  add_serve_command(app, chosen);
  add_get_command(app, chosen);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  try {
    return chosen ? chosen() : kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "peerdist: " << e.what() << '\n';
    return kExitFailure;
  }
}

// The commands that talk to peerdistd through the PeerDist API (the C++ API over peerdist.h):
// publish, unpublish, ci. `status` is in cmd_status.cpp.
#include <unistd.h>

#include <iostream>
#include <memory>

#include "commands.hpp"
#include "io.hpp"
#include "peerdist/peerdist.hpp"
#include "progress.hpp"
#include "range_argument.hpp"

namespace peerdist::cli {
namespace {

int fail(const std::string& command, const std::string& message) {
  std::cerr << "peerdist " << command << ": " << message << '\n';
  return kExitFailure;
}

// What to tell the user for an API error, with the Win32 name and a hint where one helps.
std::string describe(const std::error_code& error) {
  std::string text = error.message();
  switch (error.value()) {
    case PEERDIST_ERROR_SERVICE_UNAVAILABLE:
      text += " (is peerdistd running? PEERDIST_SOCKET names its socket)";
      break;
    case ERROR_ACCESS_DISABLED_BY_POLICY:
      text += " (peerdistd is configured with enabled = false)";
      break;
    default: break;
  }
  return text;
}

Expected<Instance, std::string> start_instance() {
  auto instance = Instance::start();
  if (!instance) return Unexpected(describe(instance.error()));
  return std::move(*instance);
}

struct PublishOptionsCli {
  std::string input;
  std::string id;
  int ci_version = 0;  // 0: the service's configured versions
  bool progress = false;
  bool no_progress = false;
};

int run_publish(const PublishOptionsCli& o) {
  auto in = InputFile::open(o.input);  // a clear error for a missing file before connecting
  if (!in) return fail("publish", in.error());
  auto instance = start_instance();
  if (!instance) return fail("publish", instance.error());
  // The CLI exits right after publishing: without PERSISTENT, PeerDistShutdown would remove the
  // publication at once (docs/api.md).
  PublishOptions options;
  options.persistent = true;
  options.content_info_v1 = o.ci_version == 1;
  options.content_info_v2 = o.ci_version == 2;
  options.content_length = in->size();
  const auto mode = o.no_progress ? Progress::Mode::never
                    : o.progress  ? Progress::Mode::always
                                  : Progress::Mode::automatic;
  Progress progress("publishing " + o.input, in->size(), mode);
  const auto error = instance->publish_file(
      std::filesystem::path(o.input), as_bytes(o.id), options,
      [&progress](std::uint64_t done, std::uint64_t /*total*/) { progress.update(done); });
  progress.finish();
  if (error) return fail("publish", o.input + ": " + describe(error));
  std::cerr << "published " << o.input << " (" << in->size() << " bytes) as '" << o.id << "'\n";
  return kExitOk;
}

struct UnpublishOptions {
  std::string id;
};

int run_unpublish(const UnpublishOptions& o) {
  auto instance = start_instance();
  if (!instance) return fail("unpublish", instance.error());
  if (const auto error = instance->unpublish(as_bytes(o.id))) {
    return fail("unpublish", describe(error));
  }
  return kExitOk;
}

struct CiOptions {
  std::string id;
  std::string output = "-";
  std::string range;
  int ci_version = 0;
};

int run_ci(const CiOptions& o) {
  ContentRange range;
  if (!o.range.empty()) {
    auto parsed = parse_range(o.range);
    if (!parsed) return fail("ci", parsed.error());
    range.offset = parsed->start;
    // "START-" is offset with length 0: to the end (docs/api.md, Q10).
    range.length = parsed->end_exclusive ? *parsed->end_exclusive - parsed->start : 0;
  }
  if (o.output == "-" && is_terminal(STDOUT_FILENO)) {
    return fail("ci", "content information is binary: not writing it to a terminal. Use -o FILE, "
                      "or pipe it (e.g. into 'peerdist info -').");
  }
  auto instance = start_instance();
  if (!instance) return fail("ci", instance.error());
  std::optional<VersionRange> versions;
  if (o.ci_version != 0) {
    versions = VersionRange{static_cast<std::uint32_t>(o.ci_version),
                            static_cast<std::uint32_t>(o.ci_version)};
  }
  auto reader = instance->open_content_information(as_bytes(o.id), range, versions);
  if (!reader) {
    if (reader.error().value() == ERROR_NOT_FOUND) {
      return fail("ci", "'" + o.id + "' is not published (by this user)");
    }
    return fail("ci", describe(reader.error()));
  }
  auto bytes = reader->read_all();
  if (!bytes) return fail("ci", describe(bytes.error()));
  auto written = write_all(o.output, *bytes);
  if (!written) return fail("ci", written.error());
  return kExitOk;
}

}  // namespace

void add_service_commands(CLI::App& app, Runner& chosen) {
  {
    auto options = std::make_shared<PublishOptionsCli>();
    auto* cmd = app.add_subcommand(
        "publish", "Publish a file through peerdistd (kept until 'peerdist unpublish')");
    cmd->add_option("FILE", options->input, "the content")->required();
    cmd->add_option("--id", options->id, "content identifier (any text, unique per user)")
        ->required();
    cmd->add_option("--ci-version", options->ci_version,
                    "produce only this content information version (default: the service's)")
        ->check(CLI::IsMember({1, 2}));
    auto* on = cmd->add_flag("--progress", options->progress, "always show progress on stderr");
    auto* off = cmd->add_flag("--no-progress", options->no_progress, "never show progress");
    on->excludes(off);
    cmd->callback([options, &chosen] { chosen = [options] { return run_publish(*options); }; });
  }
  {
    auto options = std::make_shared<UnpublishOptions>();
    auto* cmd = app.add_subcommand("unpublish", "Remove a publication");
    cmd->add_option("--id", options->id, "content identifier")->required();
    cmd->callback([options, &chosen] { chosen = [options] { return run_unpublish(*options); }; });
  }
  {
    auto options = std::make_shared<CiOptions>();
    auto* cmd = app.add_subcommand("ci", "Retrieve the content information of a publication");
    cmd->add_option("--id", options->id, "content identifier")->required();
    cmd->add_option("-o,--output", options->output,
                    "where to write the content information ('-' = stdout)")
        ->capture_default_str();
    cmd->add_option("--range", options->range,
                    "only the byte range START-END (END inclusive, as in HTTP) or START-");
    cmd->add_option("--ci-version", options->ci_version, "content information version")
        ->check(CLI::IsMember({1, 2}));
    cmd->callback([options, &chosen] { chosen = [options] { return run_ci(*options); }; });
  }
}

}  // namespace peerdist::cli

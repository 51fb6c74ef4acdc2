// peerdist hash: content information for a file (or stdin), as a content server would publish
// it.
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include "commands.hpp"
#include "io.hpp"
#include "key_options.hpp"
#include "peerdist/pccrc/builder.hpp"
#include "peerdist/pccrc/codec.hpp"
#include "peerdist/pccrc/range.hpp"
#include "progress.hpp"
#include "range_argument.hpp"

namespace peerdist::cli {
namespace {

// A regular file is hashed from read-only mappings of this many bytes, lent to the builder
// (add_borrowed), which hashes them in place and unmaps each once its batches are done. That
// saves read()'s copy into the builder's buffers, most of the system time (~0.25 s per GiB).
// Mapped pages count in the resident set (page-cache and tmpfs pages alike), so the window
// bounds the peak RSS: the builder holds at most kMaxBorrowedBytes of windows, plus the one
// being mapped, whatever the file size. 8 MiB is two 4 MiB batches with 2 cores, a few
// hundred mmap() calls per GiB (nothing next to the hashing), and measured as fast as 16 MiB.
constexpr std::size_t kMapWindowBytes = std::size_t{8} << 20U;
static_assert(pccrc::ContentInformationBuilder::kMaxBorrowedBytes + kMapWindowBytes <=
                  std::size_t{32} << 20U,
              "mapped windows must leave room under the 64 MiB peak RSS target");
// Map windows with MAP_POPULATE: their pages are faulted in at once, by the thread that maps
// (while the workers hash the previous windows), instead of one fault per 64 KiB
// (fault-around) on the hashing workers.
constexpr bool kPopulateWindows = true;

struct HashOptions {
  std::string input;
  int ci_version = 1;
  std::string hash = "sha256";
  KeyOptions key;
  std::string range;
  std::string output = "-";
  unsigned threads = 0;
  bool progress = false;
  bool no_progress = false;
};

Expected<pccrc::HashScheme, std::string> scheme_for(const HashOptions& o, bool hash_given) {
  if (o.ci_version == 2) {
    if (hash_given && o.hash != "sha512") {
      return Unexpected(std::string("--hash: content information V2 always uses SHA-512 "
                                    "(truncated to 32 bytes)"));
    }
    return pccrc::HashScheme::v2();
  }
  static const std::map<std::string, crypto::HashAlgorithm> kHashes = {
      {"sha256", crypto::HashAlgorithm::sha256},
      {"sha384", crypto::HashAlgorithm::sha384},
      {"sha512", crypto::HashAlgorithm::sha512}};
  return pccrc::HashScheme{pccrc::Version::v1, kHashes.at(o.hash)};
}

int fail(const std::string& message) {
  std::cerr << "peerdist hash: " << message << '\n';
  return kExitFailure;
}

// Feeds the file to the builder in mapped windows, from the start; returns how far it got: the
// file's size, or where mmap() failed.
std::uint64_t hash_mapped(const InputFile& in, pccrc::ContentInformationBuilder& builder,
                          Progress& progress) {
  std::uint64_t at = 0;
  while (at < in.size()) {
    const auto n =
        static_cast<std::size_t>(std::min<std::uint64_t>(kMapWindowBytes, in.size() - at));
    auto window = in.map(at, n, kPopulateWindows);
    if (!window) break;
    // Unmapped on this thread, inside a later builder call, once no batch reads the window.
    builder.add_borrowed(*window, [w = *window] { InputFile::unmap(w); });
    at += n;
    progress.update(builder.bytes_added());
  }
  return at;
}

int run_hash(const HashOptions& o, bool hash_given) {
  auto scheme = scheme_for(o, hash_given);
  if (!scheme) return fail(scheme.error());
  std::optional<RangeArgument> range;
  if (!o.range.empty()) {
    auto parsed = parse_range(o.range);
    if (!parsed) return fail(parsed.error());
    range = *parsed;
  }
  if (o.output == "-" && is_terminal(STDOUT_FILENO)) {
    return fail("content information is binary: not writing it to a terminal. Use -o FILE, or "
                "pipe it (e.g. into 'peerdist info -').");
  }
  auto in = InputFile::open(o.input);
  if (!in) return fail(in.error());
  auto secret = o.key.resolve();
  if (!secret) return fail(secret.error());

  pccrc::ContentInformationBuilder builder(*secret, pccrc::BuildOptions{*scheme, o.threads, {}});
  const auto mode = o.no_progress ? Progress::Mode::never
                    : o.progress  ? Progress::Mode::always
                                  : Progress::Mode::automatic;
  Progress progress("hashing " + (o.input == "-" ? std::string("stdin") : o.input), in->size(), mode);
  if (in->mappable()) {
    exit_on_sigbus("peerdist hash: " + o.input + " shrank while being hashed", kExitFailure);
    const std::uint64_t mapped = hash_mapped(*in, builder, progress);
    // Whatever was not mapped (mmap failed, or the file grew since it was opened) is read.
    auto seeked = in->seek(mapped);
    if (!seeked) return fail(seeked.error());
  }
  for (;;) {
    auto space = builder.prepare();
    auto n = in->read(space);
    if (!n) return fail(n.error());
    if (*n == 0) break;
    builder.commit(*n);
    progress.update(builder.bytes_added());
  }
  progress.finish();

  auto ci = builder.finish();
  if (!ci) return fail(ci.error().message());
  if (range) {
    const std::uint64_t length = ci->range.end;
    const std::uint64_t end = range->end_exclusive.value_or(length);
    if (range->start >= length || end > length) {
      return fail("--range " + o.range + " is outside the content (" + std::to_string(length) +
                  " bytes)");
    }
    auto sliced = pccrc::slice(*ci, {range->start, end});
    if (!sliced) return fail("--range " + o.range + ": " + sliced.error().message());
    ci = std::move(*sliced);
  }
  auto written = write_all(o.output, pccrc::encode(*ci));
  if (!written) return fail(written.error());
  return kExitOk;
}

}  // namespace

void add_hash_command(CLI::App& app, Runner& chosen) {
  auto options = std::make_shared<HashOptions>();
  auto* cmd = app.add_subcommand("hash", "Compute the content information of a file");
  cmd->add_option("FILE", options->input, "the content ('-' for stdin)")->required();
  cmd->add_option("--ci-version", options->ci_version, "content information version")
      ->check(CLI::IsMember({1, 2}))
      ->capture_default_str();
  auto* hash = cmd->add_option("--hash", options->hash, "V1 hash algorithm")
                   ->check(CLI::IsMember({"sha256", "sha384", "sha512"}))
                   ->capture_default_str();
  options->key.add_to(*cmd);
  cmd->add_option("--range", options->range,
                  "only the byte range START-END (END inclusive, as in HTTP) or START-");
  cmd->add_option("-o,--output", options->output, "where to write the content information ('-' = stdout)")
      ->capture_default_str();
  cmd->add_option("--threads", options->threads, "hashing threads (0 = one per core)")
      ->capture_default_str();
  auto* on = cmd->add_flag("--progress", options->progress, "always show progress on stderr");
  auto* off = cmd->add_flag("--no-progress", options->no_progress, "never show progress");
  on->excludes(off);
  cmd->callback([options, hash, &chosen] {
    const bool hash_given = hash->count() > 0;
    chosen = [options, hash_given] { return run_hash(*options, hash_given); };
  });
}

}  // namespace peerdist::cli

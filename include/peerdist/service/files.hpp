// The few file-system operations peerdistd needs beyond std::filesystem: directories created
// with a given mode, and small files replaced atomically and durably (the server secret).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "peerdist/util/expected.hpp"

namespace peerdist::service {

// Creates `dir` and any missing parents. Directories it creates get `mode` (parents: 0755);
// an existing one is left as it is. Errors name the path.
[[nodiscard]] Expected<void, std::string> ensure_directory(const std::filesystem::path& dir,
                                                           mode_t mode);

// Writes `bytes` to a temporary file beside `file` with `mode`, flushes it, renames it over
// `file` and flushes the directory: after a crash the file is the old one or the new one,
// never a mix or empty.
[[nodiscard]] Expected<void, std::string> write_file_atomically(const std::filesystem::path& file,
                                                                std::span<const std::uint8_t> bytes,
                                                                mode_t mode);

// Reads a whole small file; refuses one larger than `max_size`.
[[nodiscard]] Expected<std::vector<std::uint8_t>, std::string> read_small_file(
    const std::filesystem::path& file, std::uintmax_t max_size);

}  // namespace peerdist::service

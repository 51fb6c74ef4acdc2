// Runs a program to completion with given standard input and captures what it prints: how the
// CLI and daemon tests drive the real binaries.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace peerdist::test {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal or not started
  std::string out;
  std::string err;
};

// Kills the program (and fails) if it runs longer than `timeout`.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& stdin_data = {},
                          std::chrono::seconds timeout = std::chrono::seconds(120));

}  // namespace peerdist::test

// Reader for the shared test vectors (format `pccr-vector/1`, see shared/vectors/README.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace peerdist::test {

class VectorFile {
 public:
  // Loads a vector by path relative to the vectors directory, e.g. "ipxe-iis85-v1.txt".
  // Fails the current test (ADD_FAILURE) and returns an empty file when it cannot be read.
  static VectorFile load(const std::string& relative_path);
  static std::filesystem::path directory();

  [[nodiscard]] bool has(const std::string& key) const { return values_.contains(key); }
  // The raw text of a key; fails the test if missing.
  [[nodiscard]] std::string text(const std::string& key) const;
  [[nodiscard]] std::uint64_t number(const std::string& key) const;  // decimal or 0x-hex
  [[nodiscard]] std::vector<std::uint8_t> bytes(const std::string& key) const;  // *_hex keys
  [[nodiscard]] const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::map<std::string, std::string> values_;
};

}  // namespace peerdist::test

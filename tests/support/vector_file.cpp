#include "support/vector_file.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "peerdist/util/hex.hpp"

namespace peerdist::test {

std::filesystem::path VectorFile::directory() { return PEERDIST_VECTORS_DIR; }

VectorFile VectorFile::load(const std::string& relative_path) {
  VectorFile file;
  file.name_ = relative_path;
  std::ifstream in(directory() / relative_path);
  if (!in) {
    ADD_FAILURE() << "cannot open vector " << (directory() / relative_path);
    return file;
  }
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.front() == '#') continue;
    const auto colon = line.find(": ");
    if (colon == std::string::npos) continue;
    file.values_[line.substr(0, colon)] = line.substr(colon + 2);
  }
  return file;
}

std::string VectorFile::text(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) {
    ADD_FAILURE() << name_ << ": no key " << key;
    return {};
  }
  return it->second;
}

std::uint64_t VectorFile::number(const std::string& key) const {
  const std::string value = text(key);
  try {
    return std::stoull(value, nullptr, value.starts_with("0x") ? 16 : 10);
  } catch (const std::exception&) {
    ADD_FAILURE() << name_ << ": " << key << " is not a number: " << value;
    return 0;
  }
}

std::vector<std::uint8_t> VectorFile::bytes(const std::string& key) const {
  auto decoded = util::from_hex(text(key));
  if (!decoded) {
    ADD_FAILURE() << name_ << ": " << key << " is not hex";
    return {};
  }
  return *decoded;
}

}  // namespace peerdist::test

#include "peerdist/util/decode_error.hpp"

namespace peerdist::util {

std::string DecodeError::message() const {
  return field + " at offset " + std::to_string(offset) + ": " + reason;
}

}  // namespace peerdist::util

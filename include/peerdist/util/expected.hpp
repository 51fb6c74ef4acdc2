// A minimal std::expected for C++20 (GCC 12 and clang 14 ship no <expected>).
// Only what the code base needs; swap for std::expected once the toolchain moves to C++23.
#pragma once

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

namespace peerdist {

template <class E>
class Unexpected {
 public:
  explicit Unexpected(E error) : error_(std::move(error)) {}
  [[nodiscard]] const E& error() const& { return error_; }
  [[nodiscard]] E&& error() && { return std::move(error_); }

 private:
  E error_;
};

template <class E>
Unexpected(E) -> Unexpected<E>;

// Holds either a value or an error. Accessing the wrong alternative is a programming error
// (asserted in debug builds, undefined in release builds, as with std::expected).
template <class T, class E>
class [[nodiscard]] Expected {
 public:
  using value_type = T;
  using error_type = E;

  // NOLINTBEGIN(google-explicit-constructor): implicit like std::expected.
  Expected(T value) : storage_(std::in_place_index<0>, std::move(value)) {}
  template <class G>
    requires std::is_constructible_v<E, G>
  Expected(Unexpected<G> error) : storage_(std::in_place_index<1>, std::move(error).error()) {}
  // NOLINTEND(google-explicit-constructor)

  [[nodiscard]] bool has_value() const noexcept { return storage_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  [[nodiscard]] T& value() & { assert(has_value()); return std::get<0>(storage_); }
  [[nodiscard]] const T& value() const& { assert(has_value()); return std::get<0>(storage_); }
  [[nodiscard]] T&& value() && { assert(has_value()); return std::get<0>(std::move(storage_)); }
  [[nodiscard]] const E& error() const& { assert(!has_value()); return std::get<1>(storage_); }
  [[nodiscard]] E&& error() && { assert(!has_value()); return std::get<1>(std::move(storage_)); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, E> storage_;
};

// Expected<void, E>: success carries nothing.
template <class E>
class [[nodiscard]] Expected<void, E> {
 public:
  Expected() = default;
  template <class G>
    requires std::is_constructible_v<E, G>
  Expected(Unexpected<G> error)  // NOLINT(google-explicit-constructor)
      : error_(std::move(error).error()), failed_(true) {}

  [[nodiscard]] bool has_value() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return has_value(); }
  [[nodiscard]] const E& error() const& { assert(failed_); return error_; }

 private:
  E error_{};
  bool failed_ = false;
};

}  // namespace peerdist

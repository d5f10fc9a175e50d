#pragma once
// Errors as values. An Error carries a code that maps to an HTTP status and a wire error type,
// and a human message. Result<T> holds either a T or an Error; Status is Result<void>.
//
// Thread safety: plain values, no shared state.

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace muster {

enum class ErrorCode {
  kInvalidArgument,   // 400 InvalidRequestException / InvalidParameterException
  kUnauthorized,      // 401/403 UnauthorizedException / NotAuthorizedException
  kForbidden,         // 403
  kNotFound,          // 404 NotFoundException / ResourceNotFoundException
  kConflict,          // 409 ConflictException (also optimistic-concurrency failures)
  kLimitExceeded,     // 429/400 LimitExceededException
  kTooLarge,          // 413
  kUnavailable,       // 503
  kInternal,          // 500 InternalServiceException
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  static Error InvalidArgument(std::string m) { return {ErrorCode::kInvalidArgument, std::move(m)}; }
  static Error Unauthorized(std::string m) { return {ErrorCode::kUnauthorized, std::move(m)}; }
  static Error Forbidden(std::string m) { return {ErrorCode::kForbidden, std::move(m)}; }
  static Error NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
  static Error Conflict(std::string m) { return {ErrorCode::kConflict, std::move(m)}; }
  static Error LimitExceeded(std::string m) { return {ErrorCode::kLimitExceeded, std::move(m)}; }
  static Error TooLarge(std::string m) { return {ErrorCode::kTooLarge, std::move(m)}; }
  static Error Unavailable(std::string m) { return {ErrorCode::kUnavailable, std::move(m)}; }
  static Error Internal(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }
};

// HTTP status for an error code.
int HttpStatus(ErrorCode code);
// Short machine name ("InvalidArgument", "NotFound", ...), used in native JSON errors.
const char* ErrorCodeName(ErrorCode code);

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}            // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}        // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  // The value, or `fallback` when this holds an error.
  T value_or(T fallback) && { return ok() ? std::get<0>(std::move(v_)) : std::move(fallback); }
  const Error& error() const { assert(!ok()); return std::get<1>(v_); }
  Error&& take_error() { assert(!ok()); return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : err_(std::move(error)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { assert(!ok_); return err_; }
  Error&& take_error() { assert(!ok_); return std::move(err_); }

 private:
  Error err_;
  bool ok_ = true;
};

using Status = Result<void>;
inline Status OkStatus() { return {}; }

}  // namespace muster

// Propagates an error from an expression yielding Result<...>.
#define MUSTER_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    auto _st = (expr);                               \
    if (!_st.ok()) return _st.take_error();          \
  } while (0)

#define MUSTER_CONCAT_INNER(a, b) a##b
#define MUSTER_CONCAT(a, b) MUSTER_CONCAT_INNER(a, b)
#define MUSTER_ASSIGN_OR_RETURN(lhs, expr)                                  \
  auto MUSTER_CONCAT(_res_, __LINE__) = (expr);                             \
  if (!MUSTER_CONCAT(_res_, __LINE__).ok())                                 \
    return MUSTER_CONCAT(_res_, __LINE__).take_error();                     \
  lhs = std::move(MUSTER_CONCAT(_res_, __LINE__)).value()

// Internal. Error category, thread-local last error.
#include "queuednet/error.h"

#include "error_record.h"
#include "log.h"

namespace queuednet {
namespace {

class Category final : public std::error_category {
 public:
  const char *name() const noexcept override { return "queuednet"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::ok: return "no error";
      case errc::datagram_too_large: return "datagram too large";
      case errc::host_not_found: return "host not found";
      case errc::connect_timeout: return "connect timed out";
      case errc::output_buffer_full: return "output buffer full";
      case errc::slow_consumer: return "slow consumer";
      case errc::connection_closed: return "connection closed";
      case errc::wrong_connection_kind: return "wrong connection kind";
      case errc::already_added: return "already added";
      case errc::not_found: return "not found";
      case errc::bad_frame: return "bad frame";
      case errc::shut_down: return "shut down";
      case errc::invalid_argument: return "invalid argument";
    }
    return "unknown queuednet error";
  }
};

thread_local Error t_last_error;

}  // namespace

const std::error_category &queuednet_category() noexcept {
  static const Category category;
  return category;
}

std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), queuednet_category()};
}

const Error &last_error() noexcept { return t_last_error; }

void clear_last_error() noexcept {
  t_last_error.code.clear();
  t_last_error.message.clear();
}

namespace detail {

void set_last_error(std::error_code code, std::string message) {
  log(LogLevel::warning, message + " (" + code.message() + ")");
  t_last_error.code = code;
  t_last_error.message = std::move(message);
}

void set_last_error_quiet(std::error_code code, std::string message) {
  t_last_error.code = code;
  t_last_error.message = std::move(message);
}

}  // namespace detail
}  // namespace queuednet

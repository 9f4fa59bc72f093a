// Internal. See component_threads.h.
#include "component_threads.h"

#include <string>

#include "error_record.h"
#include "log.h"

namespace queuednet::detail {

void apply_component_threads(Engine &engine, int num_threads, const char *component) {
  if (num_threads <= 0 || engine.num_threads() == num_threads) return;
  if (!engine.polled()) {
    log(LogLevel::info, std::string(component) + "(manager, " + std::to_string(num_threads) +
                            "): served by the manager's " + std::to_string(engine.num_threads()) + " worker(s)");
    return;
  }
  std::string why;
  if (engine.request_threads(num_threads, &why)) {
    log(LogLevel::info, std::string(component) + "(manager, " + std::to_string(num_threads) +
                            "): the manager now runs " + std::to_string(num_threads) + " worker thread(s)");
    return;
  }
  set_last_error(make_error_code(errc::invalid_argument),
                 std::string(component) + "(manager, " + std::to_string(num_threads) + "): not applied, " + why +
                     "; it stays in polled mode (pass the thread count to the manager's constructor)");
}

}  // namespace queuednet::detail

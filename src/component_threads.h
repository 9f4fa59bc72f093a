// Internal. What a reader's, listener's or writer's num_threads means (see connection_reader.h):
// on a polled manager not yet started it switches the manager to that many workers; otherwise
// the request is logged and recorded in last_error(), never silently ignored.
#pragma once

#include "engine/engine.h"

namespace queuednet::detail {

void apply_component_threads(Engine &engine, int num_threads, const char *component);

}  // namespace queuednet::detail

// Internal. HandOffQueue<T>: the moodycamel::ConcurrentQueue every queue in the engine uses,
// with its element hand-off made visible to ThreadSanitizer.
//
// The queue orders an element's construction in a slot before its move out of the slot, and
// the move out and destruction before the slot's reuse, partly with standalone fences
// (Block::is_empty, set_many_empty, the acquire fences in the dequeue paths), which
// ThreadSanitizer does not model: it would report every element moved through the queue as a
// race. In TSan builds each element is therefore wrapped in a QueueSlot that states exactly
// those two edges on the slot's address:
//  - constructed in the slot (producer):  acquire, construct, release;
//  - moved out of the slot (consumer):    acquire, move;
//  - destroyed in the slot (consumer):    destroy, release.
// Nothing else is covered: a race on anything the element points to, or on the queue's
// callers' own data, is still reported. The queue's own bookkeeping that TSan misses for the
// same reason is suppressed function by function in tests/tsan.supp. In every other build
// QueueSlot<T> is T itself, so the queue, its code and its cost are unchanged.
#pragma once

// GCC 12 reports a -Wstringop-overflow inside the queue's enqueue_bulk when it is inlined (a
// false positive: it sizes a block pointer's target as 0 bytes); it is silenced for this
// header's code only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#include <concurrentqueue/concurrentqueue.h>
#pragma GCC diagnostic pop
#else
#include <concurrentqueue/concurrentqueue.h>
#endif

#if defined(__SANITIZE_THREAD__)
#define QUEUEDNET_TSAN_ANNOTATE 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define QUEUEDNET_TSAN_ANNOTATE 1
#endif
#endif

#ifdef QUEUEDNET_TSAN_ANNOTATE
#include <sanitizer/tsan_interface.h>

#include <type_traits>
#include <utility>
#endif

namespace queuednet::detail {

#ifdef QUEUEDNET_TSAN_ANNOTATE

// An element in a queue slot. The queue constructs it from a T (enqueue_bulk) or from a
// temporary QueueSlot (enqueue), assigns it to the consumer's T (dequeue: `out =
// std::move(slot)`, through the conversion below) and destroys it.
template <class T>
class QueueSlot {
 public:
  QueueSlot(T &&value) noexcept(std::is_nothrow_move_constructible_v<T>) : value_(std::move(value)) {
    __tsan_release(this);
  }
  QueueSlot(const T &value) noexcept(std::is_nothrow_copy_constructible_v<T>) : value_(value) {
    __tsan_release(this);
  }
  // enqueue(item) converts the item to a QueueSlot on the caller's stack, then moves that in.
  QueueSlot(QueueSlot &&other) noexcept(std::is_nothrow_move_constructible_v<T>) : value_(std::move(other.value_)) {
    __tsan_release(this);
  }
  QueueSlot(const QueueSlot &) = delete;
  QueueSlot &operator=(const QueueSlot &) = delete;

  // The consumer moves the element out.
  operator T &&() && noexcept {
    __tsan_acquire(this);
    return std::move(value_);
  }

 private:
  // The first member, so its address is the slot's: constructed before value_ (acquiring what
  // the slot's last consumer released), destroyed after it (releasing the emptied slot).
  struct Edge {
    Edge() noexcept { __tsan_acquire(this); }
    ~Edge() { __tsan_release(this); }
    Edge(const Edge &) = delete;
    Edge &operator=(const Edge &) = delete;
  };
  Edge edge_;
  T value_;
};

#else

template <class T>
using QueueSlot = T;

#endif

template <class T>
using HandOffQueue = moodycamel::ConcurrentQueue<QueueSlot<T>>;

}  // namespace queuednet::detail

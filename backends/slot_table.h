// Internal. Per-channel state of a backend, indexed by the low 32 bits of the channel id (the
// loop's slot); the full id is stored to reject a stale id whose slot was reused. Lookups are
// an array index, not a hash. Thread contract: the loop's thread only.
#pragma once

#include <cstdint>
#include <vector>

namespace queuednet::detail {

inline uint32_t slot_of(uint64_t id) { return static_cast<uint32_t>(id); }

// Entry must have a `uint64_t id` member; 0 marks a free slot.
template <class Entry>
class SlotTable {
 public:
  Entry *find(uint64_t id) {
    const uint32_t s = slot_of(id);
    if (id == 0 || s >= entries_.size() || entries_[s].id != id) return nullptr;
    return &entries_[s];
  }
  Entry &insert(uint64_t id) {
    const uint32_t s = slot_of(id);
    if (s >= entries_.size()) entries_.resize(s + 1);
    entries_[s] = Entry{};
    entries_[s].id = id;
    return entries_[s];
  }
  void erase(uint64_t id) {
    if (Entry *e = find(id)) e->id = 0;
  }

 private:
  std::vector<Entry> entries_;
};

}  // namespace queuednet::detail

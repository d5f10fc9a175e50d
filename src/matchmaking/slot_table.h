#pragma once
// The matcher's id lookups (ticket id → slot, player id → slot of the searching ticket): an
// open-addressing hash table of (32-bit hash, slot) pairs, 8 bytes per entry, linear probing,
// deletion by backward shift. It stores no keys: the caller hashes the id and confirms a
// candidate slot against the ticket itself (`is_match`), so a table entry costs no allocation
// and a lookup touches one cache line of the table in the common case.
//
// Thread safety: none; owned by one Matcher.

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace muster::matchmaking {

class SlotTable {
 public:
  static constexpr std::uint32_t kNone = UINT32_MAX;

  // 32 bits of the id's hash: compared before asking the caller, and (low bits) the home
  // position. Callers may keep it (a ticket keeps its own and its players') to erase without
  // reading the id again.
  static std::uint32_t Hash(std::string_view id) {
    const std::uint64_t h = std::hash<std::string_view>{}(id);
    return static_cast<std::uint32_t>(h ^ (h >> 32));
  }

  // The first slot stored under `hash` for which is_match(slot) holds, or kNone.
  template <typename IsMatch>
  std::uint32_t Find(std::uint32_t hash, IsMatch&& is_match) const {
    if (size_ == 0) return kNone;
    for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Entry& e = entries_[i];
      if (e.slot == kNone) return kNone;
      if (e.tag == hash && is_match(e.slot)) return e.slot;
    }
  }

  void Insert(std::uint32_t hash, std::uint32_t slot) {
    if (2 * (size_ + 1) > entries_.size()) Grow();
    std::size_t i = hash & mask_;
    while (entries_[i].slot != kNone) i = (i + 1) & mask_;
    entries_[i] = {hash, slot};
    ++size_;
  }

  // Removes the entry (hash, slot); false if there is none.
  bool Erase(std::uint32_t hash, std::uint32_t slot) {
    if (size_ == 0) return false;
    std::size_t i = hash & mask_;
    for (;; i = (i + 1) & mask_) {
      if (entries_[i].slot == kNone) return false;
      if (entries_[i].tag == hash && entries_[i].slot == slot) break;
    }
    // Backward shift: move later entries of the probe run into the hole when their home allows.
    std::size_t hole = i;
    for (std::size_t j = (i + 1) & mask_; entries_[j].slot != kNone; j = (j + 1) & mask_) {
      std::size_t home = entries_[j].tag & mask_;
      bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
      if (movable) {
        entries_[hole] = entries_[j];
        hole = j;
      }
    }
    entries_[hole] = Entry{};
    --size_;
    return true;
  }

  std::size_t size() const { return size_; }

 private:
  struct Entry {
    std::uint32_t tag = 0;  // the hash
    std::uint32_t slot = kNone;
  };

  void Grow() {
    std::vector<Entry> old;
    old.swap(entries_);
    entries_.assign(old.empty() ? 16 : old.size() * 2, Entry{});
    mask_ = entries_.size() - 1;
    size_ = 0;
    for (const Entry& e : old) {
      if (e.slot == kNone) continue;
      std::size_t i = e.tag & mask_;
      while (entries_[i].slot != kNone) i = (i + 1) & mask_;
      entries_[i] = e;
      ++size_;
    }
  }

  std::vector<Entry> entries_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace muster::matchmaking

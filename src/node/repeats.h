#pragma once
// The shell's answer to a placement request sent again (core::PlacementRepeated, topic
// "placement-repeats"): matchmaking restored a match whose tickets are PLACING while its
// placement is not pending, so the answer comes from the store:
//   - no row: never made (lost with a failed commit, or in a crash between the two sides'
//     commits): started now, as a first request would be;
//   - FULFILLED: PlacementFulfilled again, from the rows of its game session and player sessions
//     (each player's first session in it); kFailed when that session is no longer ACTIVE or a
//     player's session is gone;
//   - CANCELLED, TIMED_OUT, FAILED: PlacementEnded of that kind;
//   - pending in the placement core's memory: nothing now (its outcome comes as usual);
//   - a PENDING row the placement core did not restore (its queue is gone): PlacementEnded
//     kFailed, and the row is written FAILED (a later start with the queue back must not place
//     it for tickets that failed);
//   - a row that cannot be read, a store that cannot be read: PlacementEnded kFailed.
// The outcome goes to matchmaking only (the placement's own outbox event was written when it
// ended). Reads the store on the calling thread: it runs at a (re)load, not on a request's path.
//
// Thread safety: the placement core's owner thread.

#include "core/effects.h"
#include "placement/placement_core.h"
#include "store/store.h"

namespace muster::node {

core::Effects AnswerRepeat(const core::PlacementRepeated& repeat, placement::PlacementCore& placement,
                           store::Store& store, Millis now);

}  // namespace muster::node

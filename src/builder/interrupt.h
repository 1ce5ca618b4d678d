// SIGINT, SIGTERM and SIGHUP during a build: the builder stops at the next
// step and removes what it made, instead of dying with temporary files in
// /boot and an extracted tree in the scratch directory.
//
// The handler only does what is async-signal-safe (signal-safety(7)): it
// stores the signal number in a lock-free atomic and sends SIGTERM to the
// process group of the tool that is running (mkfs.erofs, dracut,
// veritysetup, ...), so that run_program returns. Everything else happens
// in normal code: long in-process steps (decompression, extraction) poll
// check_interrupted(), the error unwinds to main, and the destructors of
// the scratch directory and the temporary files clean up. A process killed
// by SIGKILL runs no code at all and cannot clean up.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include "core/error.h"

namespace iofs {

// Installs the handler for SIGINT, SIGTERM and SIGHUP, and ignores SIGPIPE
// (a tool that dies while we feed it is an error from write, not our end).
void install_interrupt_handlers();

// The first signal received, or 0.
int interrupted_signal();

// Fails with "interrupted by SIGTERM" once a signal has arrived.
Result<void> check_interrupted();

// Keeps the three signals pending while alive: for starting a child and
// recording it atomically, and for the commit, which is never left half
// done by a signal (it runs to its end and the signal is seen after).
class InterruptsHeld {
 public:
  InterruptsHeld();
  ~InterruptsHeld();
  InterruptsHeld(const InterruptsHeld&) = delete;
  InterruptsHeld& operator=(const InterruptsHeld&) = delete;
  // The mask from before, for a child to start with.
  const sigset_t& previous() const { return old_; }

 private:
  sigset_t old_;
};

// The process group the handler forwards a signal to (0: none). Set with
// the signals held; the child must lead its own group.
void set_running_child(pid_t pgid);

// Tests only: the handler's state back to "no signal".
void reset_interrupt_for_testing();

}  // namespace iofs

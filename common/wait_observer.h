// WaitObserver: lets code that blocks a thread for a remote reason (a server's
// Retry-After, a backoff) say so, and lets whoever owns the thread react: the engine's
// executor lends the thread's slots to other resources while it sleeps, so ready work does
// not queue behind resources that only wait. The observer is per thread (installed with
// ScopedWaitObserver by the thread's owner); code that waits marks the wait with
// ScopedBlockingWait, a no-op on a thread without an observer. Waits must not nest on one
// thread. Each object is used on the thread that created it only.
#ifndef ENVCTL_COMMON_WAIT_OBSERVER_H_
#define ENVCTL_COMMON_WAIT_OBSERVER_H_

namespace envctl {

class WaitObserver {
 public:
  virtual ~WaitObserver() = default;
  // The thread is about to block (it does no work until WaitEnds).
  virtual void WaitBegins() = 0;
  // The thread is about to work again; may block until it is allowed to.
  virtual void WaitEnds() = 0;
};

// Installs `observer` (may be null) for this thread while it lives; restores the previous.
class ScopedWaitObserver {
 public:
  explicit ScopedWaitObserver(WaitObserver* observer);
  ~ScopedWaitObserver();
  ScopedWaitObserver(const ScopedWaitObserver&) = delete;
  ScopedWaitObserver& operator=(const ScopedWaitObserver&) = delete;

 private:
  WaitObserver* previous_;
};

// Marks a blocking wait on this thread: WaitBegins now, WaitEnds when destroyed.
class ScopedBlockingWait {
 public:
  ScopedBlockingWait();
  ~ScopedBlockingWait();
  ScopedBlockingWait(const ScopedBlockingWait&) = delete;
  ScopedBlockingWait& operator=(const ScopedBlockingWait&) = delete;

 private:
  WaitObserver* observer_;
};

}  // namespace envctl

#endif  // ENVCTL_COMMON_WAIT_OBSERVER_H_

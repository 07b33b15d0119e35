#include "common/wait_observer.h"

namespace envctl {
namespace {

thread_local WaitObserver* current = nullptr;

}  // namespace

ScopedWaitObserver::ScopedWaitObserver(WaitObserver* observer) : previous_(current) {
  current = observer;
}

ScopedWaitObserver::~ScopedWaitObserver() { current = previous_; }

ScopedBlockingWait::ScopedBlockingWait() : observer_(current) {
  // A wait inside a wait (should not happen) is not reported twice.
  current = nullptr;
  if (observer_ != nullptr) observer_->WaitBegins();
}

ScopedBlockingWait::~ScopedBlockingWait() {
  if (observer_ != nullptr) observer_->WaitEnds();
  current = observer_;
}

}  // namespace envctl

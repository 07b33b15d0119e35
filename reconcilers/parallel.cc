#include "reconcilers/parallel.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "common/log.h"

namespace envctl::reconcilers {

absl::Status RunParallel(size_t n, size_t parallelism,
                         const std::function<absl::Status(size_t)>& work) {
  std::vector<absl::Status> results(n);
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < n; i = next++) results[i] = work(i);
  };
  const auto context = log::CurrentContext();
  std::vector<std::thread> threads;
  for (size_t t = 1; t < std::min(n, parallelism); ++t) {
    threads.emplace_back([&] {
      log::ScopedContext scope(context);
      worker();
    });
  }
  worker();
  for (auto& t : threads) t.join();
  for (const auto& r : results) {
    if (!r.ok()) return r;
  }
  return absl::OkStatus();
}

}  // namespace envctl::reconcilers

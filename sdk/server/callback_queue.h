#pragma once
// A single worker thread running queued tasks in order: the SDK's callback thread. Tasks queued
// after Stop() are dropped; Stop() lets the running task finish and drops the rest.
//
// Thread safety: Post() and Stop() are safe from any thread; Stop() must not be called from the
// worker itself (see on_worker()).

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace muster::sdk {

class CallbackQueue {
 public:
  CallbackQueue() : thread_([this] { Run(); }) {}
  ~CallbackQueue() { Stop(); }

  void Post(std::function<void()> task) {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    tasks_.push_back(std::move(task));
    cv_.notify_one();
  }

  void Stop() {
    {
      std::lock_guard lock(mu_);
      stopped_ = true;
      tasks_.clear();
      cv_.notify_one();
    }
    if (thread_.joinable() && !on_worker()) thread_.join();
    if (thread_.joinable()) thread_.detach();
  }

  bool on_worker() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  void Run() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stopped_ || !tasks_.empty(); });
        if (stopped_) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopped_ = false;
  std::thread thread_;  // last: starts after the other members exist
};

}  // namespace muster::sdk

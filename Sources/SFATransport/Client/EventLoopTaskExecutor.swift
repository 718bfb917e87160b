public import NIOCore

/// Runs Swift tasks on a NIO event loop. A task that prefers it
/// (`withTaskExecutorPreference`, `addTask(executorPreference:)`) and calls through a
/// connection of the same loop never changes thread: the request is written, and the
/// response resumes the task, on the loop's thread. On the global executor each call
/// crosses threads twice (to the loop to write, back to a pool thread to resume),
/// and when calls come one at a time each crossing wakes a sleeping thread: a load
/// tool sending at a fixed rate spent a third of its CPU switching threads.
///
/// Only for tasks that do little between calls: whatever they run blocks the loop's
/// I/O meanwhile.
public final class EventLoopTaskExecutor: TaskExecutor {
    /// The loop the tasks run on.
    public let eventLoop: any EventLoop

    public init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Runs `action` on the loop at `deadline` (at once if it has passed), timed by
    /// the loop's own timers: its wait for I/O ends then. A `Task.sleep` on Linux arms
    /// a libdispatch timer instead, which fires on another thread that must then wake
    /// the loop's.
    public func schedule(at deadline: ContinuousClock.Instant, _ action: @escaping @Sendable () -> Void) {
        eventLoop.scheduleTask(in: TimeAmount(max(deadline - .now, .zero)), action)
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        eventLoop.execute { job.runSynchronously(on: executor) }
    }
}

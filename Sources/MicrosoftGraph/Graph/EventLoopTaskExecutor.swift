import NIOCore

/// An event loop as a task executor: jobs run on the loop's thread, in order. A task that prefers it
/// (`withTaskExecutorPreference`) runs its Graph requests on the loop their connections live on (the HTTP client
/// uses NIO's singleton group, whose `any()` is the current loop when asked from one), instead of hopping between
/// Swift's global pool and the loop at every await. Blocking work must not run under it (SQLite runs on NIO's
/// thread pool).
public final class EventLoopTaskExecutor: TaskExecutor {
    public let eventLoop: any EventLoop

    public init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

import HummingbirdCore
import Logging
import MicrosoftGraph
import NIOCore

/// Serves each connection on its own event loop: the connection's task (reading requests, the router, the tool,
/// the Graph call, writing the answer) prefers the event loop the socket lives on, instead of hopping to
/// Swift's global pool and back for every read, write and outgoing request.
///
/// Measured with `perf` on the canned-upstream benchmark: without it about a fifth of graphgate's CPU went to
/// thread wake-ups and context switches between the event loops and the pool. The outgoing Graph connection
/// shares the loop too: the HTTP client and the server use NIO's singleton group, whose `any()` is the current
/// loop when asked from one. Work that blocks (SQLite) still runs on NIO's thread pool, never on a loop.
struct EventLoopBoundChannel<Inner: ServerChildChannel>: ServerChildChannel {
    typealias Value = Inner.Value
    let inner: Inner

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        inner.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopTaskExecutor(value.channel.eventLoop)) {
            await inner.handle(value: value, logger: logger)
        }
    }
}

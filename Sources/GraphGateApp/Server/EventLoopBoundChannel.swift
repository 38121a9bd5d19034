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

    /// The connection's task is cancelled when the connection closes: Hummingbird does not cancel a responder
    /// whose client went away, and MCP counts a client's disconnect as cancelling its request (a tool call stops
    /// at its next await; a send not yet handed to Graph is not made).
    func handle(value: Value, logger: Logger) async {
        let channel = value.channel
        await withTaskExecutorPreference(EventLoopTaskExecutor(channel.eventLoop)) {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await inner.handle(value: value, logger: logger) }
                group.addTask { try? await channel.closeFuture.get() }
                await group.next()
                group.cancelAll()
                // Served to its end (not closed by the peer): close it, so the watch above ends too.
                channel.close(promise: nil)
            }
        }
    }
}

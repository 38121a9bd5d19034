import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// Collects one Graph answer (head, then body up to a limit that depends on the status) for
/// ``GraphClient``. It goes through AsyncHTTPClient's delegate API, on the event loop of the connection that
/// carries the answer: the `async` `execute` starts a separate task per request to register its cancellation,
/// which wakes a thread of Swift's global pool on every Graph call.
final class GraphAnswerCollector: HTTPClientResponseDelegate {
    struct Answer: Sendable {
        let head: HTTPResponseHead
        let body: ByteBuffer
    }

    /// The answer was longer than its limit (the body is not kept).
    struct TooLarge: Error {
        let limit: Int
    }

    private struct State {
        var head: HTTPResponseHead?
        var body: ByteBuffer?
        var limit = 0
    }

    private let successLimit: Int
    private let otherLimit: Int
    private let state = Mutex(State())
    private let headSent = Atomic<Bool>(false)

    /// Whether the request's head has gone out on a connection (until then it may still wait in the pool, and
    /// cancelling it sends nothing).
    var requestHeadSent: Bool { headSent.load(ordering: .acquiring) }

    /// - Parameters:
    ///   - successLimit: the most a 2xx body may hold; `otherLimit` for any other status (an error envelope).
    init(successLimit: Int, otherLimit: Int) {
        self.successLimit = successLimit
        self.otherLimit = otherLimit
    }

    func didSendRequestHead(task: HTTPClient.Task<Answer>, _ head: HTTPRequestHead) {
        headSent.store(true, ordering: .releasing)
    }

    func didReceiveHead(task: HTTPClient.Task<Answer>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        let limit = (200..<300).contains(Int(head.status.code)) ? successLimit : otherLimit
        state.withLock { state in
            state.head = head
            state.body = nil
            state.limit = limit
        }
        if let length = head.headers.first(name: "Content-Length").flatMap(Int.init), length > limit {
            return task.eventLoop.makeFailedFuture(TooLarge(limit: limit))
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Answer>, _ part: ByteBuffer) -> EventLoopFuture<Void> {
        // The limit when the part does not fit, nil when it was kept.
        let exceeded = state.withLock { state -> Int? in
            guard (state.body?.readableBytes ?? 0) + part.readableBytes <= state.limit else { return state.limit }
            if state.body == nil {
                state.body = part
            } else {
                var part = part
                state.body!.writeBuffer(&part)
            }
            return nil
        }
        guard let exceeded else { return task.eventLoop.makeSucceededVoidFuture() }
        return task.eventLoop.makeFailedFuture(TooLarge(limit: exceeded))
    }

    func didFinishRequest(task: HTTPClient.Task<Answer>) throws -> Answer {
        try state.withLock { state in
            guard let head = state.head else { throw HTTPClientError.remoteConnectionClosed }
            return Answer(head: head, body: state.body ?? ByteBuffer())
        }
    }
}

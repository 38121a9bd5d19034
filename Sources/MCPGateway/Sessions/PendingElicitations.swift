import Synchronization

/// Handshake-era in-band elicitation over HTTP: the `elicitation/create` requests this process sent on a
/// `tools/call`'s SSE stream and is waiting on, keyed by (session, request id). The client's answer arrives as a
/// separate POST, which ``resume(session:id:with:)`` hands to the waiting call. Only this process's calls
/// wait here; an answer that reaches another instance, or none before the timeout, fails the question closed.
final class PendingElicitations: Sendable {
    private struct Key: Hashable {
        var session: String
        var id: JSONRPCID
    }

    private let waiting = Mutex<[Key: CheckedContinuation<ElicitationAnswer, Never>]>([:])

    /// Waits for the answer to request `id` of `session`, at most `timeout` (then `.unsupported`).
    func wait(session: String, id: JSONRPCID, timeout: Duration) async -> ElicitationAnswer {
        let key = Key(session: session, id: id)
        let timer = Task {
            try? await Task.sleep(for: timeout)
            self.finish(key, .unsupported)
        }
        let answer = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                waiting.withLock { $0[key] = continuation }
                if Task.isCancelled { finish(key, .unsupported) }
            }
        } onCancel: {
            self.finish(key, .unsupported)
        }
        timer.cancel()
        return answer
    }

    /// Delivers the client's response; false when nothing waits for it.
    @discardableResult
    func resume(session: String, id: JSONRPCID, with result: Result<Value, JSONRPCError>) -> Bool {
        let answer: ElicitationAnswer
        switch result {
        case .success(let value): answer = MCPCore.answer(value)
        case .failure: answer = .unsupported
        }
        return finish(Key(session: session, id: id), answer)
    }

    @discardableResult
    private func finish(_ key: Key, _ answer: ElicitationAnswer) -> Bool {
        guard let continuation = waiting.withLock({ $0.removeValue(forKey: key) }) else { return false }
        continuation.resume(returning: answer)
        return true
    }
}

import Synchronization

/// The requests a transport is running, by a key a client can name in `notifications/cancelled` (stdio: the
/// request id; HTTP: the session and the request id), so that the notification cancels the one it names.
final class InFlightRequests<Key: Hashable & Sendable>: Sendable {
    private let counter = Atomic<Int>(0)
    /// Each run has a number of its own (a client may reuse an id): finishing its stream cancels it.
    private let running = Mutex<[Key: (number: Int, cancel: AsyncStream<Never>.Continuation)]>([:])

    /// Runs `operation` in a child task (it keeps the caller's executor preference) unless ``cancel(_:)`` names
    /// `key` first: then that task is cancelled and the answer is nil, unless what it had already begun could not be
    /// stopped and its answer says it was done (`done`): a mail on its way to Graph is sent, and the client is told
    /// so, not that the request was cancelled.
    func run<T: Sendable>(
        _ key: Key, done: @escaping @Sendable (T) -> Bool = { _ in false },
        _ operation: @escaping @Sendable () async -> T
    ) async -> T? {
        let (cancellation, cancel) = AsyncStream<Never>.makeStream()
        let number = counter.add(1, ordering: .relaxed).newValue
        running.withLock { $0[key] = (number, cancel) }
        defer { running.withLock { if $0[key]?.number == number { $0[key] = nil } } }
        return await withTaskGroup(of: T?.self) { group in
            group.addTask { await operation() }
            group.addTask {
                for await _ in cancellation {}  // ends when cancelled, or when the answer is ready (cancelAll)
                return nil
            }
            if let first = await group.next() ?? nil {
                group.cancelAll()
                return first
            }
            // The cancellation came first: the operation stops where it can, and its answer counts only if done.
            group.cancelAll()
            guard let answer = await group.next() ?? nil, done(answer) else { return nil }
            return answer
        }
    }

    /// Cancels the request running under `key`, if there is one.
    func cancel(_ key: Key) {
        running.withLock { $0.removeValue(forKey: key) }?.cancel.finish()
    }
}

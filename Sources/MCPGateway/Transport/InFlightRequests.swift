import Synchronization

/// The requests a transport is running, by a key a client can name in `notifications/cancelled` (stdio: the
/// request id; HTTP: the session and the request id), so that the notification cancels the one it names.
final class InFlightRequests<Key: Hashable & Sendable>: Sendable {
    private let counter = Atomic<Int>(0)
    /// Each run has a number of its own (a client may reuse an id): finishing its stream cancels it.
    private let running = Mutex<[Key: (number: Int, cancel: AsyncStream<Never>.Continuation)]>([:])

    /// Runs `operation` in a child task (it keeps the caller's executor preference) unless ``cancel(_:)`` names
    /// `key` first: then that task is cancelled and the answer is nil.
    func run<T: Sendable>(_ key: Key, _ operation: @escaping @Sendable () async -> T) async -> T? {
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
            let first = await group.next() ?? nil  // nil: the cancellation came first
            group.cancelAll()
            return first
        }
    }

    /// Cancels the request running under `key`, if there is one.
    func cancel(_ key: Key) {
        running.withLock { $0.removeValue(forKey: key) }?.cancel.finish()
    }
}

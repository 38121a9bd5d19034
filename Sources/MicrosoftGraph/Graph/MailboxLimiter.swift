/// Caps concurrent Graph requests per mailbox (Outlook allows 4 at once per app and mailbox; a fifth is 429).
///
/// One instance is shared by every Graph client of the process; the key is the account (mailbox), so two
/// users never wait on each other. Waiters are served first come, first served; a cancelled waiter leaves
/// the queue without taking a permit.
public actor MailboxLimiter {
    public let permitsPerMailbox: Int
    private var inUse: [String: Int] = [:]
    private var waiters: [String: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)]] = [:]
    private var nextWaiter: UInt64 = 0

    public init(permitsPerMailbox: Int = 4) {
        self.permitsPerMailbox = max(1, permitsPerMailbox)
    }

    /// Runs `body` holding one of the mailbox's permits.
    public func withPermit<T: Sendable>(
        _ key: String, _ body: @Sendable () async throws -> T
    ) async throws -> T {
        try await acquire(key)
        defer { release(key) }
        return try await body()
    }

    /// Requests currently running for `key` (for tests and metrics).
    public func active(_ key: String) -> Int { inUse[key] ?? 0 }

    func acquire(_ key: String) async throws {
        if (inUse[key] ?? 0) < permitsPerMailbox, waiters[key, default: []].isEmpty {
            inUse[key, default: 0] += 1
            return
        }
        nextWaiter += 1
        let id = nextWaiter
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    waiters[key, default: []].append((id, continuation))
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(key, id) }
        }
    }

    func release(_ key: String) {
        if var queue = waiters[key], !queue.isEmpty {
            let next = queue.removeFirst()
            waiters[key] = queue.isEmpty ? nil : queue
            next.continuation.resume()  // the permit passes to the waiter
            return
        }
        let left = (inUse[key] ?? 1) - 1
        inUse[key] = left > 0 ? left : nil
    }

    private func cancelWaiter(_ key: String, _ id: UInt64) {
        guard var queue = waiters[key], let index = queue.firstIndex(where: { $0.id == id }) else { return }
        let waiter = queue.remove(at: index)
        waiters[key] = queue.isEmpty ? nil : queue
        waiter.continuation.resume(throwing: CancellationError())
    }
}

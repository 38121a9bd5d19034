import Synchronization

/// Caps concurrent Graph requests per mailbox (Outlook allows 4 at once per app and mailbox; a fifth is 429).
///
/// One instance is shared by every Graph client of the process; the key is the account (mailbox), so two
/// users never wait on each other. Waiters are served first come, first served; a cancelled waiter leaves
/// the queue without taking a permit.
///
/// A lock, not an actor: a free permit is taken and given back without leaving the caller's executor (an actor
/// cost four executor switches per Graph request: in, out to run the request, in to release, out again).
public final class MailboxLimiter: Sendable {
    public let permitsPerMailbox: Int

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var inUse: [String: Int] = [:]
        var waiters: [String: [Waiter]] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    public init(permitsPerMailbox: Int = 4) {
        self.permitsPerMailbox = max(1, permitsPerMailbox)
    }

    /// Runs `body` holding one of the mailbox's permits.
    public func withPermit<T: Sendable>(
        _ key: String, _ body: () async throws -> T
    ) async throws -> T {
        try await acquire(key)
        defer { release(key) }
        return try await body()
    }

    /// Requests currently running for `key` (for tests and metrics).
    public func active(_ key: String) -> Int { state.withLock { $0.inUse[key] ?? 0 } }

    /// Requests waiting for a permit of `key` (for tests).
    public func waiting(_ key: String) -> Int { state.withLock { $0.waiters[key]?.count ?? 0 } }

    func acquire(_ key: String) async throws {
        let id: UInt64? = state.withLock { state in
            if state.inUse[key, default: 0] < permitsPerMailbox, state.waiters[key] == nil {
                state.inUse[key, default: 0] += 1
                return nil
            }
            state.nextWaiter += 1
            return state.nextWaiter
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let cancelled = state.withLock { state in
                    // Checked under the lock: `cancelWaiter` (which takes it too) either ran before and finds
                    // nothing to remove, or runs after and finds this waiter queued.
                    if Task.isCancelled { return true }
                    state.waiters[key, default: []].append(Waiter(id: id, continuation: continuation))
                    return false
                }
                if cancelled { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            cancelWaiter(key, id)
        }
    }

    func release(_ key: String) {
        let next: Waiter? = state.withLock { state in
            if var queue = state.waiters[key], !queue.isEmpty {
                let next = queue.removeFirst()
                state.waiters[key] = queue.isEmpty ? nil : queue
                return next  // the permit passes to the waiter
            }
            let left = state.inUse[key, default: 1] - 1
            state.inUse[key] = left > 0 ? left : nil
            return nil
        }
        next?.continuation.resume()
    }

    private func cancelWaiter(_ key: String, _ id: UInt64) {
        let waiter: Waiter? = state.withLock { state in
            guard var queue = state.waiters[key], let index = queue.firstIndex(where: { $0.id == id }) else {
                return nil
            }
            let waiter = queue.remove(at: index)
            state.waiters[key] = queue.isEmpty ? nil : queue
            return waiter
        }
        waiter?.continuation.resume(throwing: CancellationError())
    }
}

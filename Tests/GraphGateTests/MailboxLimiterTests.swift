import Synchronization
import Testing

@testable import MicrosoftGraph

/// The per-mailbox permits, driven directly (the Graph client test shows 16 parallel calls against the emulated
/// tenant get no 429).
@Suite("Mailbox limiter")
struct MailboxLimiterTests {
    /// Waits (yielding) until `condition` holds; fails after about two seconds.
    private func eventually(_ what: Comment, _ condition: () -> Bool) async throws {
        for _ in 0..<2_000 where !condition() { try await Task.sleep(for: .milliseconds(1)) }
        #expect(condition(), what)
    }

    @Test("a mailbox's fifth request waits for a permit, waiters are served in order, other mailboxes never wait")
    func permitsInOrder() async throws {
        let limiter = MailboxLimiter(permitsPerMailbox: 4)
        for _ in 0..<4 { try await limiter.acquire("a") }
        #expect(limiter.active("a") == 4)
        try await limiter.acquire("b")  // another mailbox: not held up by "a"
        #expect(limiter.active("b") == 1)

        let order = Order()
        let first = Task {
            try await limiter.acquire("a")
            order.append(1)
        }
        try await eventually("first waiter queued") { limiter.waiting("a") == 1 }
        let second = Task {
            try await limiter.acquire("a")
            order.append(2)
        }
        try await eventually("second waiter queued") { limiter.waiting("a") == 2 }
        #expect(order.values.isEmpty)

        limiter.release("a")  // the permit passes to the first waiter, not back to the pool
        try await first.value
        #expect(order.values == [1])
        #expect(limiter.active("a") == 4)
        limiter.release("a")
        try await second.value
        #expect(order.values == [1, 2])

        for _ in 0..<4 { limiter.release("a") }
        limiter.release("b")
        #expect(limiter.active("a") == 0 && limiter.active("b") == 0)
    }

    @Test("a cancelled waiter leaves the queue without taking a permit")
    func cancelledWaiter() async throws {
        let limiter = MailboxLimiter(permitsPerMailbox: 1)
        try await limiter.acquire("a")
        let cancelled = Task { try await limiter.acquire("a") }
        try await eventually("waiter queued") { limiter.waiting("a") == 1 }
        let next = Task { try await limiter.acquire("a") }
        try await eventually("second waiter queued") { limiter.waiting("a") == 2 }

        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        #expect(limiter.waiting("a") == 1)
        limiter.release("a")
        try await next.value  // the permit went to the waiter that was still there
        #expect(limiter.active("a") == 1 && limiter.waiting("a") == 0)
        limiter.release("a")
        #expect(limiter.active("a") == 0)

        // Cancelled before it could queue: it throws and holds nothing.
        try await limiter.acquire("a")
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await limiter.acquire("a")
        }
        await #expect(throws: CancellationError.self) { try await early.value }
        #expect(limiter.waiting("a") == 0 && limiter.active("a") == 1)
    }
}

/// Appends from several tasks.
private final class Order: Sendable {
    private let storage = Mutex<[Int]>([])
    func append(_ value: Int) { storage.withLock { $0.append(value) } }
    var values: [Int] { storage.withLock { $0 } }
}

import Storage
import Synchronization
import Testing

/// ``AccessChangeSnapshot``: the whole-value copy the per-request block checks read from.
@Suite("Access-change snapshot")
struct AccessSnapshotTests {
    /// A revocation epoch this test moves by hand: `local` as this process's writes move it, `shared` as another
    /// instance's do.
    final class Epochs: RevocationEpochStore {
        let local = Atomic<UInt64>(0)
        let shared = Atomic<Int64>(0)
        func revocationEpoch() async throws(StorageError) -> Int64 { shared.load(ordering: .relaxed) }
        var localRevocations: UInt64 { local.load(ordering: .relaxed) }
    }

    /// What the snapshot reads: a value the test sets, and how many times it was read.
    final class Source: Sendable {
        let value = Mutex<[String: String]>([:])
        let reads = Atomic<Int>(0)
        let failing = Atomic<Bool>(false)
        let delay: Duration

        init(delay: Duration = .zero) { self.delay = delay }

        @Sendable func read() async throws -> [String: String] {
            reads.add(1, ordering: .relaxed)
            if delay > .zero { try await Task.sleep(for: delay) }
            if failing.load(ordering: .relaxed) { throw StorageError.unavailable("down") }
            return value.withLock { $0 }
        }
    }

    @Test("keys it never saw cost no read, and a change here is seen at once")
    func absentKeysAreAnsweredFromMemory() async throws {
        let epochs = Epochs()
        let source = Source()
        // A time to live no machine stall reaches: only the epochs may make it read again.
        let snapshot = AccessChangeSnapshot(
            changes: AccessChanges(epochs: epochs, pollInterval: .seconds(3600)), ttl: .seconds(3600),
            read: source.read)
        for address in 0..<500 {
            #expect(try await snapshot.current()["ip:10.0.\(address / 256).\(address % 256)"] == nil)
        }
        #expect(source.reads.load(ordering: .relaxed) == 1)

        source.value.withLock { $0["ip:10.0.0.7"] = "blocked" }
        #expect(try await snapshot.current()["ip:10.0.0.7"] == nil, "unchanged epochs: the copy still counts")
        epochs.local.add(1, ordering: .relaxed)
        #expect(try await snapshot.current()["ip:10.0.0.7"] == "blocked")
        #expect(source.reads.load(ordering: .relaxed) == 2)
    }

    @Test("another instance's change is seen within the poll interval")
    func sharedEpochIsPolled() async throws {
        let epochs = Epochs()
        let source = Source()
        let snapshot = AccessChangeSnapshot(
            changes: AccessChanges(epochs: epochs, pollInterval: .milliseconds(50)), read: source.read)
        #expect(try await snapshot.current().isEmpty)
        source.value.withLock { $0["user:u1"] = "blocked" }
        epochs.shared.add(1, ordering: .relaxed)
        try await Task.sleep(for: .milliseconds(80))
        #expect(try await snapshot.current()["user:u1"] == "blocked")
    }

    @Test("the copy is read again after its time to live, even with no change announced")
    func expires() async throws {
        let source = Source()
        let snapshot = AccessChangeSnapshot(
            changes: AccessChanges(epochs: Epochs(), pollInterval: .seconds(60)), ttl: .milliseconds(50),
            read: source.read)
        _ = try await snapshot.current()
        source.value.withLock { $0["user:u1"] = "blocked" }
        try await Task.sleep(for: .milliseconds(80))
        #expect(try await snapshot.current()["user:u1"] == "blocked")
    }

    @Test("lookups that find the copy stale share one read")
    func oneReadAtATime() async throws {
        let source = Source(delay: .milliseconds(50))
        let snapshot = AccessChangeSnapshot(
            changes: AccessChanges(epochs: Epochs(), pollInterval: .seconds(60)), read: source.read)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<50 { group.addTask { _ = try await snapshot.current() } }
            try await group.waitForAll()
        }
        #expect(source.reads.load(ordering: .relaxed) == 1)
    }

    @Test("a failed read answers with the error and is not kept")
    func failuresAreNotKept() async throws {
        let source = Source()
        let snapshot = AccessChangeSnapshot(
            changes: AccessChanges(epochs: Epochs(), pollInterval: .seconds(60)), read: source.read)
        source.failing.store(true, ordering: .relaxed)
        await #expect(throws: StorageError.self) { _ = try await snapshot.current() }
        source.failing.store(false, ordering: .relaxed)
        source.value.withLock { $0["user:u1"] = "blocked" }
        #expect(try await snapshot.current()["user:u1"] == "blocked")
    }

    @Test("a read that began before a change is not served after it")
    func racedReadIsNotKept() async throws {
        let epochs = Epochs()
        let source = Source(delay: .milliseconds(100))
        let snapshot = AccessChangeSnapshot(
            changes: AccessChanges(epochs: epochs, pollInterval: .seconds(60)), read: source.read)
        async let first = snapshot.current()
        try await Task.sleep(for: .milliseconds(30))
        // A change lands while the first read is in flight: what that read found may predate it.
        epochs.local.add(1, ordering: .relaxed)
        _ = try await first
        let readsAfterRace = source.reads.load(ordering: .relaxed)
        _ = try await snapshot.current()
        #expect(
            source.reads.load(ordering: .relaxed) == readsAfterRace + 1, "the raced read was served after the change")
    }

    @Test("the per-key cache: a refill read before its owner removed the key is not kept; other keys stay")
    func cacheRefillRacedByRemovalIsNotKept() async throws {
        let cache = AccessChangeCache<String>(changes: AccessChanges(epochs: Epochs(), pollInterval: .seconds(60)))
        let kept = await cache.lookup("s2")
        cache.store("bob's", for: "s2", ticket: kept.ticket)
        // A refill of s1 begins (its read predates the deletion) …
        let raced = await cache.lookup("s1")
        #expect(raced.value == nil)
        // … the owner deletes s1 and drops it from memory …
        cache.remove { key, _ in key == "s1" }
        // … and then the refill lands with what it read before: not kept.
        cache.store("alice's", for: "s1", ticket: raced.ticket)
        #expect(await cache.lookup("s1").value == nil)
        #expect(await cache.lookup("s2").value == "bob's")
        let fresh = await cache.lookup("s1")
        cache.store("alice's", for: "s1", ticket: fresh.ticket)
        #expect(await cache.lookup("s1").value == "alice's")
    }

    @Test("the per-key cache: one lookup refills a stale value while the others keep it, never beyond its ttl")
    func cacheRefillsOnceAndKeepsTheBound() async throws {
        let start = ContinuousClock.now
        let elapsed = Atomic<Int>(0)  // milliseconds
        let cache = AccessChangeCache<String>(
            changes: AccessChanges(epochs: Epochs(), pollInterval: .seconds(60)), ttl: .seconds(2),
            now: { start.advanced(by: .milliseconds(elapsed.load(ordering: .relaxed))) })
        cache.store("v1", for: "k", ticket: await cache.lookup("k").ticket)
        #expect(await cache.lookup("k").value == "v1")
        // Fresh for 1.2–1.6 s, kept for 2 s: at 1.75 s it is stale and still kept.
        elapsed.store(1_750, ordering: .relaxed)
        let refill = await cache.lookup("k")
        #expect(refill.value == nil, "the first lookup after freshness refills")
        #expect(await cache.lookup("k").value == "v1", "the others keep the value meanwhile")
        #expect(await cache.lookup("k").value == "v1")
        cache.store("v2", for: "k", ticket: refill.ticket)
        #expect(await cache.lookup("k").value == "v2")

        // A refill that is never stored (the store had nothing to say): nobody gets the old value after its ttl.
        cache.store("w1", for: "w", ticket: await cache.lookup("w").ticket)
        elapsed.store(3_500, ordering: .relaxed)
        #expect(await cache.lookup("w").value == nil)
        #expect(await cache.lookup("w").value == "w1")
        elapsed.store(3_800, ordering: .relaxed)
        #expect(await cache.lookup("w").value == nil)
        #expect(await cache.lookup("w").value == nil)

        // Values stored together do not all go stale together.
        for index in 0..<200 { cache.store("x", for: "key\(index)", ticket: await cache.lookup("key\(index)").ticket) }
        elapsed.store(3_800 + 1_400, ordering: .relaxed)
        var refills = 0
        for index in 0..<200 where await cache.lookup("key\(index)").value == nil { refills += 1 }
        #expect(refills > 20 && refills < 180, "about half are stale 1.4 s in (\(refills))")
    }

    @Test("the per-key cache with a background refill: no lookup waits for the read; a refill of nothing drops the key")
    func cacheRefillsInTheBackground() async throws {
        let start = ContinuousClock.now
        let elapsed = Atomic<Int>(0)  // milliseconds
        let cache = AccessChangeCache<String>(
            changes: AccessChanges(epochs: Epochs(), pollInterval: .seconds(60)), ttl: .seconds(2),
            now: { start.advanced(by: .milliseconds(elapsed.load(ordering: .relaxed))) })
        let reads = Atomic<Int>(0)
        let release = AsyncStream<Void>.makeStream()
        let answer = Mutex<String?>("v2")
        let refill: @Sendable () async -> String? = {
            reads.add(1, ordering: .relaxed)
            for await _ in release.stream { break }  // held until the test lets it finish
            return answer.withLock { $0 }
        }
        cache.store("v1", for: "k", ticket: await cache.lookup("k").ticket)
        elapsed.store(1_750, ordering: .relaxed)  // stale, still kept
        #expect(await cache.lookup("k", refill: refill).value == "v1", "the refilling lookup gets the kept value too")
        #expect(await cache.lookup("k", refill: refill).value == "v1")
        release.continuation.yield()
        var stored: String?
        for _ in 0..<200 {
            stored = await cache.lookup("k").value
            if stored == "v2" { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(stored == "v2", "the background read was kept")
        #expect(reads.load(ordering: .relaxed) == 1, "one read for the stale value")

        // A refill that finds nothing (an unknown token, an ended session): the key goes, the next lookup reads.
        answer.withLock { $0 = nil }
        elapsed.store(1_750 + 1_750, ordering: .relaxed)
        #expect(await cache.lookup("k", refill: refill).value == "v2")
        release.continuation.yield()
        var gone = false
        for _ in 0..<200 {
            if await cache.lookup("k").value == nil {
                gone = true
                break
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(gone)

        // A refill never overwrites a value stored after it began (a newer read, the owner's own update).
        answer.withLock { $0 = "old" }
        cache.store("v3", for: "k", ticket: await cache.lookup("k").ticket)
        elapsed.store(3_500 + 1_750, ordering: .relaxed)
        #expect(await cache.lookup("k", refill: refill).value == "v3")
        cache.store("v4", for: "k", ticket: await cache.lookup("k").ticket)
        release.continuation.yield()
        for _ in 0..<20 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(await cache.lookup("k").value == "v4")
        release.continuation.finish()
    }
}

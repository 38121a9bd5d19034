import Storage
import Synchronization

/// Bearer checks and user-block checks served from memory, so a tool call reads nothing from the store for its
/// authentication in the steady state.
///
/// Entries live at most `ttl`. They are dropped all at once when access changes anywhere:
/// - on this instance at once: the stores bump a process-wide count after every revocation, block and unblock,
///   and every lookup compares it (one atomic load);
/// - on other instances (and after a command-line `admin block`) within `pollInterval` plus one read: the
///   lookup that finds the shared epoch older than `pollInterval` reads it, and a change drops everything.
///
/// A refill that started before a drop is not stored (the generation moved on), so a read that raced with a
/// revocation cannot put a stale decision back. Only valid tokens are cached; unknown tokens always go to the
/// store, so guessing cannot fill memory. At most `capacity` tokens are kept.
final class AccessCache: Sendable {
    /// A cached decision and when it stops counting.
    struct Entry<Value> {
        let value: Value
        let until: ContinuousClock.Instant
    }

    private struct State {
        var tokens: [String: Entry<AccessTokenInfo>] = [:]
        var blocks: [String: Entry<Bool>] = [:]
        var generation: UInt64 = 0
        var local: UInt64 = 0
        var shared: Int64?
        var polledAt: ContinuousClock.Instant?
        var polling = false
    }

    private let epochs: any RevocationEpochStore
    private let state = Mutex(State())
    private let clock = ContinuousClock()
    let ttl: Duration
    let pollInterval: Duration
    let capacity: Int

    init(
        epochs: any RevocationEpochStore, ttl: Duration = .seconds(5), pollInterval: Duration = .milliseconds(500),
        capacity: Int = 100_000
    ) {
        self.epochs = epochs
        self.ttl = ttl
        self.pollInterval = pollInterval
        self.capacity = capacity
    }

    /// Brings the cache up to date with both epochs and returns the generation a refill must carry.
    func current() async -> UInt64 {
        let local = epochs.localRevocations
        let now = clock.now
        let pollDue = state.withLock { state -> Bool in
            if state.local != local {
                state.local = local
                Self.drop(&state)
            }
            guard !state.polling else { return false }
            if let polledAt = state.polledAt, polledAt.duration(to: now) < pollInterval { return false }
            state.polling = true
            return true
        }
        if pollDue {
            let shared = try? await epochs.revocationEpoch()
            state.withLock { state in
                state.polling = false
                state.polledAt = clock.now
                // An unreadable epoch drops everything: the refills then ask the store, which says what is wrong.
                if shared == nil || shared != state.shared { Self.drop(&state) }
                state.shared = shared
            }
        }
        return state.withLock { $0.generation }
    }

    func token(_ hash: String) -> AccessTokenInfo? {
        let now = clock.now
        return state.withLock { Self.fresh(&$0.tokens, hash, now: now) }
    }

    func store(token hash: String, _ info: AccessTokenInfo, generation: UInt64) {
        let until = clock.now.advanced(by: ttl)
        state.withLock { Self.insert(&$0, \.tokens, hash, Entry(value: info, until: until), generation, capacity) }
    }

    func blocked(_ userId: String) -> Bool? {
        let now = clock.now
        return state.withLock { Self.fresh(&$0.blocks, userId, now: now) }
    }

    func store(blocked: Bool, userId: String, generation: UInt64) {
        let until = clock.now.advanced(by: ttl)
        state.withLock {
            Self.insert(&$0, \.blocks, userId, Entry(value: blocked, until: until), generation, capacity)
        }
    }

    /// The entry's value while it counts; an expired entry is removed.
    private static func fresh<Value>(
        _ entries: inout [String: Entry<Value>], _ key: String, now: ContinuousClock.Instant
    ) -> Value? {
        guard let entry = entries[key] else { return nil }
        guard now < entry.until else {
            entries[key] = nil
            return nil
        }
        return entry.value
    }

    /// Stores an entry unless access changed since its refill began (`generation`); a full map starts over.
    private static func insert<Value>(
        _ state: inout State, _ map: WritableKeyPath<State, [String: Entry<Value>]>, _ key: String,
        _ entry: Entry<Value>, _ generation: UInt64, _ capacity: Int
    ) {
        guard state.generation == generation else { return }
        if state[keyPath: map].count >= capacity { state[keyPath: map].removeAll(keepingCapacity: true) }
        state[keyPath: map][key] = entry
    }

    private static func drop(_ state: inout State) {
        state.tokens.removeAll(keepingCapacity: true)
        state.blocks.removeAll(keepingCapacity: true)
        state.generation &+= 1
    }
}

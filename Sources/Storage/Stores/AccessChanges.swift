import Synchronization

/// A process's view of "access may have changed": a generation that moves when the local count of revocations
/// moves (at once) or when the shared revocation epoch moves (read at most every `pollInterval`, by the lookup
/// that finds it due). Caches of access decisions (bearer tokens, blocks, linked accounts) tag what they keep
/// with the generation it was read under and drop it when the generation moves; see ``AccessChangeCache``.
public final class AccessChanges: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var local: UInt64 = 0
        var shared: Int64?
        var polledAt: ContinuousClock.Instant?
        var polling = false
    }

    private let epochs: any RevocationEpochStore
    private let state = Mutex(State())
    private let clock = ContinuousClock()
    /// How stale the shared epoch may be before a lookup reads it again.
    public let pollInterval: Duration

    public init(epochs: any RevocationEpochStore, pollInterval: Duration = .milliseconds(500)) {
        self.epochs = epochs
        self.pollInterval = pollInterval
    }

    /// Brings the generation up to date with both epochs and returns it (the value a refill must carry).
    public func current() async -> UInt64 {
        let local = epochs.localRevocations
        let now = clock.now
        let pollDue = state.withLock { state -> Bool in
            if state.local != local {
                state.local = local
                state.generation &+= 1
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
                // An unreadable epoch moves the generation: the refills then ask the store, which says what is wrong.
                if shared == nil || shared != state.shared { state.generation &+= 1 }
                state.shared = shared
            }
        }
        return latest
    }

    /// The generation as last brought up to date (no I/O).
    var latest: UInt64 { state.withLock { $0.generation } }
}

/// Values read from the store, kept in memory for at most `ttl` and only while ``AccessChanges``' generation
/// stays the one they were read under. A refill that began before a change is not kept, so a read that raced with
/// a revocation cannot put a stale decision back; the same holds for a refill that raced with ``remove(where:)``
/// (the owner's own deletions). At most `capacity` entries; a full cache starts over.
///
/// A value is fresh for a random three fifths to four fifths of `ttl`. The first lookup after that refills it;
/// until that refill is stored, and never beyond `ttl`, the other lookups of the key still get the kept value (a
/// token of a busy client has several calls in flight). Without the spread and the one refill, every person's
/// values, read together at start, expired together and each call in flight read the store again: at 256
/// connections that queue on SQLite's one connection held a share of the calls for up to 0.8 s every `ttl`.
/// A lookup given a `refill` read does not wait for it either: it gets the kept value too, and the read runs in
/// the background (the refilling call waited behind the audit writer's transactions on SQLite's one connection,
/// which made most of the tail at 64 connections).
public final class AccessChangeCache<Value: Sendable>: Sendable {
    private struct Entry {
        let value: Value
        /// Fresh until then: the first lookup after it refills the value.
        let freshUntil: ContinuousClock.Instant
        /// `ttl` after it was stored: served to nobody after that.
        let keptUntil: ContinuousClock.Instant
        /// A lookup found it stale and is refilling it; the others still get it (until `keptUntil`).
        var refilling = false
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// The generation every entry was read under.
        var generation: UInt64 = 0
        /// Moves on every ``remove(where:)``: a refill read before it is not kept.
        var removals: UInt64 = 0
    }

    /// What a refill must hand back to ``store(_:for:ticket:)``: the state of things when its read began.
    public struct Ticket: Sendable {
        let generation: UInt64
        let removals: UInt64
        /// When the read began: the value's age counts from here (a read that queued is no fresher for it).
        let issued: ContinuousClock.Instant
    }

    public let changes: AccessChanges
    private let state = Mutex(State())
    private let now: @Sendable () -> ContinuousClock.Instant
    public let ttl: Duration
    public let capacity: Int

    /// `now` is the clock (tests move it by hand).
    public init(
        changes: AccessChanges, ttl: Duration = .seconds(5), capacity: Int = 100_000,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.changes = changes
        self.ttl = ttl
        self.capacity = capacity
        self.now = now
    }

    /// The kept value of `key` if it still counts, and the ticket to store a refill with. When the value is past its
    /// freshness and this lookup is the one to refill it: without `refill` the answer is nil (the caller reads and
    /// stores); with it the kept value is answered and `refill` runs in the background, its value stored (nil, or
    /// a failure, drops the key: the next lookup reads).
    public func lookup(
        _ key: String, refill: (@Sendable () async -> Value?)? = nil
    ) async -> (value: Value?, ticket: Ticket) {
        let generation = await changes.current()
        let now = now()
        let (value, ticket, refillsInBackground) = state.withLock { state -> (Value?, Ticket, Bool) in
            let ticket = Ticket(generation: generation, removals: state.removals, issued: now)
            if state.generation != generation {
                // Only forward: a lookup that brought an older generation (a change raced it) just misses.
                if generation > state.generation {
                    state.entries.removeAll(keepingCapacity: true)
                    state.generation = generation
                }
                return (nil, ticket, false)
            }
            guard let entry = state.entries[key] else { return (nil, ticket, false) }
            if now < entry.freshUntil { return (entry.value, ticket, false) }
            guard now < entry.keptUntil else {
                state.entries[key] = nil
                return (nil, ticket, false)
            }
            guard entry.refilling else {
                state.entries[key]?.refilling = true
                // This lookup refills it: now (the caller reads), or in the background.
                return refill == nil ? (nil, ticket, false) : (entry.value, ticket, true)
            }
            return (entry.value, ticket, false)
        }
        if refillsInBackground, let refill {
            Task {
                if let fresh = await refill() {
                    store(fresh, for: key, ticket: ticket, onlyOver: true)
                } else {
                    // Nothing found (or the read failed): the next lookup reads. A newer value stays.
                    state.withLock { state in
                        if state.entries[key]?.refilling == true { state.entries[key] = nil }
                    }
                }
            }
        }
        return (value, ticket)
    }

    /// Keeps `value` for `key` unless access changed, or something was removed, since `ticket` was handed out.
    public func store(_ value: Value, for key: String, ticket: Ticket) {
        store(value, for: key, ticket: ticket, onlyOver: false)
    }

    /// `onlyOver`: only over the entry a background refill was started for (never over a newer one stored since).
    private func store(_ value: Value, for key: String, ticket: Ticket, onlyOver refilling: Bool) {
        let freshUntil = ticket.issued.advanced(by: ttl * Double.random(in: 0.6..<0.8))
        let keptUntil = ticket.issued.advanced(by: ttl)
        let latest = changes.latest
        state.withLock { state in
            guard ticket.generation == latest, ticket.removals == state.removals else { return }
            if refilling, state.entries[key]?.refilling != true { return }
            if state.generation != ticket.generation {
                state.entries.removeAll(keepingCapacity: true)
                state.generation = ticket.generation
            }
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[key] = Entry(value: value, freshUntil: freshUntil, keptUntil: keptUntil)
        }
    }

    /// Drops every kept value that matches (the owner deleted what it stands for); a refill read before this call
    /// is not kept.
    public func remove(where matches: (_ key: String, _ value: Value) -> Bool) {
        state.withLock { state in
            state.removals &+= 1
            state.entries = state.entries.filter { !matches($0.key, $0.value.value) }
        }
    }
}

/// One whole value read from the store (e.g. every block in force), kept in memory for at most `ttl` and only
/// while ``AccessChanges``' generation stays the one it was read under. Unlike ``AccessChangeCache`` it answers
/// every key, absent ones included, without a read: a request naming a subject never seen before (a new client
/// address) costs no store round trip. One read at a time (the lookups that find it stale wait for that read);
/// a read that began before a change answers the lookups that waited for it but is not kept; a failed read is not
/// kept either.
public final class AccessChangeSnapshot<Value: Sendable>: Sendable {
    private struct Kept {
        let value: Value
        let generation: UInt64
        let until: ContinuousClock.Instant
    }

    private struct Reading {
        let generation: UInt64
        let started: ContinuousClock.Instant
        let task: Task<Value, any Error>
    }

    private struct State {
        var kept: Kept?
        var reading: Reading?
    }

    private enum Answer {
        case kept(Value)
        case wait(Reading)
    }

    public let changes: AccessChanges
    public let ttl: Duration
    private let read: @Sendable () async throws -> Value
    private let state = Mutex(State())
    private let clock = ContinuousClock()

    public init(
        changes: AccessChanges, ttl: Duration = .seconds(5), read: @escaping @Sendable () async throws -> Value
    ) {
        self.changes = changes
        self.ttl = ttl
        self.read = read
    }

    /// The value as of now: the kept one while it still counts, else the result of one (shared) read.
    public func current() async throws -> Value {
        let generation = await changes.current()
        let now = clock.now
        let answer = state.withLock { state -> Answer in
            if let kept = state.kept, kept.generation == generation, now < kept.until { return .kept(kept.value) }
            if let reading = state.reading, reading.generation >= generation { return .wait(reading) }
            let reading = Reading(generation: generation, started: now, task: Task { [read] in try await read() })
            state.reading = reading
            return .wait(reading)
        }
        let reading: Reading
        switch answer {
        case .kept(let value): return value
        case .wait(let waiting): reading = waiting
        }
        do {
            let value = try await reading.task.value
            let until = reading.started.advanced(by: ttl)
            let latest = changes.latest
            state.withLock { state in
                guard state.reading?.generation == reading.generation else { return }
                state.reading = nil
                if reading.generation == latest, (state.kept?.generation ?? 0) <= reading.generation {
                    state.kept = Kept(value: value, generation: reading.generation, until: until)
                }
            }
            return value
        } catch {
            state.withLock { state in
                if state.reading?.generation == reading.generation { state.reading = nil }
            }
            throw error
        }
    }
}

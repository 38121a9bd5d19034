import Foundation
import Synchronization

/// Buckets in this process's memory: exact and free for a single instance (SQLite deployments).
///
/// Memory is bounded: at most `maxBuckets` buckets, in a fixed-stride table with an intrusive doubly linked
/// list in recency order. A new key past the bound reuses the least recently used bucket (O(1), no scan under
/// the lock); a bucket idle that long is usually full again anyway. Keys are stored as a 64-bit hash seeded per
/// process (Swift's `Hasher`), about 75 bytes per bucket in all (15 MiB at the default bound); two keys sharing a hash would share a bucket,
/// which at 2⁻⁶⁴ per pair and an unpredictable seed is not a practical concern.
public final class InMemoryRateLimiter: RateLimiter {
    struct Slot {
        var key: Int
        var tokens: Int64
        var updatedMs: Int64
        var newer: Int32
        var older: Int32
    }

    /// The buckets and their recency list (`newest` … `oldest`, -1 for none).
    struct Table {
        var index: [Int: Int32] = [:]
        var slots: [Slot] = []
        var newest: Int32 = -1
        var oldest: Int32 = -1

        mutating func unlink(_ slot: Int32) {
            let entry = slots[Int(slot)]
            if entry.newer >= 0 { slots[Int(entry.newer)].older = entry.older } else { newest = entry.older }
            if entry.older >= 0 { slots[Int(entry.older)].newer = entry.newer } else { oldest = entry.newer }
        }

        mutating func pushNewest(_ slot: Int32) {
            slots[Int(slot)].newer = -1
            slots[Int(slot)].older = newest
            if newest >= 0 { slots[Int(newest)].newer = slot }
            newest = slot
            if oldest < 0 { oldest = slot }
        }
    }

    private let table = Mutex<Table>(Table())
    private let clock: @Sendable () -> Int64
    public let maxBuckets: Int

    /// `clock` gives the time in milliseconds (tests move it by hand).
    public init(
        maxBuckets: Int = 200_000,
        clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }
    ) {
        self.maxBuckets = max(1, maxBuckets)
        self.clock = clock
    }

    /// How many buckets are held now.
    public var count: Int { table.withLock { $0.index.count } }

    public func take(_ key: String, budget: RateBudget, cost: Int) async -> RateDecision {
        takeNow(key, budget: budget, cost: cost)
    }

    public func takeNow(_ key: String, budget: RateBudget, cost: Int = 1) -> RateDecision {
        let now = clock()
        let costScaled = Int64(cost) * RateBudget.scale
        var hasher = Hasher()
        hasher.combine(budget.name)
        hasher.combine(key)
        let hash = hasher.finalize()
        return table.withLock { table in
            let slot: Int32
            if let existing = table.index[hash] {
                slot = existing
                table.unlink(slot)
            } else if table.slots.count < maxBuckets {
                slot = Int32(table.slots.count)
                table.slots.append(Slot(key: hash, tokens: budget.capacityScaled, updatedMs: now, newer: -1, older: -1))
                table.index[hash] = slot
            } else {
                slot = table.oldest
                table.unlink(slot)
                table.index[table.slots[Int(slot)].key] = nil
                table.slots[Int(slot)] = Slot(
                    key: hash, tokens: budget.capacityScaled, updatedMs: now, newer: -1, older: -1)
                table.index[hash] = slot
            }
            table.pushNewest(slot)
            var bucket = table.slots[Int(slot)]
            if now > bucket.updatedMs {
                let elapsed = now - bucket.updatedMs
                let full = budget.capacityScaled / budget.refillPerMsScaled + 1
                bucket.tokens =
                    elapsed >= full
                    ? budget.capacityScaled
                    : min(budget.capacityScaled, bucket.tokens + elapsed * budget.refillPerMsScaled)
                bucket.updatedMs = now
            }
            let allowed = bucket.tokens >= costScaled
            if allowed { bucket.tokens = min(budget.capacityScaled, bucket.tokens - costScaled) }
            table.slots[Int(slot)] = bucket
            return RateDecision.from(allowed: allowed, tokensScaled: bucket.tokens, budget: budget, cost: costScaled)
        }
    }
}

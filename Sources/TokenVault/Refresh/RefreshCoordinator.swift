import Foundation

/// Single-flight access tokens per account within one process, plus a bounded in-memory cache (one token per
/// account, at most `capacity` accounts).
///
/// However many callers ask for the same account at once, one `AccountRefresher.obtain` runs; the rest await it.
/// It runs in its own task, so a caller that is cancelled (a dropped HTTP request) never abandons a refresh
/// between Microsoft's answer and the save.
actor RefreshCoordinator {
    private struct Flight {
        let id: UInt64
        let task: Task<AccessGrant, any Error>
    }

    private let refresher: AccountRefresher
    private let margin: TimeInterval
    private let capacity: Int
    private var cache: [String: AccessGrant] = [:]
    private var flights: [String: Flight] = [:]
    private var nextFlight: UInt64 = 0

    init(refresher: AccountRefresher, margin: TimeInterval, capacity: Int) {
        self.refresher = refresher
        self.margin = margin
        self.capacity = capacity
    }

    func accessToken(for account: AccountRef, rejection: Rejection) async throws(VaultError) -> AccessGrant {
        var rejection = rejection
        // Twice at most: if a flight we joined handed back exactly the token we were told is rejected.
        for _ in 0..<2 {
            if let cached = cache[account.accountId], !rejection.rejects(cached.fingerprint),
                cached.isUsable(margin: margin)
            {
                return cached
            }
            if rejection == .anyStored, let cached = cache[account.accountId] {
                rejection = .token(cached.fingerprint)
            }
            let flight: Flight
            if let existing = flights[account.accountId] {
                flight = existing
            } else {
                nextFlight += 1
                let refresher = self.refresher
                let wanted = rejection
                flight = Flight(
                    id: nextFlight,
                    task: Task { () async throws -> AccessGrant in
                        try await refresher.obtain(account, rejection: wanted)
                    })
                flights[account.accountId] = flight
            }
            let result: Result<AccessGrant, VaultError>
            do {
                result = .success(try await flight.task.value)
            } catch let error as VaultError {
                result = .failure(error)
            } catch {
                result = .failure(.refreshUnavailable("interrupted"))
            }
            if flights[account.accountId]?.id == flight.id {
                flights[account.accountId] = nil
                switch result {
                case .success(let grant): remember(grant, for: account.accountId)
                case .failure: cache[account.accountId] = nil
                }
            }
            switch result {
            case .success(let grant):
                if rejection.rejects(grant.fingerprint) { continue }
                return grant
            case .failure(let error):
                throw error
            }
        }
        throw .refreshUnavailable("Microsoft keeps returning a token Graph rejected")
    }

    /// Puts a token just obtained at sign-in into the cache (replacing any older one).
    func remember(_ grant: AccessGrant, for accountId: String) {
        if cache[accountId] == nil, cache.count >= capacity {
            // Evict what expires first: it would need a refresh soonest anyway.
            if let victim = cache.min(by: { $0.value.expiresAt < $1.value.expiresAt })?.key { cache[victim] = nil }
        }
        cache[accountId] = grant
    }

    func forget(accountId: String) {
        cache[accountId] = nil
    }

    var cachedCount: Int { cache.count }
}

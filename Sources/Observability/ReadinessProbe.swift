import Foundation
import MicrosoftGraph
import Storage
import Synchronization

/// One thing `/readyz` checks. `check` returns nil when ready, else a short reason (no secrets, no addresses).
public struct ReadinessProbe: Sendable {
    public let name: String
    public let check: @Sendable () async -> String?

    public init(name: String, check: @escaping @Sendable () async -> String?) {
        self.name = name
        self.check = check
    }

    /// The database answers `SELECT 1` within five seconds (generous: a busy SQLite connection is not "down").
    public static func database(_ database: Database) -> ReadinessProbe {
        ReadinessProbe(name: "database") {
            do {
                try await database.checkReachable(timeout: .seconds(5))
                return nil
            } catch {
                return "the database does not answer"
            }
        }
    }

    /// The keyring that encrypts Microsoft's tokens is loaded (`isLoaded` is the token vault's own answer).
    public static func keyring(_ isLoaded: @escaping @Sendable () async -> Bool) -> ReadinessProbe {
        ReadinessProbe(name: "keyring") { await isLoaded() ? nil : "the keyring is not loaded" }
    }

    /// Microsoft's OpenID discovery document has been fetched once. Success is remembered, so a ready server
    /// does not call Microsoft on every probe; until then each probe tries again (at most every 5 seconds).
    public static func upstreamDiscovery(_ identity: IdentityClient) -> ReadinessProbe {
        let state = Mutex<(ready: Bool, lastTry: ContinuousClock.Instant?)>((false, nil))
        return ReadinessProbe(name: "upstream_discovery") {
            let shouldTry = state.withLock { value -> Bool in
                if value.ready { return false }
                if let last = value.lastTry, ContinuousClock.now - last < .seconds(5) { return false }
                value.lastTry = ContinuousClock.now
                return true
            }
            if state.withLock({ $0.ready }) { return nil }
            guard shouldTry else { return "Microsoft's discovery document has not been fetched yet" }
            do {
                _ = try await identity.openIDMetadata()
                state.withLock { $0.ready = true }
                return nil
            } catch {
                return "Microsoft's discovery document could not be fetched"
            }
        }
    }
}

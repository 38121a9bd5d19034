import Foundation
import GraphGateSettings
import Logging
import SecurityOps
import Storage
import TokenVault

/// The work behind `graphgate keys …`: the keyring file and the envelopes stored under its keys.
///
/// Commands that touch the store migrate it first and record their audit event in the real audit log.
public enum KeysAdmin {
    /// The keyring file a command works on: `GRAPHGATE_KEYRING`, else the sandbox's generated file in sandbox
    /// mode, else `graphgate.keyring` in the working directory.
    public static func keyringPath(_ config: GraphGateConfig) -> String {
        if let path = config.keyringPath { return path }
        if config.sandbox {
            return URL(fileURLWithPath: config.dataDirectory).appendingPathComponent(KeyringSource.sandboxFileName).path
        }
        return "graphgate.keyring"
    }

    /// `keys init`: a new keyring file (mode 0600) with one primary key; refuses to overwrite.
    public static func initialize(path: String) throws -> String {
        let keyring = try KeyringFile.create(at: path)
        return "created \(path) (mode 0600) with primary key \(keyring.primary.id)"
    }

    /// `keys init --env`: a fresh keyring in `GRAPHGATE_KEYRING_KEY` form. Secret: for the operator's secret store.
    public static func generateEnvironmentValue() -> String { Keyring.generate().environmentValue }

    /// `keys rotate`: adds a new primary; the old one becomes decrypt-only. Returns the new key id.
    public static func rotate(config: GraphGateConfig, logger: Logger) async throws -> UInt32 {
        let path = keyringPath(config)
        var keyring = try KeyringFile.load(from: path)
        let previous = keyring.primary.id
        let id = keyring.rotate()
        try KeyringFile.write(keyring, to: path)
        try await CommandRoot.withStores(config: config, logger: logger) { stores in
            await AuditLog(store: stores.audit, logger: logger).record(
                AuditEvent("keys.rotate", details: ["primary": "\(id)", "previous": "\(previous)"]))
        }
        return id
    }

    /// `keys status`.
    public static func status(config: GraphGateConfig, logger: Logger) async throws -> [KeyMaintenance.KeyLine] {
        let keyring = try loadKeyring(config)
        let usage = try await CommandRoot.withStores(config: config, logger: logger) { stores in
            try await KeyMaintenance(
                blobs: stores.tokenBlobs, pending: stores.pendingSignIns, keyring: keyring,
                audit: AuditLog(store: stores.audit, logger: logger),
                logger: logger
            ).usage()
        }
        return KeyMaintenance.lines(keyring: keyring, usage: usage)
    }

    /// `keys rewrap`: re-encrypts everything under the primary in batches; `progress` after each batch.
    public static func rewrap(
        config: GraphGateConfig, batchSize: Int, logger: Logger,
        progress: @escaping @Sendable (KeyMaintenance.RewrapReport) async -> Void
    ) async throws -> KeyMaintenance.RewrapReport {
        let keyring = try loadKeyring(config)
        return try await CommandRoot.withStores(config: config, logger: logger) { stores in
            try await KeyMaintenance(
                blobs: stores.tokenBlobs, pending: stores.pendingSignIns, keyring: keyring,
                audit: AuditLog(store: stores.audit, logger: logger),
                logger: logger
            ).rewrap(batchSize: batchSize, progress: progress)
        }
    }

    /// `keys disable ID`: refuses while stored envelopes still use the key, unless `force` (they then fail closed
    /// and their users must sign in again).
    public static func disable(config: GraphGateConfig, id: UInt32, force: Bool, logger: Logger) async throws -> Int {
        let path = keyringPath(config)
        var keyring = try KeyringFile.load(from: path)
        try keyring.disable(id: id)
        let disabled = keyring
        let inUse = try await CommandRoot.withStores(config: config, logger: logger) { stores in
            let audit = AuditLog(store: stores.audit, logger: logger)
            let usage = try await KeyMaintenance(
                blobs: stores.tokenBlobs, pending: stores.pendingSignIns, keyring: disabled, audit: audit,
                logger: logger
            ).usage()
            let count = usage[id]?.total ?? 0
            if count > 0 && !force { return count }
            await audit.record(
                AuditEvent(
                    "keys.disable", details: ["key_id": "\(id)", "still_in_use": "\(count)", "forced": "\(force)"]))
            return -count - 1
        }
        if inUse >= 0 {
            throw VaultError.keyringInvalid(
                "\(inUse) stored token(s) still use key \(id); run `graphgate keys rewrap` first (or --force)")
        }
        try KeyringFile.write(keyring, to: path)
        return -inUse - 1
    }

    /// Undoes `disable`: the key decrypts again (decrypt-only; it does not become primary). Audited.
    public static func enable(config: GraphGateConfig, id: UInt32, logger: Logger) async throws {
        let path = keyringPath(config)
        var keyring = try KeyringFile.load(from: path)
        try keyring.enable(id: id)
        try await CommandRoot.withStores(config: config, logger: logger) { stores in
            await AuditLog(store: stores.audit, logger: logger).record(
                AuditEvent("keys.enable", details: ["key_id": "\(id)"]))
        }
        try KeyringFile.write(keyring, to: path)
    }

    static func loadKeyring(_ config: GraphGateConfig) throws -> Keyring {
        if let value = config.keyringKey, !value.isEmpty { return try Keyring(environmentValue: value) }
        return try KeyringFile.load(from: keyringPath(config))
    }
}

// libFuzzer target: the token vault's envelope parser (`version ‖ key id ‖ nonce ‖ ciphertext ‖ tag`) and keyring
// parsers on arbitrary bytes. Every input is (1) opened as a stored blob, (2) sealed as a plaintext and opened
// back, tampered and re-bound, and (3) parsed as a keyring file and as GRAPHGATE_KEYRING_KEY.
//
// The keys are throwaway test keys derived from fixed labels (no real secret). With GRAPHGATE_FUZZ_WRITE_SEEDS=DIR
// the binary writes its seed corpus (real envelopes under these keys) into DIR and exits.
import Crypto
import Foundation
import FuzzSupport
import TokenVault

enum Target {
    static func key(_ id: UInt32, _ status: KeyringKey.Status) -> KeyringKey {
        KeyringKey(
            id: id, status: status, createdAt: 0,
            material: SymmetricKey(data: SHA256.hash(data: Data("graphgate fuzz throwaway key \(id)".utf8))))
    }

    /// Key 1 primary, key 2 decrypt-only, key 3 disabled.
    static let keyring = try! Keyring(keys: [key(1, .primary), key(2, .decryptOnly), key(3, .disabled)])
    static let envelope = TokenEnvelope(keyring: keyring)
    static let binding = TokenBinding(userId: "fuzz-user", accountId: "fuzz-account", kind: "refresh")
    static let otherBinding = TokenBinding(userId: "fuzz-user-2", accountId: "fuzz-account", kind: "refresh")
    /// Every sealed seed starts with this; anything else that opens was forged.
    static let seedPrefix = "fuzz-seed-"

    static func run(_ blob: Data) {
        openStored(blob)
        if blob.count <= 4096 { roundTrip(String(decoding: blob, as: UTF8.self), salt: blob.count) }
        parseKeyrings(blob)
    }

    /// A blob read from the store: it opens only if it is one of our sealed seeds, under key 1 or 2, for its row.
    static func openStored(_ blob: Data) {
        let keyId = try? TokenEnvelope.keyId(of: blob)
        Fuzz.require((TokenEnvelope.nonce(of: blob) == nil) == (blob.count < 33), "nonce(of:) disagrees with length")
        if keyId != nil {
            Fuzz.require(blob.count >= 33 && blob.first == TokenEnvelope.version, "keyId(of:) accepted a short blob")
        }
        do {
            let plaintext = try envelope.open(blob, for: binding)
            Fuzz.require(plaintext.hasPrefix(seedPrefix), "a blob that is not a sealed seed opened")
            Fuzz.require(keyId == 1 || keyId == 2, "a blob opened under key \(String(describing: keyId))")
            do {
                _ = try envelope.open(blob, for: otherBinding)
                Fuzz.require(false, "a blob opened for another user's row")
            } catch {
                Fuzz.require(error == .decryptionFailed, "another row's blob failed with \(error), not authentication")
            }
        } catch {
            switch error {
            case .malformedEnvelope, .decryptionFailed: break
            case .unknownKey(let id): Fuzz.require(keyring.key(id: id) == nil, "a known key \(id) was called unknown")
            case .keyDisabled(let id): Fuzz.require(id == 3, "key \(id) was called disabled")
            default: Fuzz.require(false, "open failed with an unexpected error \(error)")
            }
        }
    }

    /// Sealing any text opens back to it; the blob fails for another row and after any one-byte change.
    static func roundTrip(_ plaintext: String, salt: Int) {
        do {
            let sealed = try envelope.seal(plaintext, for: binding)
            Fuzz.require(
                sealed.keyId == 1 && (try? TokenEnvelope.keyId(of: sealed.blob)) == 1, "sealed with a non-primary key")
            Fuzz.require(sealed.blob.count == 33 + plaintext.utf8.count, "the envelope has a wrong length")
            let opened = try envelope.open(sealed.blob, for: binding)
            Fuzz.require(opened == plaintext, "the round trip changed the text")
            Fuzz.require((try? envelope.open(sealed.blob, for: otherBinding)) == nil, "opened for another row")
            var tampered = sealed.blob
            let index = tampered.startIndex + salt % tampered.count
            tampered[index] ^= UInt8(truncatingIfNeeded: salt | 1)
            Fuzz.require((try? envelope.open(tampered, for: binding)) == nil, "a tampered blob opened")
            Fuzz.require((try? envelope.open(sealed.blob.dropLast(), for: binding)) == nil, "a truncated blob opened")
        } catch {
            Fuzz.require(false, "sealing or opening a fresh envelope failed: \(error)")
        }
    }

    /// Keyring files and GRAPHGATE_KEYRING_KEY values parse or fail with a typed error; what parses round-trips.
    static func parseKeyrings(_ data: Data) {
        if let parsed = try? Keyring(parsing: data) {
            Fuzz.require((try? Keyring(parsing: parsed.serialized())) == parsed, "a keyring file does not round-trip")
        }
        if let parsed = try? Keyring(environmentValue: String(decoding: data, as: UTF8.self)) {
            Fuzz.require(
                (try? Keyring(environmentValue: parsed.environmentValue))?.keys.map(\.id) == parsed.keys.map(\.id),
                "a GRAPHGATE_KEYRING_KEY value does not round-trip")
        }
    }

    /// Writes the seed corpus: sealed envelopes under keys 1–3, broken ones, and keyring documents.
    static func writeSeeds(to directory: String) throws {
        let url = URL(fileURLWithPath: directory)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        func write(_ name: String, _ data: Data) throws { try data.write(to: url.appendingPathComponent(name)) }
        let texts = [
            "access-eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoIn0.c2ln",
            "refresh-0.AXYA1n2-fake-refresh-token", "", "ünïcødé-✓",
        ]
        for (index, text) in texts.enumerated() {
            try write("envelope-key1-\(index)", try envelope.seal(seedPrefix + text, for: binding).blob)
        }
        for (id, status) in [(UInt32(2), KeyringKey.Status.decryptOnly), (3, .disabled)] {
            let only = TokenEnvelope(keyring: try Keyring(keys: [key(id, .primary)]))
            let blob = try only.seal(seedPrefix + "key\(id)", for: binding).blob
            try write("envelope-key\(id)-\(status.rawValue)", blob)
        }
        let blob = try envelope.seal(seedPrefix + "broken", for: binding).blob
        try write("envelope-truncated", blob.prefix(40))
        try write("envelope-header-only", blob.prefix(33))
        try write("envelope-version-2", Data([2]) + blob.dropFirst())
        try write("envelope-unknown-key", Data([1, 0, 0, 0, 9]) + blob.dropFirst(5))
        try write("keyring-file.json", keyring.serialized())
        try write("keyring-env.txt", Data(keyring.environmentValue.utf8))
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutableRawPointer, _ argv: UnsafeMutableRawPointer) -> Int32 {
    if let directory = ProcessInfo.processInfo.environment["GRAPHGATE_FUZZ_WRITE_SEEDS"] {
        do {
            try Target.writeSeeds(to: directory)
            exit(0)
        } catch {
            fatalError("cannot write seeds: \(error)")
        }
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    Target.run(Fuzz.data(bytes, size))
    return 0
}

import Foundation
import Testing
import TokenVault

@Suite("Vault envelope")
struct VaultEnvelopeTests {
    let alice = TokenBinding(userId: "user-a", accountId: "acct-a", kind: "refresh")
    let bob = TokenBinding(userId: "user-b", accountId: "acct-b", kind: "refresh")

    @Test func roundTripAndFormat() throws {
        let envelope = TokenEnvelope(keyring: Keyring.generate())
        let sealed = try envelope.seal("secret-token-value", for: alice)
        #expect(sealed.keyId == 1)
        #expect(sealed.blob.count == 5 + 12 + "secret-token-value".utf8.count + 16)
        #expect(sealed.blob[0] == TokenEnvelope.version)
        #expect(try TokenEnvelope.keyId(of: sealed.blob) == 1)
        #expect(sealed.blob.range(of: Data("secret-token-value".utf8)) == nil)
        #expect(try envelope.open(sealed.blob, for: alice) == "secret-token-value")
    }

    @Test func blobMovedToAnotherRowFails() throws {
        let envelope = TokenEnvelope(keyring: Keyring.generate())
        let sealed = try envelope.seal("alice-refresh-token", for: alice)
        #expect(throws: VaultError.decryptionFailed) { try envelope.open(sealed.blob, for: bob) }
        var otherKind = alice
        otherKind.kind = "access"
        #expect(throws: VaultError.decryptionFailed) { try envelope.open(sealed.blob, for: otherKind) }
        var otherAccount = alice
        otherAccount.accountId = "acct-x"
        #expect(throws: VaultError.decryptionFailed) { try envelope.open(sealed.blob, for: otherAccount) }
    }

    @Test func everySingleBitFlipFails() throws {
        let envelope = TokenEnvelope(keyring: Keyring.generate())
        let sealed = try envelope.seal("tok", for: alice)
        var failures = 0
        for byte in 0..<sealed.blob.count {
            for bit in 0..<8 {
                var tampered = sealed.blob
                tampered[byte] ^= UInt8(1 << bit)
                do {
                    _ = try envelope.open(tampered, for: alice)
                } catch {
                    failures += 1
                }
            }
        }
        #expect(failures == sealed.blob.count * 8)
        // Truncation fails too, down to an empty blob.
        for length in 0..<sealed.blob.count {
            #expect(throws: VaultError.self) { try envelope.open(sealed.blob.prefix(length), for: alice) }
        }
    }

    @Test func oldKeyBlobsOpenAfterRotateAndDisabledKeysFailClosed() throws {
        var keyring = Keyring.generate()
        let old = try TokenEnvelope(keyring: keyring).seal("before-rotation", for: alice)
        let newId = keyring.rotate()
        #expect(newId == 2)
        #expect(keyring.primary.id == 2)
        #expect(keyring.key(id: 1)?.status == .decryptOnly)
        let rotated = TokenEnvelope(keyring: keyring)
        #expect(try rotated.open(old.blob, for: alice) == "before-rotation")
        let fresh = try rotated.seal("after-rotation", for: alice)
        #expect(fresh.keyId == 2)

        #expect(throws: VaultError.self) { try keyring.disable(id: 2) }  // the primary cannot be disabled
        try keyring.disable(id: 1)
        let disabled = TokenEnvelope(keyring: keyring)
        #expect(throws: VaultError.keyDisabled(keyId: 1)) { try disabled.open(old.blob, for: alice) }
        #expect(try disabled.open(fresh.blob, for: alice) == "after-rotation")
    }

    @Test func wrongKeyIdFails() throws {
        let envelope = TokenEnvelope(keyring: Keyring.generate())
        var blob = try envelope.seal("tok", for: alice).blob
        blob[4] = 9  // key id 9: not in the keyring
        #expect(throws: VaultError.unknownKey(keyId: 9)) { try envelope.open(blob, for: alice) }
        // Another keyring's key with the same id does not open it either.
        let other = TokenEnvelope(keyring: Keyring.generate())
        let sealed = try envelope.seal("tok", for: alice)
        #expect(throws: VaultError.decryptionFailed) { try other.open(sealed.blob, for: alice) }
    }

    @Test func hundredThousandEncryptionsRepeatNoNonce() throws {
        let envelope = TokenEnvelope(keyring: Keyring.generate())
        var nonces = Set<Data>()
        for _ in 0..<100_000 {
            let blob = try envelope.seal("x", for: alice).blob
            nonces.insert(try #require(TokenEnvelope.nonce(of: blob)))
        }
        #expect(nonces.count == 100_000)
    }
}

import Crypto
import CryptoExtras
import Foundation
import JSONText

/// Signs id_tokens with RS256 and publishes the key as a JWKS.
struct IDTokenSigner: Sendable {
    let keyId: String
    private let key: _RSA.Signing.PrivateKey

    init() {
        // Key generation only fails on platform misconfiguration; the tenant cannot run without a key.
        key = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
        keyId = Secrets.random(bytes: 16)
    }

    /// A compact JWS of `claims`.
    func sign(_ claims: JSONValue) -> String {
        let header: JSONValue = .object([("typ", "JWT"), ("alg", "RS256"), ("kid", .string(keyId))])
        let input =
            Base64URL.encode(Data(header.serialized().utf8)) + "." + Base64URL.encode(Data(claims.serialized().utf8))
        let signature =
            (try? key.signature(for: Data(input.utf8), padding: .insecurePKCS1v1_5)).map { Data($0.rawRepresentation) }
            ?? Data()
        return input + "." + Base64URL.encode(signature)
    }

    /// The key set served at `/{tenant}/discovery/v2.0/keys`.
    func jwks(issuer: String) -> JSONValue {
        let primitives = try? key.publicKey.getKeyPrimitives()
        return .object([
            (
                "keys",
                .array([
                    .object([
                        ("kty", "RSA"), ("use", "sig"), ("kid", .string(keyId)), ("x5t", .string(keyId)),
                        ("alg", "RS256"),
                        ("n", .string(Base64URL.encode(primitives?.modulus ?? Data()))),
                        ("e", .string(Base64URL.encode(primitives?.publicExponent ?? Data()))),
                        ("issuer", .string(issuer)),
                    ])
                ])
            )
        ])
    }
}

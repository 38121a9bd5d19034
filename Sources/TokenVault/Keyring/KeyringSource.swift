import Foundation
import Logging

/// Where the running server gets its keyring: the environment variable (containers), the configured file, or —
/// sandbox mode only — a file generated in the data directory. Production refuses to start without one.
public enum KeyringSource {
    public static let sandboxFileName = "graphgate-sandbox.keyring"

    public static func resolve(
        path: String?, environmentValue: String?, sandbox: Bool, dataDirectory: String, logger: Logger
    ) throws(VaultError) -> Keyring {
        if let environmentValue, !environmentValue.isEmpty {
            let keyring = try Keyring(environmentValue: environmentValue)
            logger.info("keyring loaded from GRAPHGATE_KEYRING_KEY", metadata: ["gg.keyring": "\(keyring)"])
            return keyring
        }
        if let path {
            let keyring = try KeyringFile.load(from: path)
            if KeyringFile.isTooOpen(path) {
                logger.warning(
                    "keyring file is readable by other users; chmod 600 it", metadata: ["gg.path": "\(path)"])
            }
            logger.info("keyring loaded", metadata: ["gg.path": "\(path)", "gg.keyring": "\(keyring)"])
            return keyring
        }
        guard sandbox else {
            throw .keyringMissing(
                "production mode needs GRAPHGATE_KEYRING (create one with `graphgate keys init`) or GRAPHGATE_KEYRING_KEY"
            )
        }
        let generated = URL(fileURLWithPath: dataDirectory).appendingPathComponent(sandboxFileName).path
        let keyring: Keyring
        do {
            keyring = try KeyringFile.create(at: generated)
        } catch .keyringExists {
            // Generated earlier, or by another instance starting at the same moment: the file is complete (it is
            // linked into place only after it is written), so both use the same keys.
            let keyring = try KeyringFile.load(from: generated)
            logger.info("sandbox mode: using the generated keyring", metadata: ["gg.path": "\(generated)"])
            return keyring
        }
        logger.notice(
            "sandbox mode: generated a keyring for Microsoft tokens at rest; set GRAPHGATE_KEYRING for production",
            metadata: ["gg.path": "\(generated)"])
        return keyring
    }
}

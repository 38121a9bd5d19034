import Foundation
import Logging

/// Reading and writing the keyring file: mode 0600, written atomically (temp file + rename), never overwritten by
/// `init`.
public enum KeyringFile {
    /// Creates a keyring file with one fresh primary key. Refuses if the file exists.
    @discardableResult
    public static func create(at path: String) throws(VaultError) -> Keyring {
        if FileManager.default.fileExists(atPath: path) { throw .keyringExists(path) }
        let keyring = Keyring.generate()
        try write(keyring, to: path, exclusive: true)
        return keyring
    }

    public static func load(from path: String) throws(VaultError) -> Keyring {
        guard FileManager.default.fileExists(atPath: path) else { throw .keyringMissing("no file at \(path)") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .keyringUnreadable("cannot read \(path) (permissions?)")
        }
        return try Keyring(parsing: data)
    }

    /// Whether the file can be read by group or others (the caller warns).
    public static func isTooOpen(_ path: String) -> Bool {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let mode = attributes[.posixPermissions] as? NSNumber
        else { return false }
        return mode.intValue & 0o077 != 0
    }

    /// Replaces the file atomically with mode 0600. With `exclusive`, fails if the file appeared meanwhile.
    public static func write(_ keyring: Keyring, to path: String, exclusive: Bool = false) throws(VaultError) {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .keyringUnreadable("cannot create directory \(directory)")
        }
        let temporary = directory + "/.\(url.lastPathComponent).\(UUID().uuidString).tmp"
        let data = keyring.serialized()
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw .keyringUnreadable("cannot write in \(directory)") }
        // A keyring replaced (rotate, disable) keeps its owner, group and mode: run as root, the new file would
        // otherwise be root's alone and the service (its group) could no longer read it after a restart.
        var existing = stat()
        if !exclusive, stat(path, &existing) == 0 {
            _ = fchown(fd, existing.st_uid, existing.st_gid)
            _ = fchmod(fd, existing.st_mode & 0o7777)
        }
        let written = data.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == data.count, synced == 0 else {
            unlink(temporary)
            throw .keyringUnreadable("cannot write \(temporary)")
        }
        if exclusive {
            // link(2) fails if the target exists: no window where an existing keyring is replaced.
            let linked = link(temporary, path)
            unlink(temporary)
            guard linked == 0 else {
                if errno == EEXIST { throw .keyringExists(path) }
                throw .keyringUnreadable("cannot create \(path)")
            }
        } else {
            guard rename(temporary, path) == 0 else {
                unlink(temporary)
                throw .keyringUnreadable("cannot replace \(path)")
            }
        }
    }
}

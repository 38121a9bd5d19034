import Foundation

/// Where one person's desktop graphgate keeps its files: `$XDG_DATA_HOME/graphgate` (else
/// `~/.local/share/graphgate`), or `--data-dir`; sandbox sign-ins live apart in its `sandbox/` subdirectory.
/// The directory is mode 0700; the SQLite store, keyring and settings in it are 0600.
public struct DesktopPaths: Sendable, Equatable {
    /// The directory of this mode (`…/graphgate` or `…/graphgate/sandbox`).
    public let directory: URL
    public let sandbox: Bool

    public var database: String { directory.appendingPathComponent("graphgate.sqlite").path }
    public var keyring: String { directory.appendingPathComponent("graphgate.keyring").path }
    public var settings: String { directory.appendingPathComponent("desktop.json").path }
    /// Every file a sign-in creates (SQLite's WAL and shared-memory files included).
    public var files: [String] { [database, database + "-wal", database + "-shm", keyring, settings] }

    public init(directory: URL, sandbox: Bool) {
        self.directory = directory
        self.sandbox = sandbox
    }

    /// The base directory from `--data-dir`, `XDG_DATA_HOME` (absolute paths only, as the XDG spec says) or `HOME`.
    public static func base(dataDirectory: String?, environment: [String: String]) throws(DesktopError) -> URL {
        if let dataDirectory, !dataDirectory.isEmpty {
            return URL(fileURLWithPath: dataDirectory).standardizedFileURL
        }
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            return URL(fileURLWithPath: xdg).appendingPathComponent("graphgate")
        }
        guard let home = environment["HOME"], home.hasPrefix("/") else {
            throw .files("cannot find a data directory: set HOME or XDG_DATA_HOME, or pass --data-dir")
        }
        return URL(fileURLWithPath: home).appendingPathComponent(".local/share/graphgate")
    }

    public static func resolve(
        dataDirectory: String?, sandbox: Bool, environment: [String: String]
    )
        throws(DesktopError) -> DesktopPaths
    {
        let base = try base(dataDirectory: dataDirectory, environment: environment)
        return DesktopPaths(directory: sandbox ? base.appendingPathComponent("sandbox") : base, sandbox: sandbox)
    }

    /// Whether a sign-in has left a store here.
    public var hasStore: Bool {
        FileManager.default.fileExists(atPath: database) && FileManager.default.fileExists(atPath: keyring)
    }

    /// Creates the directory (0700) and tightens it if it exists with wider permissions; creates the database file
    /// 0600 before SQLite does (SQLite gives its WAL files the database file's mode).
    func prepare() throws(DesktopError) {
        let manager = FileManager.default
        do {
            try manager.createDirectory(
                at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try manager.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory.path)
        } catch {
            throw .files("cannot create the data directory \(directory.path)")
        }
        let fd = open(database, O_WRONLY | O_CREAT, 0o600)
        guard fd >= 0 else { throw .files("cannot create \(database)") }
        close(fd)
        for file in [database, database + "-wal", database + "-shm"] where manager.fileExists(atPath: file) {
            try? manager.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        }
    }

    /// (device, inode) of the database file, or nil when it is gone: tells a running `stdio` that a logout or a new
    /// login replaced the store under it.
    var databaseIdentity: FileIdentity? { FileIdentity(path: database) }

    /// Removes every file of this mode, then the directory if nothing else is left in it.
    func removeAll() throws(DesktopError) {
        let manager = FileManager.default
        for file in files where manager.fileExists(atPath: file) {
            do {
                try manager.removeItem(atPath: file)
            } catch {
                throw .files("cannot remove \(file)")
            }
        }
        if let left = try? manager.contentsOfDirectory(atPath: directory.path), left.isEmpty {
            try? manager.removeItem(at: directory)
        }
    }
}

/// A file's identity on disk: a new file at the same path has a different one.
struct FileIdentity: Sendable, Equatable {
    let device: UInt64
    let inode: UInt64

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}

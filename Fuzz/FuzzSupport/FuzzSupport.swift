import Dispatch
import Foundation
import Logging
import SecurityOps
import Synchronization

/// Helpers shared by the libFuzzer targets (docs/fuzzing.md). Nothing here decides anything about the input:
/// the targets call graphgate's own entry points and only check properties of what comes back.
public enum Fuzz {
    /// The fuzz input as bytes.
    public static func data(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> Data {
        Data(bytes: bytes, count: size)
    }

    /// The fuzz input as text (invalid UTF-8 repaired, as a server decoding a request body would).
    public static func text(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> String {
        String(decoding: UnsafeBufferPointer(start: bytes, count: size), as: UTF8.self)
    }

    /// Stops the process so libFuzzer records the input as a crash when a property does not hold.
    public static func require(
        _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID,
        line: UInt = #line
    ) {
        if !condition() { fatalError("fuzz property violated: \(message())", file: file, line: line) }
    }

    /// Runs async work from libFuzzer's synchronous callback and waits for its result.
    public static func blocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
        let box = Box<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            let value = await body()
            box.value.withLock { $0 = value }
            done.signal()
        }
        done.wait()
        return box.value.withLock { $0! }
    }

    private final class Box<T: Sendable>: Sendable {
        let value = Mutex<T?>(nil)
    }

    /// A logger that drops everything (the targets run millions of calls).
    public static let silentLogger = Logger(label: "graphgate.fuzz") { _ in SwiftLogNoOpLogHandler() }
}

/// An audit recorder that keeps nothing.
public struct NullAudit: AuditRecorder {
    public init() {}
    public func record(_ event: AuditEvent) async {}
}

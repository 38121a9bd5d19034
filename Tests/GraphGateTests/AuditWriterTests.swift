import Foundation
import Logging
import SecurityOps
import Storage
import Synchronization
import Testing

/// The audit log's one writer: rows keep the order they were recorded in, a full queue makes `record` wait
/// (nothing is dropped), write-behind `record` returns before the row is written, and `flush` waits for it.
@Suite("Audit writer")
struct AuditWriterTests {
    static let logger = Logger(label: "test.audit-writer")

    static func event(_ n: Int) -> AuditEvent {
        AuditEvent("tool.call", userId: "user-\(n % 5)", clientId: "client", details: ["n": "\(n)"])
    }

    @Test("write-behind rows land in recorded order, concurrent ones too, and the chain verifies", arguments: TestDatabases.backends)
    func ordered(backend: Database.Backend) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            let store = SQLAuditStore(database: database)
            let log = AuditLog(store: store, logger: Self.logger, writeBehind: true, batchLimit: 7)
            for n in 1...300 { await log.record(Self.event(n)) }
            await withTaskGroup(of: Void.self) { group in
                for n in 301...400 { group.addTask { await log.record(Self.event(n)) } }
            }
            await log.flush()
            #expect(await log.backlog == 0)
            let rows = try await store.rows(after: 0, limit: 1000)
            #expect(rows.count == 400)
            #expect(rows.prefix(300).map(\.details) == (1...300).map { "{\"n\":\"\($0)\"}" })
            #expect(Set(rows.dropFirst(300).map(\.details)) == Set((301...400).map { "{\"n\":\"\($0)\"}" }))
            let result = try await AuditVerifier(store: store, key: nil).verify()
            #expect(result.isIntact, "\(result)")
            #expect(result.rowsVerified == 400)
        }
    }

    @Test("a full queue makes record wait until the writer makes room; every row is written, in order")
    func backpressure() async throws {
        let store = GatedAuditStore()
        let log = AuditLog(store: store, logger: Self.logger, writeBehind: true, capacity: 3, batchLimit: 1)
        await log.record(Self.event(1))
        try await store.waitForAppendStarted()
        for n in 2...4 { await log.record(Self.event(n)) }  // the queue is now full (row 1 is being written)
        let fifthReturned = Flag()
        let fifth = Task {
            await log.record(Self.event(5))
            fifthReturned.set()
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(!fifthReturned.isSet, "record returned although the queue was full")
        #expect(await log.backlog == 4)
        await store.open()
        await fifth.value
        await log.flush()
        #expect(await store.details() == (1...5).map { "{\"n\":\"\($0)\"}" })
    }

    @Test("write-behind record returns before the row is written; flush returns after it")
    func flushWaits() async throws {
        let store = GatedAuditStore()
        let log = AuditLog(store: store, logger: Self.logger, writeBehind: true)
        for n in 1...3 { await log.record(Self.event(n)) }  // returns although the store does not answer
        #expect(await store.details().isEmpty)
        let flushed = Flag()
        let flush = Task {
            await log.flush()
            flushed.set()
        }
        try await Task.sleep(for: .milliseconds(200))
        #expect(!flushed.isSet, "flush returned before the rows were written")
        await store.open()
        await flush.value
        #expect(await store.details().count == 3)
    }

    @Test("durable mode (command-line tools) returns from record only once the row is written")
    func durable() async throws {
        let store = GatedAuditStore()
        let log = AuditLog(store: store, logger: Self.logger)
        let returned = Flag()
        let record = Task {
            await log.record(Self.event(1))
            returned.set()
        }
        try await store.waitForAppendStarted()
        try await Task.sleep(for: .milliseconds(100))
        #expect(!returned.isSet)
        await store.open()
        await record.value
        #expect(await store.details() == ["{\"n\":\"1\"}"])
    }
}

/// Set once a task got past an `await` (a Mutex, so `#expect` can read it).
private final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}

/// An audit store whose appends wait until `open()`, keeping the rows in memory (hash chained like the real one).
private actor GatedAuditStore: AuditStore {
    private var rows: [AuditRow] = []
    private var isOpen = false
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private var appendsStarted = 0

    func open() {
        isOpen = true
        for continuation in waiting { continuation.resume() }
        waiting = []
    }

    func details() -> [String] { rows.map(\.details) }

    func waitForAppendStarted() async throws {
        for _ in 0..<200 where appendsStarted == 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(appendsStarted > 0, "the writer never started an append")
    }

    func append(
        _ batch: [AuditRow], hash: @escaping @Sendable (String, AuditRow) -> String
    ) async throws(StorageError) -> [AuditRow] {
        appendsStarted += 1
        if !isOpen { await withCheckedContinuation { waiting.append($0) } }
        var previous = rows.last?.hash ?? SQLAuditStore.genesisHash
        var written: [AuditRow] = []
        for var row in batch {
            row.seq = Int64(rows.count + 1)
            row.hash = hash(previous, row)
            previous = row.hash
            rows.append(row)
            written.append(row)
        }
        return written
    }

    func head() async throws(StorageError) -> (seq: Int64, hash: String) {
        (Int64(rows.count), rows.last?.hash ?? SQLAuditStore.genesisHash)
    }
    func rows(after: Int64, limit: Int) async throws(StorageError) -> [AuditRow] {
        Array(rows.filter { $0.seq > after }.prefix(limit))
    }
    func recent(userId: String?, limit: Int) async throws(StorageError) -> [AuditRow] { [] }
    func recent(typePrefixes: [String], failedTypes: [String], limit: Int) async throws(StorageError) -> [AuditRow] {
        []
    }
    func lastActivity(
        userIds: [String], window: Int, excludingPrefixes: [String]
    ) async throws(StorageError) -> [String: Int64] { [:] }
    func stats() async throws(StorageError) -> (count: Int64, maxSeq: Int64) {
        (Int64(rows.count), Int64(rows.count))
    }
    func pruneAnchor() async throws(StorageError) -> (seq: Int64, hash: String)? { nil }
    func addSignedHead(_ head: AuditSignedHead) async throws(StorageError) {}
    func signedHeads(limit: Int) async throws(StorageError) -> [AuditSignedHead] { [] }
}

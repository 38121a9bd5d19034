import Foundation
import Logging
import Synchronization

/// MCP over stdio (`graphgate stdio`): one JSON-RPC message per line on stdin, answers one per line on stdout,
/// both eras on the same core.
///
/// A request whose `_meta` names a protocol version is 2026-07-28 (stateless, checked per request, no headers);
/// `initialize` starts the handshake era for this connection, whose version and capabilities then apply to the
/// requests without `_meta`. Each request runs in its own task, so while a handshake-era tool call waits for the
/// answer to its `elicitation/create`, the reader goes on and hands that answer over. `notifications/cancelled`
/// cancels the request it names, whose answer is then not sent (the specification says no further message).
public final class MCPStdioServer: Sendable {
    let core: MCPCore
    let principal: MCPPrincipal
    let logger: Logger
    private let output: @Sendable ([UInt8]) -> Void
    private let handshake = Mutex<(version: String, capabilities: Value)?>(nil)
    private let waiting = Mutex<[JSONRPCID: CheckedContinuation<ElicitationAnswer, Never>]>([:])
    /// Numbers the questions asked (`elicitation/create` ids).
    private let questions = Atomic<Int>(0)
    private let running = InFlightRequests<JSONRPCID>()

    /// Longest line accepted (as the HTTP body cap); a longer one is answered with a parse error and skipped.
    public static let maxLineBytes = 512 * 1024

    /// - Parameter output: writes one complete line (the transport serializes calls).
    public init(
        core: MCPCore, principal: MCPPrincipal, logger: Logger,
        output: @escaping @Sendable ([UInt8]) -> Void = MCPStdioServer.standardOutput
    ) {
        self.core = core
        self.principal = principal
        self.logger = logger
        self.output = output
    }

    /// Writes to stdout under a lock (whole lines never interleave).
    public static let standardOutput: @Sendable ([UInt8]) -> Void = { bytes in
        stdoutLock.withLock { _ in FileHandle.standardOutput.write(Data(bytes)) }
    }

    private static let stdoutLock = Mutex(())

    /// Serves until `lines` ends (stdin closed), then waits for the calls in flight. A discarding group frees each
    /// call's task as soon as it ends (a plain task group keeps every finished child until it is awaited).
    public func serve<Lines: AsyncSequence<[UInt8], Never>>(_ lines: Lines) async {
        await withDiscardingTaskGroup { group in
            for await line in lines {
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                guard line.count <= Self.maxLineBytes else {
                    send(JSONRPCMessage.error(.parseError("Parse error: the line is longer than 512 KiB"), id: nil))
                    continue
                }
                switch JSONRPCMessage.parse(line) {
                case .failure(let failure):
                    send(JSONRPCMessage.error(failure.error, id: failure.id))
                case .success(.notification(let method, let params)):
                    if let refusal = JSONRPCMessage.missingId(method) {
                        send(JSONRPCMessage.error(refusal, id: nil))
                    } else if let id = JSONRPCMessage.cancelledRequest(method: method, params: params) {
                        running.cancel(id)
                    }
                case .success(.response(let id, let result)):
                    let continuation = waiting.withLock { $0.removeValue(forKey: id) }
                    switch result {
                    case .success(let value): continuation?.resume(returning: MCPCore.answer(value))
                    case .failure: continuation?.resume(returning: .unsupported)
                    }
                case .success(.request(let request)):
                    group.addTask { await self.run(request) }
                }
            }
            // stdin closed: nobody can answer a question any more.
            for continuation in waiting.withLock({ state in
                defer { state.removeAll() }; return Array(state.values)
            }) {
                continuation.resume(returning: .unsupported)
            }
        }
    }

    /// Answers `request` unless a `notifications/cancelled` for its id arrives first: then its task is cancelled
    /// and nothing is sent for it (unless its change had already gone to Graph and went through: then its result).
    private func run(_ request: JSONRPCRequest) async {
        let answer = await running.run(request.id, done: { MCPCore.isCompletedToolCall($0["result"]) }) {
            await self.handle(request)
        }
        if let answer { send(answer) }
    }

    /// The answer to one request.
    func handle(_ request: JSONRPCRequest) async -> Value {
        if MCPEnvelope.claimsModern(request) {
            switch MCPEnvelope.check(request, headers: nil) {
            case .failure(let error): return JSONRPCMessage.error(error, id: request.id)
            case .success(let envelope):
                let context = MCPRequestContext(
                    principal: principal, era: .modern(version: envelope.version),
                    clientCapabilities: envelope.clientCapabilities)
                return Self.message(await core.respond(to: request, context: context), id: request.id)
            }
        }
        if request.method == "initialize" {
            switch core.initialize(request) {
            case .failure(let error): return JSONRPCMessage.error(error, id: request.id)
            case .success(let result):
                handshake.withLock { $0 = (result.version, result.clientCapabilities) }
                return JSONRPCMessage.result(result.result, id: request.id)
            }
        }
        guard let (version, capabilities) = handshake.withLock({ $0 }) else {
            // The lifecycle allows a ping before initialize (a client checking the process is alive).
            if request.method == "ping" { return JSONRPCMessage.result([:], id: request.id) }
            return JSONRPCMessage.error(
                .invalidRequest("Invalid request: send initialize first, or a 2026-07-28 request with params._meta"),
                id: request.id)
        }
        let context = MCPRequestContext(
            principal: principal, era: .handshake(version: version), clientCapabilities: capabilities,
            askInBand: { [self] question in await ask(question) })
        return Self.message(await core.respond(to: request, context: context), id: request.id)
    }

    /// Sends `elicitation/create` and waits for the client's answer (until stdin closes, or the timeout).
    private func ask(_ question: Elicitation) async -> ElicitationAnswer {
        let id = JSONRPCID.string("gg-\(questions.add(1, ordering: .relaxed).newValue)")
        let timeout = core.configuration.elicitationTimeout
        let timer = Task { [self] in
            try? await Task.sleep(for: timeout)
            waiting.withLock { $0.removeValue(forKey: id) }?.resume(returning: .unsupported)
        }
        defer { timer.cancel() }
        // A request cancelled while it waits (`notifications/cancelled`) stops waiting: unanswered counts as no.
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                waiting.withLock { $0[id] = continuation }
                if Task.isCancelled {
                    waiting.withLock { $0.removeValue(forKey: id) }?.resume(returning: .unsupported)
                    return
                }
                send(JSONRPCMessage.request("elicitation/create", params: MCPCore.elicitationParams(question), id: id))
            }
        } onCancel: {
            waiting.withLock { $0.removeValue(forKey: id) }?.resume(returning: .unsupported)
        }
    }

    private static func message(_ result: Result<Value, JSONRPCError>, id: JSONRPCID) -> Value {
        switch result {
        case .success(let value): JSONRPCMessage.result(value, id: id)
        case .failure(let error): JSONRPCMessage.error(error, id: id)
        }
    }

    private func send(_ message: Value) {
        output(JSONWriter.bytes(message) + [0x0A])
    }
}

/// Lines of a file descriptor (stdin), read by one blocking thread; each line without its `\n`.
public struct FileLines: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    let stream: AsyncStream<[UInt8]>

    public init(fileDescriptor: Int32 = 0) {
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .unbounded)
        self.stream = stream
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            var line: [UInt8] = []
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fileDescriptor, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
                var start = 0
                for index in 0..<count where buffer[index] == 0x0A {
                    line.append(contentsOf: buffer[start..<index])
                    continuation.yield(line)
                    line.removeAll(keepingCapacity: true)
                    start = index + 1
                }
                line.append(contentsOf: buffer[start..<count])
                // A line beyond the cap is cut here and reported as too long by the server.
                if line.count > MCPStdioServer.maxLineBytes + 1 {
                    line.removeLast(line.count - MCPStdioServer.maxLineBytes - 1)
                }
            }
            if !line.isEmpty { continuation.yield(line) }
            continuation.finish()
        }
        thread.start()
    }

    public func makeAsyncIterator() -> AsyncStream<[UInt8]>.Iterator { stream.makeAsyncIterator() }
}

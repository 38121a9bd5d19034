import Authorization
import Foundation
import GraphGateSettings
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SecurityOps
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Fetches Client ID Metadata Documents behind server-side request forgery guards:
///
/// - https only, on port 443 unless the host is listed with its port in `GRAPHGATE_CLIENT_METADATA_HOSTS`;
/// - with that setting, only listed hosts are fetched (and they may be loopback or private); without it, a host
///   is fetched only if every address it resolves to is public;
/// - graphgate resolves the name itself, checks the addresses, and connects to a checked address (so a second
///   DNS answer cannot swap in an internal one); TLS verifies the certificate for the name;
/// - one GET with no cookies or credentials, no redirects followed, 5 KiB at most, 5 seconds in all.
struct ClientMetadataHTTPSFetcher: ClientMetadataFetcher {
    static let maxBytes = 5 * 1024
    static let timeout = TimeAmount.seconds(5)

    let allowedHosts: Set<String>?
    let extraCA: String?
    let logger: Logger

    init(limits: LimitsConfig, logger: Logger) {
        allowedHosts = limits.clientMetadataHosts.map(Set.init)
        extraCA = limits.clientMetadataCA
        self.logger = logger
    }

    func fetch(_ url: URL) async throws(AuthorizationError) -> FetchedClientMetadata {
        guard url.scheme == "https", let host = url.host?.lowercased(), !host.isEmpty else {
            throw .invalidClient("the client's metadata document must be served over https")
        }
        let port = url.port ?? 443
        let listed = allowedHosts.map { $0.contains(host + ":\(port)") || (port == 443 && $0.contains(host)) }
        if listed == false {
            throw .invalidClient("this server does not fetch client metadata documents from that host")
        }
        if listed == nil, port != 443 {
            // Any other port of a public host would make graphgate a port prober for whoever registers.
            throw .invalidClient("the client's metadata document must be served on port 443")
        }
        do {
            // One deadline for the name lookup and every connection attempt, not only for the answer.
            return try await Self.within(Self.timeout) { [self] () async throws -> FetchedClientMetadata in
                let addresses = await Self.resolve(host: host, port: port)
                guard !addresses.isEmpty else {
                    throw AuthorizationError.invalidClient("the client's metadata host could not be resolved")
                }
                if listed != true, !addresses.allSatisfy({ Self.isPublic($0) }) {
                    throw AuthorizationError.invalidClient("the client's metadata host is not a public address")
                }
                return try await get(url: url, host: host, addresses: addresses)
            }
        } catch let error as AuthorizationError {
            throw error
        } catch let error as FetchError {
            throw error.authorizationError
        } catch {
            logger.notice("client metadata fetch failed", metadata: ["gg.error": "\(type(of: error))"])
            throw .invalidClient("the client's metadata document could not be fetched")
        }
    }

    private func get(url: URL, host: String, addresses: [SocketAddress]) async throws -> FetchedClientMetadata {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let extraCA { tls.additionalTrustRoots = [.file(extraCA)] }
        let context = try NIOSSLContext(configuration: tls)
        let isIPLiteral = (try? SocketAddress(ipAddress: host, port: 0)) != nil
        let group = MultiThreadedEventLoopGroup.singleton
        var lastError: (any Error)?
        for address in addresses.prefix(4) {
            let promise = group.any().makePromise(of: FetchedClientMetadata.self)
            do {
                let channel = try await ClientBootstrap(group: group)
                    .connectTimeout(.seconds(3))
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            let ssl = try NIOSSLClientHandler(
                                context: context, serverHostname: isIPLiteral ? nil : host)
                            try channel.pipeline.syncOperations.addHandler(ssl)
                            try channel.pipeline.syncOperations.addHTTPClientHandlers()
                            try channel.pipeline.syncOperations.addHandler(
                                DocumentCollector(promise: promise, maxBytes: Self.maxBytes))
                        }
                    }
                    .connect(to: address).get()
                let timeout = channel.eventLoop.scheduleTask(in: Self.timeout) {
                    promise.fail(FetchError.timedOut)
                    channel.close(promise: nil)
                }
                // As written in the client id: `url.path` would decode escapes and drop a trailing slash.
                let written = url.path(percentEncoded: true)
                var path = written.isEmpty ? "/" : written
                if let query = url.query(percentEncoded: true) { path += "?" + query }
                var headers = HTTPHeaders()
                headers.add(name: "Host", value: url.port.map { "\(host):\($0)" } ?? host)
                headers.add(name: "Accept", value: "application/json")
                headers.add(name: "User-Agent", value: "graphgate")
                headers.add(name: "Connection", value: "close")
                let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
                channel.write(HTTPClientRequestPart.head(head), promise: nil)
                channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
                defer {
                    timeout.cancel()
                    channel.close(promise: nil)
                }
                return try await promise.futureResult.get()
            } catch let error as FetchError {
                promise.fail(error)
                throw error.authorizationError
            } catch {
                promise.fail(error)
                lastError = error
            }
        }
        throw lastError ?? FetchError.timedOut
    }

    /// `work`'s result, or ``FetchError/timedOut`` once `limit` has passed; the work is then cancelled and left
    /// to end by itself (a name lookup in progress cannot be stopped).
    static func within<T: Sendable>(
        _ limit: TimeAmount, _ work: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let outcome = Mutex<CheckedContinuation<T, any Error>?>(nil)
        return try await withCheckedThrowingContinuation { continuation in
            outcome.withLock { $0 = continuation }
            let finish: @Sendable (Result<T, any Error>) -> Void = { result in
                outcome.withLock { $0.take() }?.resume(with: result)
            }
            let task = Task {
                do { finish(.success(try await work())) } catch { finish(.failure(error)) }
            }
            Task {
                try? await Task.sleep(for: .nanoseconds(limit.nanoseconds))
                task.cancel()
                finish(.failure(FetchError.timedOut))
            }
        }
    }

    enum FetchError: Error {
        case status(Int)
        case tooLarge
        case timedOut

        var authorizationError: AuthorizationError {
            switch self {
            case .status(let code) where (300..<400).contains(code):
                .invalidClient("the client's metadata document URL redirects (redirects are not followed)")
            case .status(let code): .invalidClient("the client's metadata document URL answered HTTP \(code)")
            case .tooLarge: .invalidClient("the client's metadata document is larger than 5 KiB")
            case .timedOut: .invalidClient("the client's metadata document did not arrive within 5 seconds")
            }
        }
    }

    /// Collects one response: status 200, at most `maxBytes` of body, `Cache-Control: max-age`.
    final class DocumentCollector: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPClientResponsePart
        let promise: EventLoopPromise<FetchedClientMetadata>
        let maxBytes: Int
        var body = ByteBuffer()
        var maxAge: Int?

        init(promise: EventLoopPromise<FetchedClientMetadata>, maxBytes: Int) {
            self.promise = promise
            self.maxBytes = maxBytes
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                guard head.status == .ok else { return fail(context, .status(Int(head.status.code))) }
                if let length = head.headers.first(name: "Content-Length").flatMap(Int.init), length > maxBytes {
                    return fail(context, .tooLarge)
                }
                maxAge = Self.maxAge(head.headers[canonicalForm: "Cache-Control"].map(String.init))
            case .body(var part):
                guard body.readableBytes + part.readableBytes <= maxBytes else { return fail(context, .tooLarge) }
                body.writeBuffer(&part)
            case .end:
                promise.succeed(FetchedClientMetadata(body: Data(buffer: body), maxAge: maxAge))
                context.close(promise: nil)
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            promise.fail(error)
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            promise.fail(ChannelError.eof)
            context.fireChannelInactive()
        }

        private func fail(_ context: ChannelHandlerContext, _ error: FetchError) {
            promise.fail(error)
            context.close(promise: nil)
        }

        /// Seconds from `max-age=N`; 0 for `no-store` or `no-cache`; nil when absent.
        static func maxAge(_ directives: [String]) -> Int? {
            var result: Int?
            for directive in directives.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) {
                if directive == "no-store" || directive == "no-cache" { return 0 }
                if directive.hasPrefix("max-age="), let seconds = Int(directive.dropFirst(8)) { result = seconds }
            }
            return result
        }
    }

    /// Every address `host` resolves to (IPv4 first), resolved off the event loops.
    static func resolve(host: String, port: Int) async -> [SocketAddress] {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var hints = addrinfo()
                hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
                var list: UnsafeMutablePointer<addrinfo>?
                guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
                    return continuation.resume(returning: [])
                }
                defer { freeaddrinfo(first) }
                var found: [SocketAddress] = []
                var cursor: UnsafeMutablePointer<addrinfo>? = first
                while let entry = cursor {
                    if let address = entry.pointee.ai_addr {
                        switch Int32(address.pointee.sa_family) {
                        case AF_INET:
                            address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                                found.append(SocketAddress($0.pointee, host: host))
                            }
                        case AF_INET6:
                            address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                                found.append(SocketAddress($0.pointee, host: host))
                            }
                        default: break
                        }
                    }
                    cursor = entry.pointee.ai_next
                }
                var seen = Set<String>()
                let unique = found.filter { seen.insert($0.description).inserted }
                continuation.resume(
                    returning: unique.filter { $0.protocol == .inet } + unique.filter { $0.protocol != .inet })
            }
        }
    }

    /// Whether an address is on the public internet (not loopback, private, link-local, shared, multicast,
    /// documentation or otherwise reserved; IPv4-mapped IPv6 judged as its IPv4).
    static func isPublic(_ address: SocketAddress) -> Bool {
        guard let ip = address.ipAddress, let bytes = ClientAddressResolver.bytes(of: ip) else { return false }
        if bytes.count == 4 {
            let (a, b) = (bytes[0], bytes[1])
            if a == 0 || a == 10 || a == 127 || a >= 224 { return false }
            if a == 100 && (64...127).contains(b) { return false }
            if a == 169 && b == 254 { return false }
            if a == 172 && (16...31).contains(b) { return false }
            if a == 192 && b == 168 { return false }
            if a == 192 && b == 0 && (bytes[2] == 0 || bytes[2] == 2) { return false }
            if a == 198 && (b == 18 || b == 19 || (b == 51 && bytes[2] == 100)) { return false }
            if a == 203 && b == 0 && bytes[2] == 113 { return false }
            return true
        }
        if bytes.allSatisfy({ $0 == 0 }) || bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return false }
        if bytes[0] & 0xfe == 0xfc { return false }  // fc00::/7 unique local
        if bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80 { return false }  // fe80::/10 link-local
        if bytes[0] == 0xff { return false }  // multicast
        if bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0d && bytes[3] == 0xb8 { return false }  // docs
        if bytes[0] == 0x00 && bytes[1] == 0x64 && bytes[2] == 0xff && bytes[3] == 0x9b { return false }  // NAT64
        if bytes[0] == 0x20 && bytes[1] == 0x02 { return false }  // 6to4 (embeds any IPv4)
        return bytes[0] & 0xe0 == 0x20  // global unicast 2000::/3
    }
}

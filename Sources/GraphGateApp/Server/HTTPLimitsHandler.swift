import HTTPTypes
import HummingbirdCore
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// The HTTP limits of one connection, enforced in the channel before a request reaches the router, so no route
/// reads a byte of a body it would refuse:
///
/// - a request head (request line and headers) larger than `maxHeaderBytes` gets 431;
/// - a body declared (`Content-Length`) or streamed past its route's limit gets 413 at once;
/// - a connection must deliver its first request's complete head within `headerTimeout` of opening, and each
///   later one within `keepAliveTimeout` of the previous response, so a client trickling headers (slowloris)
///   cannot hold it open.
///
/// Every refusal closes the connection a second later (the rest of an oversized body is read and dropped
/// meanwhile, never passed on).
final class HTTPLimitsHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let maxHeaderBytes: Int
    let headerTimeout: TimeAmount
    /// Between requests on a kept-alive connection, the next head must arrive within this (the idle timeout).
    let keepAliveTimeout: TimeAmount
    let bodyLimit: @Sendable (String) -> Int
    /// Plain HTTP/1.1 (refusals say `Connection: close`); false where the stream may be HTTP/2, which forbids it.
    let http1: Bool
    private var timer: Scheduled<Void>?
    private var refused = false
    private var bodyBytes = 0
    private var currentLimit = Int.max
    /// The current request's head arrived and its end has not; it already has (part of) its answer. A refusal
    /// of a request in that state only closes the connection.
    private var requestOpen = false
    private var answered = false

    init(
        maxHeaderBytes: Int, headerTimeout: TimeAmount, keepAliveTimeout: TimeAmount, http1: Bool = true,
        bodyLimit: @escaping @Sendable (String) -> Int
    ) {
        self.http1 = http1
        self.maxHeaderBytes = maxHeaderBytes
        self.headerTimeout = headerTimeout
        self.keepAliveTimeout = keepAliveTimeout
        self.bodyLimit = bodyLimit
    }

    /// The body limit of a path: 512 KiB for MCP messages, 16 KiB for every form and JSON endpoint.
    static func standardBodyLimit(path: String) -> Int {
        path == "/mcp" || path.hasPrefix("/mcp/") || path.hasPrefix("/mcp?") ? 512 * 1024 : 16 * 1024
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context, headerTimeout) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context, headerTimeout)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }

    /// An HTTP/1.1 client that closed its side went away: the connection is closed, which cancels the request in
    /// flight (`EventLoopBoundChannel`; MCP counts a disconnect as cancellation). The server allows half-closed
    /// connections, so without this a client's abort went unseen until the answer was written. HTTP/1.1 only,
    /// plain or over TLS (a connection has no parent channel); an HTTP/2 stream is a child channel whose input
    /// ends with every request.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if http1 || context.channel.parent == nil, let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            timer?.cancel()
            timer = nil
            if Self.headSize(head) > maxHeaderBytes { return refuse(context, .requestHeaderFieldsTooLarge) }
            let path = head.path ?? "/"
            currentLimit = bodyLimit(String(path.prefix { $0 != "?" }))
            bodyBytes = 0
            requestOpen = true
            answered = false
            if let declared = head.headerFields[.contentLength], let length = Int(declared), length > currentLimit {
                return refuse(context, .contentTooLarge)
            }
        case .body(let buffer):
            bodyBytes += buffer.readableBytes
            if bodyBytes > currentLimit { return refuse(context, .contentTooLarge) }
        case .end:
            requestOpen = false
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !refused else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        let part = unwrapOutboundIn(data)
        if case .head = part { answered = true }
        if case .end = part {
            context.write(data, promise: promise)
            arm(context, keepAliveTimeout)  // the next request's head must arrive in time too
            return
        }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let parserError = error as? HTTPParserError, !refused {
            return refuse(context, parserError == .headerOverflow ? .requestHeaderFieldsTooLarge : .badRequest)
        }
        context.fireErrorCaught(error)
    }

    private func refuse(_ context: ChannelHandlerContext, _ status: HTTPResponse.Status) {
        refused = true
        timer?.cancel()
        if requestOpen && answered {
            context.close(promise: nil)
            return
        }
        var fields: HTTPFields = [.contentType: "application/json"]
        if http1 { fields[.connection] = "close" }  // no next request on this connection
        let text =
            status == .contentTooLarge
            ? "the request body is larger than this endpoint accepts (\(currentLimit / 1024) KiB)"
            : status == .requestHeaderFieldsTooLarge
                ? "the request headers are larger than \(maxHeaderBytes / 1024) KiB" : "the request is malformed"
        let body = ByteBuffer(string: #"{"error":"invalid_request","error_description":"\#(text)"}"#)
        fields[.contentLength] = "\(body.readableBytes)"
        context.write(wrapOutboundOut(.head(HTTPResponse(status: status, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        // Linger a moment, reading and dropping what the client still sends: closing with unread data would
        // reset the connection, and the client could lose the answer.
        arm(context, .seconds(1))
    }

    private func arm(_ context: ChannelHandlerContext, _ timeout: TimeAmount) {
        timer?.cancel()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: timeout) {
            loopBound.value.close(promise: nil)
        }
    }

    /// Bytes of the head as sent: request line and `name: value\r\n` per field.
    static func headSize(_ head: HTTPRequest) -> Int {
        var size = head.method.rawValue.utf8.count + (head.path?.utf8.count ?? 0) + 12
        for field in head.headerFields { size += field.name.rawName.utf8.count + field.value.utf8.count + 4 }
        return size
    }
}

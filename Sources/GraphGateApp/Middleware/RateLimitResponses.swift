import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SecurityOps
import Storage

/// The 429 and 403 answers of the security gates: JSON for the web and OAuth endpoints, a JSON-RPC error for
/// `/mcp` (so MCP clients show the message instead of failing on an unexpected body).
enum SecurityResponses {
    /// - Parameter rpcID: the JSON text of the JSON-RPC request's id, when `/mcp` read it before refusing.
    static func tooManyRequests(
        _ decision: RateDecision, budget: String, path: String, rpcID: String = "null"
    ) -> Response {
        let message = "rate limit exceeded (\(budget)); retry after \(decision.retryAfterSeconds) s"
        var headers: HTTPFields = [.retryAfter: "\(decision.retryAfterSeconds)", .contentType: "application/json"]
        headers[.cacheControl] = "no-store"
        return Response(
            status: .tooManyRequests, headers: headers,
            body: .init(
                byteBuffer: ByteBuffer(
                    string: body(message, code: "rate_limited", mcp: path.hasPrefix("/mcp"), rpcID: rpcID))))
    }

    static func blocked(_ block: Block, path: String) -> Response {
        let until =
            block.blockedUntil.map { "until \(Date(timeIntervalSince1970: TimeInterval($0)).formatted(.iso8601))" }
            ?? "until an administrator lifts it"
        let message = "access is blocked \(until); contact your administrator"
        return Response(
            status: .forbidden, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: body(message, code: "blocked", mcp: path.hasPrefix("/mcp")))))
    }

    static func body(_ message: String, code: String, mcp: Bool, rpcID: String = "null") -> String {
        let text = message.replacingOccurrences(of: "\"", with: "'")
        if mcp {
            return
                #"{"jsonrpc":"2.0","id":\#(rpcID),"error":{"code":-32000,"message":"\#(text)","data":{"reason":"\#(code)"}}}"#
        }
        return #"{"error":"\#(code)","error_description":"\#(text)"}"#
    }
}

import Foundation
import Hummingbird
import NIOCore

/// Microsoft Graph v1.0: authentication, faults, throttling, the request log, and dispatch to resources.
struct GraphRoutes: Sendable {
    let core: TenantCore
    var state: TenantState { core.state }

    /// Whether a response is a normal reply or the connection should be dropped.
    func handle(_ request: inout Request, context: SandboxRequestContext) async -> Response {
        let requestId = Secrets.guid()
        let clientRequestId = request.header("client-request-id") ?? requestId
        var headers = HTTPFields()
        headers[HTTPReply.name("request-id")] = requestId
        headers[HTTPReply.name("client-request-id")] = clientRequestId
        headers[HTTPReply.name("x-ms-ags-diagnostic")] =
            "{\"ServerInfo\":{\"DataCenter\":\"Sandbox\",\"Slice\":\"E\",\"Ring\":\"1\",\"ScaleUnit\":\"000\",\"RoleInstance\":\"SANDBOX\"}}"
        func fail(_ e: GraphError) -> Response {
            var h = headers
            if let r = e.retryAfter { h[.retryAfter] = String(r) }
            if e.wwwAuthenticate {
                h[.wwwAuthenticate] =
                    "Bearer realm=\"\", authorization_uri=\"\(core.baseURL)/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\""
            }
            return HTTPReply.json(e.status, e.json(requestId: requestId, clientRequestId: clientRequestId), headers: h)
        }
        // Authentication.
        guard let auth = request.headers[.authorization], auth.lowercased().hasPrefix("bearer "),
            !auth.dropFirst(7).trimmingCharacters(in: .whitespaces).isEmpty
        else { return fail(.emptyToken) }
        let tokenText = String(auth.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        guard let token = state.withData({ $0.accessTokens[tokenText] }) else { return fail(.malformedToken) }
        guard token.expiresAt > Date() else { return fail(.expiredToken) }
        guard let caller = state.withData({ $0.directory.user(index: token.userIndex) }) else {
            return fail(.malformedToken)
        }

        // Target mailbox.
        let segments = Array(request.pathSegments.dropFirst())
        var rest: [String]
        var prefix: String
        var mailbox = caller
        if segments.first?.lowercased() == "me" {
            rest = Array(segments.dropFirst())
            prefix = "/v1.0/me"
        } else if segments.first?.lowercased() == "users", segments.count >= 2 {
            let id = segments[1]
            guard
                let target = state.withData({ $0.directory.user(id: id.lowercased()) ?? $0.directory.user(address: id) }
                )
            else {
                return fail(
                    GraphError(
                        status: 404, code: "Request_ResourceNotFound",
                        message:
                            "Resource '\(id)' does not exist or one of its queried reference-property objects are not present."
                    ))
            }
            mailbox = target
            rest = Array(segments.dropFirst(2))
            prefix = "/v1.0/users/\(id)"
        } else {
            return fail(.segmentNotFound(segments.first ?? ""))
        }

        // Throttling (per mailbox) and injected faults.
        let limits = core.configuration
        let now = Date()
        let throttle: GraphError? = state.withData { d -> GraphError? in
            if d.faults.throttleNextRequests > 0 {
                d.faults.throttleNextRequests -= 1
                return GraphError.throttled(retryAfter: d.faults.retryAfterSeconds, concurrency: true)
                    .replacingMessage(d.faults.errorMessage)
            }
            if d.faults.failNextRequests > 0 {
                d.faults.failNextRequests -= 1
                return GraphError.injected(status: d.faults.failNextStatus).replacingMessage(d.faults.errorMessage)
            }
            var b = d.budgets[mailbox.index] ?? (now, 0)
            if now.timeIntervalSince(b.start) > Double(limits.mailboxBudgetWindow) { b = (now, 0) }
            b.count += 1
            d.budgets[mailbox.index] = b
            if b.count > limits.mailboxRequestBudget {
                let wait = Int(Double(limits.mailboxBudgetWindow) - now.timeIntervalSince(b.start)) + 1
                return .throttled(retryAfter: max(1, wait), concurrency: false)
            }
            if d.inflight[mailbox.index, default: 0] >= limits.mailboxConcurrencyLimit {
                return .throttled(retryAfter: 1, concurrency: true)
            }
            d.inflight[mailbox.index, default: 0] += 1
            return nil
        }
        let entryIndex = state.withData { d -> Int in
            d.requestLog.append(
                RequestLogEntry(
                    time: now, requestId: requestId, tokenUser: caller.id, mailbox: mailbox.id,
                    clientId: token.clientId,
                    tokenFingerprint: String(Secrets.sha256Base64URL(tokenText).prefix(12)),
                    method: request.method.rawValue,
                    path: request.uri.path, status: 0))
            if d.requestLog.count > 200_000 { d.requestLog.removeFirst(d.requestLog.count - 200_000) }
            return d.requestLog.count - 1
        }
        func logged(_ r: Response) -> Response {
            state.withData { d in
                if entryIndex < d.requestLog.count, d.requestLog[entryIndex].requestId == requestId {
                    d.requestLog[entryIndex].status = Int(r.status.code)
                }
            }
            return r
        }
        if let throttle { return logged(fail(throttle)) }
        defer { state.withData { $0.inflight[mailbox.index, default: 1] -= 1 } }

        let faults = state.withData { $0.faults }
        if faults.latencyMilliseconds > 0 { try? await Task.sleep(for: .milliseconds(faults.latencyMilliseconds)) }
        if let injected = FaultDice.roll(faults) {
            switch injected {
            case .drop:
                context.channel.close(promise: nil)
                return logged(HTTPReply.empty(500))
            case .throttle:
                return logged(
                    fail(
                        GraphError.throttled(retryAfter: faults.retryAfterSeconds, concurrency: true)
                            .replacingMessage(faults.errorMessage)))
            case .unavailable:
                return logged(
                    fail(
                        GraphError.unavailable(retryAfter: faults.retryAfterSeconds).replacingMessage(
                            faults.errorMessage)))
            case .timeout:
                return logged(
                    fail(
                        GraphError.gatewayTimeout(retryAfter: faults.retryAfterSeconds).replacingMessage(
                            faults.errorMessage)))
            }
        }

        // Delegated tokens only reach their own user's mailbox.
        if mailbox.id != caller.id { return logged(fail(.accessDenied)) }

        do {
            let prefer = GraphCall.preferences(request.headers[values: HTTPReply.name("Prefer")])
            var body: JSONValue? = nil
            if request.method == .post || request.method == .patch || request.method == .put {
                guard let data = await request.bodyData() else {
                    throw GraphError(
                        status: 413, code: "ErrorRequestEntityTooLarge",
                        message: "The request exceeds the maximum supported size.")
                }
                if !data.isEmpty {
                    guard let parsed = JSONValue.parse(data) else {
                        throw GraphError.badRequest(
                            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format."
                        )
                    }
                    body = parsed
                }
            }
            let zoneName = prefer["outlook.timezone"]
            let zone = zoneName.flatMap(TimeZones.zone)
            if zoneName != nil && zone == nil {
                throw GraphError.badRequest(
                    "The specified time zone '\(zoneName!)' is not supported.", code: "TimeZoneNotSupportedException")
            }
            let call = GraphCall(
                method: request.method, user: mailbox, token: token, rest: rest, prefix: prefix,
                query: try ODataQuery(request.queryItems), body: body,
                bodyAsText: prefer["outlook.body-content-type"]?.lowercased() == "text",
                immutableIds: prefer["idtype"]?.lowercased() == "immutableid",
                timeZoneName: zone == nil ? nil : zoneName,
                timeZone: zone)
            var response = try dispatch(call)
            for field in headers { response.headers[field.name] = field.value }
            let applied = call.preferencesApplied
            if !applied.isEmpty {
                response.headers[HTTPReply.name("Preference-Applied")] = applied.joined(separator: ",")
            }
            return logged(response)
        } catch let e as GraphError {
            return logged(fail(e))
        } catch {
            return logged(
                fail(GraphError(status: 500, code: "generalException", message: "An internal error occurred.")))
        }
    }

    private func dispatch(_ call: GraphCall) throws -> Response {
        let r = call.rest.map { $0 }
        guard let head = r.first else {
            guard call.method == .get else { throw GraphError.methodNotAllowed }
            try call.require("User.Read", "User.ReadWrite", "User.ReadBasic.All")
            return HTTPReply.json(200, call.user.json().selecting(call.query.select, keep: ["@odata.context", "id"]))
        }
        switch head.lowercased() {
        case "mailfolders", "messages", "sendmail": return try mail(call)
        case "calendarview", "events", "calendar": return try calendar(call)
        case "contacts": return try contacts(call)
        default: throw GraphError.segmentNotFound(head)
        }
    }
}

extension JSONValue {
    /// Applies `$select`: only the named properties (plus the kept ones); nil keeps everything.
    func selecting(_ fields: [String]?, keep: Set<String> = ["id", "@odata.etag"]) -> JSONValue {
        guard let fields, case .object(let pairs) = self else { return self }
        let wanted = Set(fields.map { $0.lowercased() })
        return .object(pairs.filter { keep.contains($0.0) || wanted.contains($0.0.lowercased()) })
    }

    /// Throws Graph's "Could not find a property" error for unknown `$select` names.
    func validateSelect(_ fields: [String]?, type: String) throws(GraphError) {
        guard let fields, case .object(let pairs) = self else { return }
        let known = Set(pairs.map { $0.0.lowercased() })
        for f in fields where !known.contains(f.lowercased()) {
            throw GraphError.badRequest(
                "Could not find a property named '\(f)' on type 'microsoft.graph.\(type)'.",
                code: "RequestBroker--ParseUri")
        }
    }
}

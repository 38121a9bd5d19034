import Foundation
import Hummingbird

extension IdentityRoutes {
    /// `POST /{tenant}/oauth2/v2.0/devicecode`.
    func deviceCode(form: [String: String]) throws(IdentityError) -> Response {
        guard let clientId = form["client_id"], !clientId.isEmpty else { throw .missingParameter("client_id") }
        guard let client = RegisteredClient.find(clientId, core.configuration) else { throw .unknownClient(clientId) }
        let scopes: Set<String>
        switch Scopes.parse(form["scope"] ?? "") {
        case .success(let s) where !s.isEmpty: scopes = s
        case .success: throw .missingParameter("scope")
        case .failure(let e): throw .invalidScope(e.scope)
        }
        let alphabet = Array("BCDFGHJKLMNPQRSTVWXZ23456789")
        var g = SystemRandomNumberGenerator()
        let userCode = String((0..<9).map { _ in alphabet.randomElement(using: &g)! })
        let deviceCode = "DAQABAAEAAA" + Secrets.random(bytes: 96)
        let lifetime = core.configuration.deviceCodeLifetime
        core.state.withData { d in
            d.deviceCodes[deviceCode] = DeviceCodeRecord(
                deviceCode: deviceCode, userCode: userCode, clientId: client.id, scopes: scopes,
                expiresAt: Date().addingTimeInterval(Double(lifetime)))
        }
        let uri = "\(core.baseURL)/devicelogin"
        return HTTPReply.json(
            200,
            .object([
                ("user_code", .string(userCode)),
                ("device_code", .string(deviceCode)),
                ("verification_uri", .string(uri)),
                ("expires_in", .int(lifetime)),
                ("interval", .int(core.configuration.deviceCodeInterval)),
                (
                    "message",
                    .string(
                        "To sign in, use a web browser to open the page \(uri) and enter the code \(userCode) to authenticate."
                    )
                ),
            ]))
    }

    func redeemDeviceCode(form: [String: String], client: RegisteredClient) throws(IdentityError) -> JSONValue {
        guard let code = form["device_code"] ?? form["code"], !code.isEmpty else {
            throw .missingParameter("device_code")
        }
        let record = try core.state.withData { d throws(IdentityError) -> DeviceCodeRecord in
            guard let r = d.deviceCodes[code], r.clientId == client.id else { throw .badDeviceCode }
            if r.expiresAt < Date() { throw .deviceCodeExpired }
            switch r.status {
            case .pending: throw .authorizationPending
            case .declined: throw .deviceDeclined
            case .redeemed: throw .badDeviceCode
            case .approved: d.deviceCodes[code]?.status = .redeemed
            }
            return r
        }
        guard case .approved(let userIndex) = record.status else { throw .badDeviceCode }
        return issue(userIndex: userIndex, client: client, scopes: record.scopes, nonce: nil, form: form)
    }

    /// `GET/POST /devicelogin`: enter the code, sign in, confirm.
    func deviceLogin(_ request: Request, form: [String: String]) -> Response {
        let otc = (form["otc"] ?? request.queryItems["otc"])?.uppercased().replacingOccurrences(of: "-", with: "")
        guard let otc, !otc.isEmpty else { return HTTPReply.html(200, LoginPages.deviceCode(code: nil, confirm: nil)) }
        let found = core.state.withData { d in
            d.deviceCodes.values.first { $0.userCode == otc && $0.status == .pending }
        }
        guard let record = found, record.expiresAt > Date() else {
            return HTTPReply.html(
                400,
                LoginPages.message("Enter code", "AADSTS70019: That code didn't work. Check the code and try again."))
        }
        let session = request.cookieValues[Self.sessionCookie].flatMap { c in core.state.withData { $0.sessions[c] } }
        guard let userIndex = session, let user = core.state.withData({ $0.directory.user(index: userIndex) }) else {
            let users = core.state.withData { $0.directory.users }
            return HTTPReply.html(
                200,
                LoginPages.signIn(
                    tenant: SandboxConfiguration.tenantId, users: users, hint: nil, returnTo: "/devicelogin?otc=\(otc)")
            )
        }
        guard request.method == .post, let decision = form["decision"] else {
            let name = RegisteredClient.find(record.clientId, core.configuration)?.name ?? "an app"
            return HTTPReply.html(
                200,
                LoginPages.deviceCode(
                    code: otc, confirm: (name, user, record.scopes.sorted())))
        }
        core.state.withData { d in
            if decision == "accept" {
                d.deviceCodes[record.deviceCode]?.status = .approved(userIndex: userIndex)
                d.consents[TenantData.consentKey(userIndex, record.clientId), default: []]
                    .formUnion(Scopes.consentable(record.scopes))
            } else {
                d.deviceCodes[record.deviceCode]?.status = .declined
            }
        }
        return HTTPReply.html(
            200,
            LoginPages.message(
                decision == "accept" ? "You're signed in" : "Sign-in cancelled",
                decision == "accept" ? "You may now close this window." : "The request was declined."))
    }
}

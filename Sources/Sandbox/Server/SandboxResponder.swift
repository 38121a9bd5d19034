import Foundation
import Hummingbird

/// Routes every request of the emulated tenant.
struct SandboxResponder: HTTPResponder {
    typealias Context = SandboxRequestContext
    let core: TenantCore
    let identity: IdentityRoutes
    let graph: GraphRoutes
    let control: ControlRoutes
    let uploads: UploadRoutes

    init(core: TenantCore) {
        self.core = core
        identity = IdentityRoutes(core: core)
        graph = GraphRoutes(core: core)
        control = ControlRoutes(core: core)
        uploads = UploadRoutes(core: core)
    }

    func respond(to request: Request, context: SandboxRequestContext) async throws -> Response {
        var request = request
        let seg = request.pathSegments
        switch seg.first {
        case "v1.0": return await graph.handle(&request, context: context)
        case "_sandbox": return await control.handle(&request, context: context)
        case "_upload" where seg.count == 2: return await uploads.handle(&request, token: seg[1])
        case "devicelogin":
            let form = request.method == .post ? await formBody(&request) : [:]
            return identity.deviceLogin(request, form: form)
        case nil:
            return HTTPReply.html(
                200,
                LoginPages.message(
                    "graphgate sandbox", "Emulated Microsoft 365 tenant \(SandboxConfiguration.tenantId)."))
        default: break
        }
        let tenant = seg[0]
        let rest = seg.dropFirst().map { $0.lowercased() }
        if tenant.lowercased() == "common" && rest == ["discovery", "instance"] {
            return identity.instanceDiscovery(query: request.queryItems)
        }
        guard IdentityRoutes.knownTenant(tenant) else {
            return identityError(.unknownTenant, request)
        }
        switch (request.method, rest) {
        case (.get, ["v2.0", ".well-known", "openid-configuration"]):
            return identity.openIDConfiguration(tenant: tenant)
        case (.get, ["discovery", "v2.0", "keys"]), (.get, ["discovery", "keys"]): return identity.keys()
        case (.get, ["oauth2", "v2.0", "authorize"]): return identity.authorize(request, tenant: tenant, form: [:])
        case (.post, ["oauth2", "v2.0", "authorize"]):
            let form = await formBody(&request)
            return identity.authorize(request, tenant: tenant, form: form)
        case (.post, ["login", "select"]): return identity.selectAccount(form: await formBody(&request))
        case (.post, ["login", "consent"]):
            let form = await formBody(&request)
            return identity.consent(request, form: form)
        case (_, ["oauth2", "v2.0", "logout"]): return identity.logout(request)
        case (.post, ["oauth2", "v2.0", "token"]):
            if let fault = tokenFault() { return identityError(fault, request) }
            let form = await formBody(&request)
            do { return try identity.token(request, form: form) } catch { return identityError(error, request) }
        case (.post, ["oauth2", "v2.0", "devicecode"]):
            let form = await formBody(&request)
            do { return try identity.deviceCode(form: form) } catch { return identityError(error, request) }
        default:
            return HTTPReply.json(
                404,
                IdentityError(
                    status: 404, error: "invalid_request", code: 900561,
                    message: "The endpoint only accepts POST requests. Received a \(request.method.rawValue) request."
                ).json(correlationId: Secrets.guid()))
        }
    }

    private func formBody(_ request: inout Request) async -> [String: String] {
        guard let data = await request.bodyData(limit: 1024 * 1024), let text = String(data: data, encoding: .utf8)
        else { return [:] }
        return WireFormat.form(text)
    }

    private func identityError(_ e: IdentityError, _ request: Request) -> Response {
        let correlation = request.header("client-request-id") ?? Secrets.guid()
        var h = HTTPFields()
        h[.cacheControl] = "no-store, no-cache"
        h[HTTPReply.name("x-ms-request-id")] = Secrets.guid()
        h[HTTPReply.name("client-request-id")] = correlation
        if e.status == 429 || e.status == 503 {
            h[.retryAfter] = String(core.state.withData { $0.faults.retryAfterSeconds })
        }
        return HTTPReply.json(e.status, e.json(correlationId: correlation), headers: h)
    }

    private func tokenFault() -> IdentityError? {
        let faults = core.state.withData { $0.faults }
        guard faults.includeTokenEndpoint, let outcome = FaultDice.roll(faults) else { return nil }
        let message = faults.errorMessage ?? "A transient error has occurred. Please try again."
        switch outcome {
        case .throttle:
            return IdentityError(status: 429, error: "temporarily_unavailable", code: 90033, message: message)
        default:
            return IdentityError(status: 503, error: "temporarily_unavailable", code: 90033, message: message)
        }
    }
}

import Foundation

extension IdentityClient {
    /// Starts the device code flow (public client): the user opens `verificationURI` and types `userCode`.
    public func startDeviceAuthorization(scopes: [String]) async throws(IdentityError) -> DeviceAuthorization {
        let wanted = MicrosoftScopes.normalize(scopes)
        let started = Date()
        let (status, body) = try await post(
            deviceCodeEndpoint, form: [("client_id", clientId), ("scope", wanted.joined(separator: " "))])
        guard status == 200 else { throw Self.mapError(status: status, body: body, requestedScopes: wanted) }
        struct Response: Decodable {
            var device_code: String
            var user_code: String
            var verification_uri: String?
            var verification_url: String?
            var expires_in: FlexibleInt
            var interval: FlexibleInt?
            var message: String?
        }
        guard let decoded = try? JSONDecoder().decode(Response.self, from: body),
            let uri = decoded.verification_uri ?? decoded.verification_url
        else {
            throw .invalidResponse("the device code response is incomplete")
        }
        return DeviceAuthorization(
            deviceCode: decoded.device_code, userCode: decoded.user_code, verificationURI: uri,
            message: decoded.message ?? "To sign in, open \(uri) and enter the code \(decoded.user_code).",
            expiresAt: started.addingTimeInterval(TimeInterval(decoded.expires_in.value)),
            interval: max(1, decoded.interval?.value ?? 5), scopes: wanted)
    }

    /// One poll of the token endpoint; throws `.authorizationPending` / `.slowDown` while the user is not done.
    public func pollDeviceAuthorization(_ authorization: DeviceAuthorization) async throws(IdentityError) -> TokenSet {
        try await tokenRequest(
            [
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("device_code", authorization.deviceCode),
            ], requestedScopes: authorization.scopes)
    }

    /// Polls at Microsoft's interval (slower after `slow_down`) until the user finishes, declines or the code
    /// expires. Transient failures (5xx, dropped connection) are retried until expiry.
    public func waitForDeviceAuthorization(_ authorization: DeviceAuthorization) async throws(IdentityError) -> TokenSet
    {
        var interval = authorization.interval
        while Date() < authorization.expiresAt {
            do {
                try await Task.sleep(for: .seconds(interval))
            } catch {
                throw .unreachable("cancelled")
            }
            do {
                return try await pollDeviceAuthorization(authorization)
            } catch .authorizationPending {
                continue
            } catch .slowDown {
                interval += 5
            } catch let error where error.isTransient {
                logger.info("device code poll failed; retrying", metadata: ["gg.error": "\(error)"])
            }
        }
        throw .deviceCodeExpired
    }
}

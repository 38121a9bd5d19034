import Crypto
import JSONText
import Foundation
import Storage

/// graphgate's browser sessions: opened after a Microsoft sign-in, carried in one cookie, stored hashed.
///
/// The cookie is `__Host-gg_session` with `Secure; HttpOnly; SameSite=Lax; Path=/` when the public URL is
/// https. On loopback http (local development) it is `gg_session` without `Secure`: browsers refuse a
/// `__Host-` cookie that is not `Secure`, and http clients do not send `Secure` cookies over http.
/// A session ends after `browserSessionIdleTimeout` without use or `browserSessionAbsoluteTimeout` in all.
public struct BrowserSessions: Sendable {
    let store: any BrowserSessionStore
    let settings: AuthorizationSettings
    let now: @Sendable () -> Int64

    public init(store: any BrowserSessionStore, settings: AuthorizationSettings, now: @escaping @Sendable () -> Int64) {
        self.store = store
        self.settings = settings
        self.now = now
    }

    public var cookieName: String { settings.isHTTPS ? "__Host-gg_session" : "gg_session" }

    /// Opens a session for the user, ending `previous` (the cookie the browser had: rotation at sign-in).
    /// Returns the new cookie value.
    public func open(userId: String, replacing previous: String?) async throws(AuthorizationError) -> String {
        let now = now()
        let value = OpaqueSecret.generate(prefix: OpaqueSecret.sessionPrefix)
        do {
            if let previous { try await store.deleteSession(idHash: OpaqueSecret.hash(previous)) }
            try await store.insertSession(
                BrowserSessionRecord(
                    idHash: OpaqueSecret.hash(value), userId: userId, createdAt: now, lastSeenAt: now,
                    expiresAt: now + settings.browserSessionAbsoluteTimeout))
        } catch {
            throw AuthorizationServer.unavailable(error)
        }
        return value
    }

    /// The live session of this cookie value (and marks it used), or nil.
    public func resolve(_ cookie: String?) async throws(AuthorizationError) -> BrowserSessionRecord? {
        guard let cookie, OpaqueSecret.looksLike(cookie, prefix: OpaqueSecret.sessionPrefix) else { return nil }
        let now = now()
        let hash = OpaqueSecret.hash(cookie)
        do {
            guard
                let session = try await store.activeSession(
                    idHash: hash, now: now, idleTimeout: settings.browserSessionIdleTimeout)
            else { return nil }
            if now - session.lastSeenAt >= 30 { try await store.touchSession(idHash: hash, now: now) }
            return session
        } catch {
            throw AuthorizationServer.unavailable(error)
        }
    }

    /// Ends the session of this cookie value (sign-out).
    public func close(_ cookie: String?) async throws(AuthorizationError) {
        guard let cookie, !cookie.isEmpty else { return }
        do {
            try await store.deleteSession(idHash: OpaqueSecret.hash(cookie))
        } catch {
            throw AuthorizationServer.unavailable(error)
        }
    }

    /// Ends every session of the user ("sign out everywhere").
    public func closeAll(userId: String) async throws(AuthorizationError) {
        do {
            try await store.deleteSessions(userId: userId)
        } catch {
            throw AuthorizationServer.unavailable(error)
        }
    }

    /// `Set-Cookie` value that stores the session.
    public func setCookie(_ value: String) -> String {
        "\(cookieName)=\(value); Path=/; HttpOnly; SameSite=Lax; Max-Age=\(settings.browserSessionAbsoluteTimeout)"
            + (settings.isHTTPS ? "; Secure" : "")
    }

    /// `Set-Cookie` value that deletes the session cookie.
    public func clearCookie() -> String {
        "\(cookieName)=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0" + (settings.isHTTPS ? "; Secure" : "")
    }

    /// Name of the cookie that binds one Microsoft sign-in (by its `state`) to the browser that started it.
    /// Without it, an attacker could finish a sign-in of their own account and send the callback URL to a victim,
    /// whose browser would then be signed in as the attacker (login CSRF). One cookie per sign-in, so parallel
    /// sign-ins in several tabs each keep theirs.
    public func signInCookieName(state: String) -> String {
        let digest = SHA256.hash(data: Data(("gg-signin\u{0}" + state).utf8))
        let suffix = Hex.string(digest.prefix(8))
        return (settings.isHTTPS ? "__Host-" : "") + "gg_signin_" + suffix
    }

    /// `Set-Cookie` value marking this browser as the one that started the sign-in with `state` (10 minutes,
    /// as long as a pending sign-in lives).
    public func signInCookie(state: String) -> String {
        "\(signInCookieName(state: state))=1; Path=/; HttpOnly; SameSite=Lax; Max-Age=600"
            + (settings.isHTTPS ? "; Secure" : "")
    }

    /// `Set-Cookie` value removing the binding once the sign-in finished.
    public func clearSignInCookie(state: String) -> String {
        "\(signInCookieName(state: state))=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
            + (settings.isHTTPS ? "; Secure" : "")
    }

    /// The CSRF token for a form shown to this session, for one purpose (`consent:<handle>`, `signout`).
    /// Derived with HMAC-SHA256 keyed by the session cookie: another site cannot know it, and it tells nothing
    /// about the cookie.
    public static func csrfToken(session cookie: String, purpose: String) -> String {
        let key = SymmetricKey(data: SHA256.hash(data: Data(("gg-csrf\u{0}" + cookie).utf8)))
        let mac = HMAC<SHA256>.authenticationCode(for: Data(purpose.utf8), using: key)
        return Base64URL.encode(Array(mac))
    }

    /// Checks a submitted CSRF token in constant time.
    public static func verifyCSRF(_ token: String?, session cookie: String, purpose: String) -> Bool {
        guard let token, !token.isEmpty else { return false }
        return ConstantTime.equals(token, csrfToken(session: cookie, purpose: purpose))
    }
}

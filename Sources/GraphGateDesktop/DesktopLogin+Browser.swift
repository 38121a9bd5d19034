import Foundation
import Hummingbird
import JSONText
import Logging
import MicrosoftGraph
import NIOCore
import SecurityOps
import Storage

extension DesktopLogin {
    /// Authorization code flow with PKCE (S256) on a loopback redirect, as RFC 8252 says for native apps: a
    /// listener on `127.0.0.1` at a random port, the redirect URI `http://127.0.0.1:PORT/callback` used verbatim
    /// for the authorize request and the code redemption, a single-use `state` compared in constant time, and a
    /// nonce checked in the id_token. Requests to any other path, or with another state, are refused and do not
    /// end the wait.
    public func browser(
        openBrowser: Bool, timeout: Duration = .seconds(300)
    ) async throws(DesktopError)
        -> LinkedAccount
    {
        let state = RandomToken.make()
        let nonce = RandomToken.make()
        let pkce = PKCE()
        let (callbacks, callbackSink) = AsyncStream<LoopbackCallback>.makeStream()
        let (ports, portSink) = AsyncStream<Int>.makeStream()

        let router = Router()
        router.get("/callback") { request, _ -> Response in
            let query = request.uri.queryParameters
            guard let received = query["state"].map(String.init), ConstantTime.digestsEqual(received, state) else {
                return Self.page(.badRequest, "This sign-in link is not the one graphgate is waiting for.")
            }
            callbackSink.yield(
                LoopbackCallback(code: query["code"].map(String.init), error: query["error"].map(String.init)))
            return query["code"] != nil
                ? Self.page(.ok, "Signed in to graphgate. You can close this window.")
                : Self.page(.ok, "The sign-in did not complete. You can close this window.")
        }
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { channel in portSink.yield(channel.localAddress?.port ?? 0) }, logger: quiet)

        let outcome: Result<(LoopbackCallback, String), DesktopError> = await withTaskGroup(
            of: Result<(LoopbackCallback, String), DesktopError>?.self
        ) { group in
            group.addTask {
                do {
                    try await app.run()
                } catch {
                    portSink.finish()
                    return .failure(.files("cannot listen on 127.0.0.1 for the sign-in redirect"))
                }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return .failure(
                    .invalid("the browser sign-in did not finish within \(timeout); run `graphgate login` again"))
            }
            group.addTask {
                var portIterator = ports.makeAsyncIterator()
                guard let port = await portIterator.next(), port > 0 else {
                    return .failure(.files("cannot listen on 127.0.0.1 for the sign-in redirect"))
                }
                let redirectURI = "http://127.0.0.1:\(port)/callback"
                let url = identity.authorizationURL(
                    redirectURI: redirectURI, scopes: scopes, state: state, nonce: nonce,
                    codeChallenge: pkce.challenge, prompt: "select_account")
                say("To sign in, open this URL in your browser:")
                say(url.absoluteString)
                if openBrowser { Self.open(url) }
                var iterator = callbacks.makeAsyncIterator()
                guard let callback = await iterator.next() else {
                    return .failure(.invalid("the sign-in was cancelled"))
                }
                // The callback is yielded before its page is written: give the listener a moment to answer the
                // browser before the group cancels it.
                try? await Task.sleep(for: .seconds(1))
                return .success((callback, redirectURI))
            }
            var result: Result<(LoopbackCallback, String), DesktopError> = .failure(
                .invalid("the sign-in was cancelled"))
            for await item in group {
                if let item {
                    result = item
                    break
                }
            }
            group.cancelAll()
            callbackSink.finish()
            return result
        }
        let (callback, redirectURI) = try outcome.get()
        if let error = callback.error {
            let code = String(error.lowercased().filter { $0.isLetter || $0 == "_" }.prefix(40))
            let mapped: IdentityError =
                code == "access_denied" ? .userDeclined : .rejected(error: code, aadsts: [], status: 400)
            await failed(mapped)
            throw .signIn(mapped)
        }
        guard let code = callback.code, !code.isEmpty else {
            throw .signIn(.invalidResponse("the redirect carried neither a code nor an error"))
        }
        let tokens: TokenSet
        do {
            tokens = try await identity.redeemCode(
                code, redirectURI: redirectURI, codeVerifier: pkce.verifier, scopes: scopes)
        } catch {
            await failed(error)
            throw .signIn(error)
        }
        return try await link(tokens, nonce: .equals(nonce), source: "browser")
    }

    static func page(_ status: HTTPResponse.Status, _ text: String) -> Response {
        let html = "<!doctype html><meta charset=utf-8><title>graphgate</title><p>\(text)</p>"
        return Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// Asks the desktop to open `url` (`open` on macOS, `xdg-open` elsewhere); the URL is printed either way.
    static func open(_ url: URL) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        #if os(macOS)
            process.arguments = ["open", url.absoluteString]
        #else
            process.arguments = ["xdg-open", url.absoluteString]
        #endif
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try? process.run()
    }
}

/// What arrived at the loopback redirect (with the expected state).
struct LoopbackCallback: Sendable {
    var code: String?
    var error: String?
}

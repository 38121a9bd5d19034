import Authorization
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Mustache

/// graphgate's server-rendered pages (consent, errors, signed out). Values are escaped by Mustache (`{{…}}`
/// escapes `< > & " '`); no page loads script; the one stylesheet is inline and allowed by its hash in the CSP.
package enum WebPage {
    package static let style = """
        body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;\
        color:#1b1b1b;line-height:1.5}h1{font-size:1.4rem}.box{border:1px solid #ccc;border-radius:8px;padding:1rem 1.2rem;\
        margin:1rem 0}.muted{color:#555;font-size:.9rem}.warn{background:#fff7e0;border-color:#e0b400}\
        button{font-size:1rem;padding:.55rem 1.2rem;border-radius:6px;border:1px solid #888;cursor:pointer;margin-right:.5rem}\
        button.primary{background:#0b5cad;color:#fff;border-color:#0b5cad}ul{padding-left:1.2rem}\
        form.inline{display:inline}code{background:#f2f2f2;padding:0 .25rem;border-radius:3px}\
        body.wide{max-width:64rem}table{border-collapse:collapse;width:100%;font-size:.9rem;margin:.5rem 0}\
        th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #ddd;vertical-align:top;\
        overflow-wrap:break-word}td code{overflow-wrap:anywhere}thead th{background:#f2f2f2}.num{text-align:right}\
        button.danger{background:#b00020;color:#fff;border-color:#b00020}\
        input[type=text]{font-size:1rem;padding:.35rem;border:1px solid #888;border-radius:6px;max-width:100%}\
        input.wide{width:24rem}form.row button{font-size:.9rem;padding:.35rem .8rem;margin:.2rem .3rem .2rem 0}\
        .nowrap{white-space:nowrap}textarea{width:100%;box-sizing:border-box}\
        pre.message{white-space:pre-wrap;overflow-wrap:anywhere;background:#f7f7f7;padding:.6rem;border-radius:6px;\
        max-height:20rem;overflow:auto}\
        @media (max-width:40rem){table.stack thead{position:absolute;width:1px;height:1px;overflow:hidden;\
        clip:rect(0 0 0 0)}table.stack tr{display:block;border:1px solid #ccc;border-radius:8px;margin:.6rem 0;\
        padding:.3rem}table.stack td,table.stack th{display:block;border:0;padding:.2rem .4rem;text-align:left}\
        table.stack [data-label]::before{content:attr(data-label) ": ";font-weight:600}}
        """

    /// `sha256-…` of `style`, for the CSP.
    package static let styleHash = "sha256-" + Data(SHA256.hash(data: Data(style.utf8))).base64EncodedString()

    package static let layout = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
        <meta name="referrer" content="no-referrer"><title>{{title}} · graphgate</title><style>{{{style}}}</style></head>
        <body{{#wide}} class="wide"{{/wide}}>
        """

    static let consentTemplate = try! MustacheTemplate(
        string: layout + """
            <h1>Allow <strong>{{clientName}}</strong> to use your Microsoft 365?</h1>
            <div class="box">
            <p>Signed in as <strong>{{displayName}}</strong> <span class="muted">({{username}})</span></p>
            <p><strong>{{clientName}}</strong> will be able to:</p>
            <ul>{{#capabilities}}<li>{{.}}</li>{{/capabilities}}</ul>
            <p class="muted">Access goes through graphgate; your Microsoft password and tokens are never given to the \
            application. After you allow it, you will be sent back to <code>{{redirectHost}}</code>.</p>
            {{#documentHost}}<p class="muted">The application is identified by its metadata document at \
            <code>{{documentHost}}</code>.</p>{{/documentHost}}
            </div>
            {{#loopbackOnly}}<div class="box warn"><p>This application only returns to programs on your own computer \
            (<code>{{redirectHost}}</code>), and any program there can claim that address. Allow it only if you just \
            started it yourself.</p></div>{{/loopbackOnly}}
            {{#unverified}}<div class="box warn"><p>graphgate has not verified this application: its name was given by \
            the application itself. Allow it only if you just started signing in to <code>{{redirectHost}}</code> \
            yourself.</p></div>{{/unverified}}
            {{#documentMismatch}}<div class="box warn"><p>This application's metadata document is at \
            <code>{{documentHost}}</code>, but after you allow it you are sent to <code>{{redirectHost}}</code>, \
            another site. Allow it only if you trust both.</p></div>{{/documentMismatch}}
            <form method="post" action="/oauth/consent">
            <input type="hidden" name="request" value="{{request}}">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <p><label><input type="checkbox" name="remember" value="1"{{#rememberChecked}} checked{{/rememberChecked}}> \
            Remember this decision for \
            {{clientName}}</label></p>
            <button class="primary" type="submit" name="decision" value="allow">Allow</button>
            <button type="submit" name="decision" value="deny">Deny</button>
            </form>
            <p class="muted">Not {{displayName}}?</p>
            <form class="inline" method="post" action="/oauth/signout">
            <input type="hidden" name="csrf" value="{{signoutCSRF}}">
            <button type="submit">Sign out of graphgate</button></form>
            </body></html>
            """)

    package static let messageTemplate = try! MustacheTemplate(
        string: layout + """
            <h1>{{title}}</h1>
            <div class="box"><p>{{message}}</p>{{#hint}}<p class="muted">{{hint}}</p>{{/hint}}</div>
            </body></html>
            """)

    /// What the consent page (`/oauth/authorize`, shown by the OAuth routes) names.
    package struct Consent {
        var clientName: String
        var redirectHost: String
        var displayName: String
        var username: String
        var capabilities: [String]
        var unverified: Bool
        /// The host of the client's metadata document (nil for registered clients).
        var documentHost: String?
        /// Every redirect URI of the client is on loopback.
        var loopbackOnly: Bool
        /// A metadata document client whose redirect goes to another site than its document's host.
        package var documentMismatch: Bool {
            guard let documentHost, !loopbackOnly else { return false }
            let host = RedirectURIPolicy.hostName(ofAuthority: redirectHost).lowercased()
            return host != documentHost && !host.hasSuffix("." + documentHost)
        }
        var request: String
        var csrf: String
        var signoutCSRF: String

        package init(
            clientName: String, redirectHost: String, displayName: String, username: String, capabilities: [String],
            unverified: Bool, documentHost: String? = nil, loopbackOnly: Bool = false, request: String,
            csrf: String, signoutCSRF: String
        ) {
            self.clientName = clientName
            self.redirectHost = redirectHost
            self.displayName = displayName
            self.username = username
            self.capabilities = capabilities
            self.unverified = unverified
            self.documentHost = documentHost
            self.loopbackOnly = loopbackOnly
            self.request = request
            self.csrf = csrf
            self.signoutCSRF = signoutCSRF
        }
    }

    package static func consent(_ page: Consent) -> Response {
        let body = consentTemplate.render(
            [
                "title": "Allow access", "style": style, "clientName": page.clientName,
                "redirectHost": page.redirectHost, "displayName": page.displayName, "username": page.username,
                "capabilities": page.capabilities, "unverified": page.unverified, "request": page.request,
                "csrf": page.csrf, "signoutCSRF": page.signoutCSRF, "documentHost": page.documentHost ?? false,
                "loopbackOnly": page.loopbackOnly, "documentMismatch": page.documentMismatch,
                // Pre-checked only where nothing above warns.
                "rememberChecked": !page.unverified && !page.loopbackOnly && !page.documentMismatch,
            ] as [String: Any])
        return html(body, status: .ok)
    }

    package static func message(
        title: String, message: String, hint: String? = nil, status: HTTPResponse.Status
    ) -> Response {
        var values: [String: Any] = ["title": title, "message": message, "style": style]
        if let hint { values["hint"] = hint }
        return html(messageTemplate.render(values), status: status)
    }

    package static func html(_ body: String, status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "text/html; charset=utf-8"
        fields[.cacheControl] = "no-store"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// A redirect that no cache keeps.
    package static func redirect(_ location: String, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.location: location, .cacheControl: "no-store"])
    }
}

/// The HTML pages of the emulated sign-in experience.
enum LoginPages {
    private static func page(_ title: String, _ body: String) -> String {
        """
        <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>\(WireFormat.html(title))</title>
        <style>body{font-family:Segoe UI,Arial,sans-serif;background:#f2f2f2}main{background:#fff;max-width:440px;\
        margin:60px auto;padding:44px;box-shadow:0 2px 6px rgba(0,0,0,.2)}button{display:block;width:100%;\
        margin:8px 0;padding:10px;text-align:left;background:#fff;border:1px solid #ccc;cursor:pointer}\
        .primary{background:#0067b8;color:#fff;text-align:center}</style></head>
        <body><main><div>Microsoft (sandbox)</div><h1>\(WireFormat.html(title))</h1>\(body)</main></body></html>
        """
    }

    /// The account picker: one button per tenant user, no password.
    static func signIn(tenant: String, users: [SandboxUser], hint: String?, returnTo: String) -> String {
        var buttons = ""
        let ordered = users.sorted { a, _ in hint.map { a.mail.lowercased() == $0.lowercased() } ?? false }
        for u in ordered.prefix(200) {
            buttons +=
                "<button type=\"submit\" name=\"user\" value=\"\(u.id)\" data-upn=\"\(WireFormat.html(u.mail))\">"
            buttons += "\(WireFormat.html(u.displayName))<br><small>\(WireFormat.html(u.mail))</small></button>"
        }
        return page(
            "Pick an account",
            "<form method=\"post\" action=\"/\(WireFormat.html(tenant))/login/select\">"
                + "<input type=\"hidden\" name=\"return_to\" value=\"\(WireFormat.html(returnTo))\">\(buttons)</form>")
    }

    /// The consent prompt for a client and a set of permissions.
    static func consent(
        tenant: String, clientName: String, user: SandboxUser, scopes: [String], returnTo: String
    )
        -> String
    {
        let items = scopes.map { "<li>\(WireFormat.html($0))</li>" }.joined()
        return page(
            "Permissions requested",
            "<p>\(WireFormat.html(clientName)) wants to access \(WireFormat.html(user.mail)):</p><ul>\(items)</ul>"
                + "<form method=\"post\" action=\"/\(WireFormat.html(tenant))/login/consent\">"
                + "<input type=\"hidden\" name=\"return_to\" value=\"\(WireFormat.html(returnTo))\">"
                + "<button class=\"primary\" type=\"submit\" name=\"decision\" value=\"accept\">Accept</button>"
                + "<button type=\"submit\" name=\"decision\" value=\"cancel\">Cancel</button></form>")
    }

    /// Device code entry / confirmation.
    static func deviceCode(code: String?, confirm: (clientName: String, user: SandboxUser, scopes: [String])?) -> String
    {
        if let confirm, let code {
            let items = confirm.scopes.map { "<li>\(WireFormat.html($0))</li>" }.joined()
            return page(
                "Are you trying to sign in to \(confirm.clientName)?",
                "<p>Signed in as \(WireFormat.html(confirm.user.mail)).</p><ul>\(items)</ul>"
                    + "<form method=\"post\" action=\"/devicelogin\"><input type=\"hidden\" name=\"otc\" value=\"\(WireFormat.html(code))\">"
                    + "<button class=\"primary\" type=\"submit\" name=\"decision\" value=\"accept\">Continue</button>"
                    + "<button type=\"submit\" name=\"decision\" value=\"decline\">Cancel</button></form>")
        }
        return page(
            "Enter code",
            "<form method=\"get\" action=\"/devicelogin\"><input name=\"otc\" value=\"\(WireFormat.html(code ?? ""))\">"
                + "<button class=\"primary\" type=\"submit\">Next</button></form>")
    }

    static func message(_ title: String, _ text: String) -> String {
        page(title, "<p>\(WireFormat.html(text))</p>")
    }

    /// The auto-submitting form of `response_mode=form_post`.
    static func formPost(action: String, fields: [(String, String)]) -> String {
        let inputs = fields.map {
            "<input type=\"hidden\" name=\"\(WireFormat.html($0.0))\" value=\"\(WireFormat.html($0.1))\">"
        }
        .joined()
        return
            "<html><body onload=\"document.forms[0].submit()\"><form method=\"post\" action=\"\(WireFormat.html(action))\">"
            + "\(inputs)<noscript><button type=\"submit\">Continue</button></noscript></form></body></html>"
    }
}

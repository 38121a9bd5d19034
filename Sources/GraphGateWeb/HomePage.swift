import Foundation
import Hummingbird
import Mustache

/// `/`: what this server is, the MCP URL, copyable client configurations, and the way to the account page.
/// Uses `WebPage`'s layout and stylesheet (the only one the CSP allows); snippets are read-only text areas, which
/// select and copy without any script.
enum HomePage {
    static let template = try! MustacheTemplate(
        string: WebPage.layout + """
            <h1>graphgate</h1>
            <p>This server lets AI assistants work with <strong>your own</strong> Microsoft 365 mail, calendar and \
            contacts, through Microsoft Graph, on your behalf and only with your approval. Each person signs in with \
            their own Microsoft account and sees only their own data. Your Microsoft password and tokens stay on this \
            server; mail is never stored.</p>
            {{#sandbox}}<div class="box warn"><p><strong>Sandbox mode:</strong> this server talks to an emulated \
            Microsoft 365 tenant with made-up mailboxes, not to Microsoft.</p></div>{{/sandbox}}
            <div class="box">
            <p><strong>MCP server URL</strong></p>
            <p><code id="mcp-url">{{mcpURL}}</code></p>
            <p class="muted">Add this URL to your assistant. The first time it connects, your browser opens to sign \
            in with Microsoft and to approve the assistant.</p>
            </div>
            {{#clients}}
            <h2>{{name}}</h2>
            <p class="muted">{{hint}}</p>
            <textarea readonly rows="{{rows}}" cols="48" aria-label="{{name}} configuration">{{snippet}}</textarea>
            {{/clients}}
            <div class="box">
            {{#signedIn}}<p>Signed in as <strong>{{displayName}}</strong>.</p>
            <p><a href="/account">Your account</a>: connected assistants, permissions, your data.</p>{{/signedIn}}
            {{^signedIn}}<p>See which assistants can use your account, and control them:</p>
            <form method="get" action="/account/signin"><button class="primary" type="submit">Sign in with Microsoft</button></form>{{/signedIn}}
            </div>
            </body></html>
            """)

    struct Client {
        let name: String
        let hint: String
        let snippet: String
        var rows: Int { snippet.split(separator: "\n", omittingEmptySubsequences: false).count + 1 }
    }

    static func clients(mcpURL: String) -> [Client] {
        [
            Client(
                name: "Claude",
                hint:
                    "Claude Code: run this command. Claude desktop and claude.ai: Settings → Connectors → Add custom connector, and paste the URL above.",
                snippet: "claude mcp add --transport http graphgate \(mcpURL)"),
            Client(
                name: "VS Code", hint: "Save as .vscode/mcp.json in your workspace (or run “MCP: Add Server…” → HTTP).",
                snippet: """
                    {
                      "servers": {
                        "graphgate": { "type": "http", "url": "\(mcpURL)" }
                      }
                    }
                    """),
            Client(
                name: "Cursor", hint: "Save as ~/.cursor/mcp.json (all projects) or .cursor/mcp.json (this project).",
                snippet: """
                    {
                      "mcpServers": {
                        "graphgate": { "url": "\(mcpURL)" }
                      }
                    }
                    """),
            Client(
                name: "MCP Inspector",
                hint: "Run this, then choose Transport “Streamable HTTP”, paste the URL above and Connect.",
                snippet: "npx @modelcontextprotocol/inspector"),
        ]
    }

    static func render(mcpURL: String, sandbox: Bool, displayName: String?) -> Response {
        let clients = clients(mcpURL: mcpURL).map {
            ["name": $0.name, "hint": $0.hint, "snippet": $0.snippet, "rows": $0.rows] as [String: Any]
        }
        var values: [String: Any] = [
            "title": "Use Microsoft 365 from your AI assistant", "style": WebPage.style, "mcpURL": mcpURL,
            "sandbox": sandbox, "clients": clients, "signedIn": displayName != nil,
        ]
        if let displayName { values["displayName"] = displayName }
        return WebPage.html(template.render(values), status: .ok)
    }
}

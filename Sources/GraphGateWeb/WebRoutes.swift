import Authorization
import GraphGateSettings
import Hummingbird
import Storage

/// The user pages. `/` explains the server and shows the MCP URL with client snippets; when the browser has a
/// graphgate session it greets the user by name.
package struct WebRoutes {
    let config: GraphGateConfig
    let users: any UserStore
    let browser: BrowserSessions

    package init(config: GraphGateConfig, users: any UserStore, browser: BrowserSessions) {
        self.config = config
        self.users = users
        self.browser = browser
    }

    package func add(to router: Router<GraphGateRequestContext>) {
        router.get("/") { request, _ -> Response in
            var displayName: String?
            if let session = try? await browser.resolve(request.cookies[browser.cookieName]?.value),
                let user = try? await users.user(id: session.userId)
            {
                displayName = user.displayName
            }
            return HomePage.render(
                mcpURL: config.mcpResource, sandbox: config.sandbox, displayName: displayName)
        }
    }
}

import Authorization
import Foundation
import GraphGateApp
import GraphGateSettings
import Sandbox
import Storage
import Testing

@Suite("Ops: who may sign in")
struct OpsAccessPolicyTests {
    static let contoso = "aaaaaaaa-0000-0000-0000-000000000001"
    static let fabrikam = "bbbbbbbb-0000-0000-0000-000000000002"

    @Test("tenants outside the list are denied; the decision never names the user")
    func tenants() {
        let policy = AccessPolicy(allowedTenants: [Self.contoso.uppercased()])
        #expect(policy.allows(tenantId: Self.contoso, username: "ada@contoso.com") == .allowed)
        let denied = policy.allows(tenantId: Self.fabrikam, username: "eve@fabrikam.com")
        #expect(!denied.isAllowed)
        if case .denied(let reason) = denied { #expect(!reason.contains("eve")) }
        #expect(AccessPolicy.anyone.allows(tenantId: Self.fabrikam, username: "x@y.z").isAllowed)
    }

    @Test("users and domains narrow an allowed tenant; look-alike domains do not match")
    func usersAndDomains() {
        let policy = AccessPolicy(
            allowedTenants: [Self.contoso], allowedUsers: ["Grace@Partner.org"], allowedDomains: ["@contoso.com"])
        #expect(policy.allows(tenantId: Self.contoso, username: "ADA@contoso.com").isAllowed)
        #expect(policy.allows(tenantId: Self.contoso, username: "grace@partner.org").isAllowed)
        #expect(!policy.allows(tenantId: Self.contoso, username: "mallory@evil-contoso.com").isAllowed)
        #expect(!policy.allows(tenantId: Self.contoso, username: "mallory@contoso.com.evil.net").isAllowed)
        #expect(!policy.allows(tenantId: Self.contoso, username: "contoso.com").isAllowed)
        #expect(!policy.allows(tenantId: Self.fabrikam, username: "ada@contoso.com").isAllowed)
    }

    @Test("defaults: the configured tenant; consumers means personal accounts; * means any")
    func configDefaults() throws {
        let single = try GraphGateConfig.load(environment: [
            "GRAPHGATE_MS_CLIENT_ID": "app", "GRAPHGATE_MS_TENANT": Self.contoso,
        ])
        let policy = single.operations.accessPolicy(effectiveTenant: single.msTenant)
        #expect(policy.allowedTenants == [Self.contoso])
        let consumers = try GraphGateConfig.load(environment: ["GRAPHGATE_MS_TENANT": "consumers"])
        #expect(
            consumers.operations.accessPolicy(effectiveTenant: "consumers").allowedTenants
                == [AccessPolicy.personalAccountsTenant])
        let any = try GraphGateConfig.load(environment: ["GRAPHGATE_ALLOWED_TENANTS": "*"])
        #expect(any.operations.accessPolicy(effectiveTenant: "common").allowedTenants == nil)
    }

    @Test(
        "malformed lists are refused naming the variable",
        arguments: [
            ("GRAPHGATE_ALLOWED_TENANTS", "common"), ("GRAPHGATE_ALLOWED_TENANTS", "a/b"),
            ("GRAPHGATE_ALLOWED_TENANTS", ","), ("GRAPHGATE_ALLOWED_DOMAINS", "not a domain"),
            ("GRAPHGATE_TRUSTED_PROXIES", "10.0.0.0/99"), ("GRAPHGATE_TRUSTED_PROXIES", "proxy.example.com"),
            ("GRAPHGATE_METRICS_TOKEN", "short"), ("GRAPHGATE_METRICS_PORT", "0"),
            ("GRAPHGATE_AUDIT_RETENTION_DAYS", "-1"), ("GRAPHGATE_LOG_FORMAT", "xml"), ("GRAPHGATE_LOG_LEVEL", "loud"),
        ])
    func malformed(variable: String, value: String) {
        #expect { try GraphGateConfig.load(environment: [variable: value]) } throws: {
            ($0 as? ConfigError)?.variable == variable
        }
    }

    @Test(
        "production with common or organizations refuses to start without an explicit tenant list",
        arguments: ["common", "organizations"])
    func multiTenantNeedsList(tenant: String) async throws {
        let env = [
            "GRAPHGATE_MS_CLIENT_ID": "app", "GRAPHGATE_MS_TENANT": tenant,
            "GRAPHGATE_DATABASE_URL": "sqlite:/dev/null/graphgate.sqlite",
        ]
        let config = try GraphGateConfig.load(environment: env)
        await #expect {
            try await GraphGateServer.run(config: config, logger: .init(label: "t"), gracefulShutdownSignals: [])
        } throws: {
            ($0 as? ConfigError)?.variable == "GRAPHGATE_ALLOWED_TENANTS"
        }
        var listed = env
        listed["GRAPHGATE_ALLOWED_TENANTS"] = Self.contoso
        let allowed = try GraphGateConfig.load(environment: listed)
        await #expect {
            try await GraphGateServer.run(config: allowed, logger: .init(label: "t"), gracefulShutdownSignals: [])
        } throws: {
            !($0 is ConfigError)
        }
    }
}

@Suite("Ops: sign-in refused by the access policy")
struct OpsAccessPolicySignInTests {
    @Test("a user of a tenant that is not allowed is refused at the callback, and nothing is stored")
    func tenantNotAllowed() async throws {
        try await TestApp.with(environment: ["GRAPHGATE_ALLOWED_TENANTS": "cccccccc-0000-0000-0000-000000000003"]) {
            server in
            let browser = OAuthBrowser(server)
            let client = try await OAuthTestClient.register(base: server.baseURL, browser: browser)
            let (_, challenge) = OAuthTestClient.pkce()
            do {
                _ = try await client.signIn(client.authorizeURL(challenge: challenge), userIndex: 0)
                Issue.record("the sign-in reached the consent page")
            } catch let failure as OAuthBrowser.Failure {
                #expect(failure.description.contains("/oauth/callback"))
                #expect(!failure.description.hasPrefix("200"))
            }
            guard case .sqlite(let path) = server.config.database else { return }
            let database = try await Storage.Database.open(.sqlite(path: path), logger: .init(label: "t"))
            let users = try await database.withRunning {
                try await SQLUserStore(database: database).allUsers(limit: 10)
            }
            #expect(users.isEmpty)
            await browser.shutdown()
        }
    }

    @Test("the same sign-in reaches the consent page when the sandbox tenant is allowed")
    func tenantAllowed() async throws {
        try await TestApp.with(environment: ["GRAPHGATE_ALLOWED_TENANTS": SandboxConfiguration.tenantId]) { server in
            let browser = OAuthBrowser(server)
            let client = try await OAuthTestClient.register(base: server.baseURL, browser: browser)
            let (_, challenge) = OAuthTestClient.pkce()
            let page = try await client.signIn(client.authorizeURL(challenge: challenge), userIndex: 0)
            #expect(page.body.contains("action=\"/oauth/consent\""))
            await browser.shutdown()
        }
    }
}

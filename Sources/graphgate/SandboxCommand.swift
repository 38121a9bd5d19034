import ArgumentParser
import Foundation
import Sandbox
import ServiceLifecycle

/// `graphgate sandbox`: the emulated Microsoft 365 tenant alone. Prints one line
/// `graphgate sandbox listening on http(s)://HOST:PORT` to stdout once bound; logs go to stderr.
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run the emulated Microsoft 365 tenant (identity platform + Graph) on its own.")

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port: Int = 8081

    @Option(help: "Seed of the generated mailboxes, calendars and contacts.")
    var seed: UInt64 = 42

    @Option(help: "Generated users in addition to the named demo users.")
    var users: Int = 0

    @Option(help: "Device code polling interval in seconds (Microsoft: 5).")
    var deviceCodeInterval: Int = 5

    @Option(help: "Access token lifetime in seconds, e.g. 3600-5400 or 60 (Microsoft: 3600-5400).")
    var accessTokenLifetime: String = "3600-5400"

    @Option(help: "PEM certificate chain to serve HTTPS (with --tls-key); the real endpoints are HTTPS-only.")
    var tlsCert: String?

    @Option(help: "PEM private key for --tls-cert.")
    var tlsKey: String?

    func validate() throws {
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard users >= 0, users <= 100_000 else { throw ValidationError("--users must be 0...100000") }
        guard lifetimeRange != nil else {
            throw ValidationError("--access-token-lifetime must be N or MIN-MAX seconds")
        }
    }

    private var lifetimeRange: ClosedRange<Int>? {
        let parts = accessTokenLifetime.split(separator: "-").compactMap { Int($0) }
        if parts.count == 1, parts[0] > 0 { return parts[0]...parts[0] }
        if parts.count == 2, parts[0] > 0, parts[0] <= parts[1] { return parts[0]...parts[1] }
        return nil
    }

    func run() async throws {
        let logger = CLILogging.logger("graphgate.sandbox")
        let configuration = SandboxConfiguration(
            host: host, port: port, seed: seed, extraUsers: users, accessTokenLifetime: lifetimeRange ?? 3600...5400,
            deviceCodeInterval: deviceCodeInterval, tlsCertificatePath: tlsCert, tlsKeyPath: tlsKey)
        let tenant = SandboxTenant(configuration: configuration, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: tenant), .init(service: AnnounceService(tenant: tenant))],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            fail("sandbox: \(error)")
        }
    }
}

/// Prints the listening line once the tenant is bound, then waits for shutdown.
private struct AnnounceService: Service {
    let tenant: SandboxTenant

    func run() async throws {
        let url = try await tenant.waitUntilRunning()
        FileHandle.standardOutput.write(Data("graphgate sandbox listening on \(url.absoluteString)\n".utf8))
        try? await gracefulShutdown()
    }
}

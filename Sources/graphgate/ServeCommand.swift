import ArgumentParser
import GraphGateApp
import GraphGateSettings

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve MCP over HTTP at {public URL}/mcp, with the sign-in and consent pages.",
        discussion: """
            With no Microsoft app configured (\(GraphGateConfig.msClientId.name) unset) graphgate runs in sandbox mode: an \
            emulated Microsoft 365 tenant starts in-process and tokens are encrypted with a keyring generated \
            next to the database. Stop with Ctrl-C or SIGTERM; in-flight requests finish first.

            Settings (each a flag or an environment variable; the flag wins):
            """ + "\n" + GraphGateConfig.settingsHelp)

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let config = try options.load()
        if config.publicURL.port == 0 {
            // Port 0 binds any free port, but the public URL (OAuth issuer, metadata) would name port 0.
            fail(
                "configuration error: \(GraphGateConfig.port.name): 0 (any free port) needs "
                    + "\(GraphGateConfig.publicURL.name), so clients are told where graphgate really is")
        }
        let logger = CLILogging.logger()
        logger.info("starting graphgate", metadata: ["gg.config": "\(config)"])
        do {
            try await GraphGateServer.run(config: config, logger: logger) { port in
                logger.info("graphgate listening", metadata: ["gg.port": "\(port)"])
                // Unbuffered: with stdout a pipe or a file (systemd, Docker) a buffered line waited for the exit.
                say("graphgate \(config.modeName) serving MCP at \(config.mcpResource)")
            }
        } catch {
            fail(String(describing: error))
        }
    }
}

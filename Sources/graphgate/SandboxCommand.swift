import ArgumentParser

struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run the emulated Microsoft 365 tenant (identity platform + Graph) on its own.")

    @Option(help: "Port to listen on (0 picks a free one).")
    var port: Int = 8081

    func run() async throws {
        fail("the sandbox command is not available yet")
    }
}

import Foundation
import GraphGateSettings
import Testing

/// Every setting is declared once (a `Setting`); `GraphGateConfig.variables` and README's table are made from
/// those declarations, and the loaders read through them.
@Suite("Settings table")
struct SettingsTableTests {
    @Test("README's configuration table lists every setting, in order, with its flag, default and meaning")
    func readmeTable() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        let rows = try String(contentsOf: readme, encoding: .utf8).split(separator: "\n")
            .filter { $0.hasPrefix("| `GRAPHGATE_") }.map(String.init)
        let expected = GraphGateConfig.variables.map(\.readmeRow)
        #expect(rows == expected, "README.md's table should read:\n\(expected.joined(separator: "\n"))")
    }

    @Test("flags and variables are unique")
    func unique() {
        let variables = GraphGateConfig.variables
        #expect(Set(variables.map(\.name)).count == variables.count)
        #expect(Set(variables.map(\.flag)).count == variables.count)
    }

    @Test("loading reads exactly the settings of the table, each under its own name")
    func loadReadsTheTable() throws {
        let settings = SettingsReader(environment: [:])
        _ = try GraphGateConfig.load(settings)
        let read = settings.reads.map(\.name)
        let table = GraphGateConfig.variables.map(\.name)
        #expect(Set(read).subtracting(table).isEmpty, "read but not in the table: \(Set(read).subtracting(table))")
        #expect(Set(table).subtracting(read).isEmpty, "in the table but never read: \(Set(table).subtracting(read))")
    }

    @Test("a default the table writes out is the default used, and setting it to that text changes nothing")
    func literalDefaults() throws {
        let settings = SettingsReader(environment: [:])
        let config = try GraphGateConfig.load(settings)
        let table = Dictionary(uniqueKeysWithValues: GraphGateConfig.variables.map { ($0.name, $0) })
        let literal = Set(table.values.filter(\.defaultIsLiteral).map(\.name))

        // What the reader handed the loader for each setting left unset.
        let used = Dictionary(
            settings.reads.map { ($0.name, $0.defaultUsed) }, uniquingKeysWith: { first, _ in first })
        for name in literal.sorted() {
            let shown = try #require(table[name]).defaultValue
            #expect(used[name] == .some(shown), "\(name): read \(String(describing: used[name])), shown \(shown)")
            #expect(try table[name]?.canonicalText(shown) == shown, "\(name): its shown default reads differently")
        }

        // What the loaded configuration holds, written as each setting writes its values.
        func kept<Value>(_ setting: Setting<Value>, _ value: Value) -> (String, String?) {
            (setting.name, setting.show(value))
        }
        let loaded = [
            kept(GraphGateConfig.host, config.host), kept(GraphGateConfig.port, config.port),
            kept(GraphGateConfig.databaseURL, config.database), kept(GraphGateConfig.msTenant, config.msTenant),
            kept(GraphGateConfig.msAuthority, config.msAuthority), kept(GraphGateConfig.graphURL, config.graphURL),
            kept(GraphGateConfig.readOnly, config.readOnly), kept(GraphGateConfig.sendCap, config.sendsPerHour),
            kept(GraphGateConfig.confirmSends, config.confirmSends),
            kept(GraphGateConfig.grantMaxDays, config.grantMaxDays),
            kept(GraphGateConfig.rateLimit, config.rateLimitPerMinute),
            kept(OperationsConfig.auditRetentionDays, config.operations.auditRetentionDays),
            kept(OperationsConfig.sessionRetentionDays, config.operations.sessionRetentionDays),
            kept(LimitsConfig.maxHeaderBytes, config.limits.maxHeaderBytes),
            kept(LimitsConfig.headerTimeout, config.limits.headerTimeout),
            kept(LimitsConfig.idleTimeout, config.limits.idleTimeout),
            kept(LimitsConfig.clientIdleDays, config.limits.clientIdleDays),
        ]
        for (name, text) in loaded {
            #expect(text == table[name]?.defaultValue, "\(name): loaded \(text ?? "nil")")
        }
        // Settings with a written-out default the configuration does not keep (checked, or read elsewhere).
        let notKept = [
            GraphGateConfig.mcpStateless.name, OperationsConfig.logLevel.name, OperationsConfig.logFormat.name,
        ]
        #expect(literal.subtracting(loaded.map(\.0)).subtracting(notKept).isEmpty)
    }
}

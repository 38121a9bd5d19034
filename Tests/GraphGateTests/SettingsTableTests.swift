import Foundation
import GraphGateApp
import Testing

/// Every setting is declared once (`GraphGateConfig.variables`); the README's table is that table.
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
}

import Foundation
import MCPGateway
import Testing

/// The writer's string escaping, checked against Foundation's parser as the oracle: every ASCII byte, quotes and
/// backslashes at the edges, and text beyond ASCII come back exactly.
@Suite("JSON writer")
struct JSONWriterTests {
    static let strings: [String] = [
        "", "plain", "\"", "\\", "\"quoted\"", "back\\slash\\", "line\nbreak\r\n\ttab", "日本語 👩‍👩‍👧 é",
        String(String.UnicodeScalarView((0..<0x80).map { Unicode.Scalar(UInt8($0)) })),
        "\u{0}\u{1F}\u{7F}end", "</script>\u{2028}\u{2029}",
    ]

    @Test("strings round-trip through Foundation's parser and ours", arguments: strings)
    func roundTrip(_ text: String) throws {
        let bytes = JSONWriter.bytes(.array([.string(text), .object([text: .string(text)])]))
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [Any])
        #expect(parsed.first as? String == text)
        #expect((parsed.last as? [String: String])?[text] == text)
        #expect(try JSONParser.parse(bytes) == .array([.string(text), .object([text: .string(text)])]))
        #expect(!bytes.contains { $0 < 0x20 }, "control characters are escaped")
    }
}

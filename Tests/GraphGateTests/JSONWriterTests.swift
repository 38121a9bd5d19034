import Foundation
import JSONText
import MCPGateway
import SecurityOps
import Testing

/// The one JSON string escaper (``JSONString``) and the writer built on it, checked against Foundation's parser as
/// the oracle: every ASCII byte, quotes and backslashes at the edges, and text beyond ASCII come back exactly.
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

    @Test("strings written word by word: each byte that needs an escape, at every position of a long run")
    func escapesAtEveryOffset() throws {
        // Every position of a 24-byte run puts the byte in every lane of the 8-byte scan and in the tail after it.
        let specials = ["\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1F}", "\u{7F}", "é", "😀", "\u{2028}"]
        for special in specials {
            for position in 0...24 {
                var text = String(repeating: "a", count: 24)
                text.insert(contentsOf: special, at: text.index(text.startIndex, offsetBy: position))
                let literal = Data(JSONString.quoted(text).utf8)
                let read = try JSONSerialization.jsonObject(with: literal, options: .fragmentsAllowed) as? String
                #expect(read == text, "\(special.unicodeScalars.map(\.value)) at \(position)")
                #expect(!literal.contains { $0 < 0x20 }, "a control character went out unescaped")
            }
        }
    }

    @Test("the extras a sink asks for: line separators for logs, angle brackets for HTML-embedded JSON")
    func extras() throws {
        let text = "<a>\u{2028}\u{2029}\u{2027}"
        #expect(JSONString.quoted(text) == "\"<a>\u{2028}\u{2029}\u{2027}\"")
        #expect(JSONString.quoted(text, escaping: .lineSeparators) == #""<a>\u2028\u2029\#u{2027}""#)
        #expect(JSONString.quoted(text, escaping: .angleBrackets) == "\"\\u003ca\\u003e\u{2028}\u{2029}\u{2027}\"")
        for extra: JSONString.Extra in [[], .lineSeparators, .angleBrackets, [.lineSeparators, .angleBrackets]] {
            for sample in Self.strings + [text] {
                let literal = Data(JSONString.quoted(sample, escaping: extra).utf8)
                #expect(
                    try JSONSerialization.jsonObject(with: literal, options: .fragmentsAllowed) as? String == sample)
            }
        }
    }

    @Test("the audit chain's canonical form is unchanged: the hashes of stored rows still verify")
    func auditCanonicalForm() {
        #expect(
            AuditChain.canonicalDetails(["k": "a\"b\\c\n\r\t\u{1}\u{1F}é<>\u{2028}", "a": ""])
                == #"{"a":"","k":"a\"b\\c\n\r\t\u0001\u001fé<>\#u{2028}"}"#)
    }
}

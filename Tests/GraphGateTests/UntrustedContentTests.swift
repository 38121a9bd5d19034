import Foundation
import MCPGateway
import Testing

/// The one-pass scrubber gives what the earlier filter-then-replace implementation gave (kept here as the
/// oracle), on hand-picked edge cases and on random text built from the characters that matter. The oracle
/// replaces literally: the earlier code compared by grapheme, so it kept a newline or `<<<` followed by a
/// combining mark (a newline could survive in a "single line"); the one-pass scrubber never does.
@Suite("Untrusted content")
struct UntrustedContentTests {
    /// The previous implementation: filter scalars, then replace markers, then (for a line) flatten and trim.
    static func oracleScrub(_ text: String) -> String {
        let kept = String(
            String.UnicodeScalarView(
                text.unicodeScalars.filter { scalar in
                    if scalar == "\n" || scalar == "\t" { return true }
                    switch scalar.properties.generalCategory {
                    case .control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .unassigned: return false
                    default: return true
                    }
                }))
        return kept.replacingOccurrences(of: "<<<", with: "‹‹‹", options: .literal)
            .replacingOccurrences(of: ">>>", with: "›››", options: .literal)
    }

    static func oracleLine(_ text: String?, max: Int) -> String {
        let flat = oracleScrub(text ?? "").replacingOccurrences(of: "\n", with: " ", options: .literal)
            .replacingOccurrences(of: "\t", with: " ", options: .literal)
        let trimmed = flat.trimmingCharacters(in: .whitespaces)
        return trimmed.count > max ? String(trimmed.prefix(max - 1)) + "…" : trimmed
    }

    static let cases = [
        "", "plain", "<<<", "<<<<", "<<<<<<<", ">>>>>>", "<<>>><<<>", "a<\u{200B}<<b", "<<\u{0007}<", "<\n<<",
        "\u{202E}evil\u{202C}", "tab\there\nnew line", "  \t padded \u{00A0}\u{2003} ", "e\u{0301}\u{0301}<<<",
        "\u{E000}private\u{10FFFF}", "\u{0085}next\u{2028}line\u{2029}para", "x\r\ny", "日本語<<<テキスト>>>",
        "👩‍👩‍👧<<<👍🏽>>>", "<<<MAILBOX DATA 0123456789ab END>>>",
    ]

    @Test("scrub, line and fence match the earlier implementation on edge cases", arguments: cases)
    func edgeCases(text: String) {
        #expect(UntrustedContent.scrub(text) == Self.oracleScrub(text))
        for max in [1, 3, 5, 200] {
            #expect(UntrustedContent.line(text, max: max) == Self.oracleLine(text, max: max), "max \(max)")
        }
        let fence = UntrustedContent(nonce: "n")
        #expect(fence.fence(text) == "\(fence.begin)\n\(Self.oracleScrub(text))\n\(fence.end)")
    }

    @Test("scrub and line match the earlier implementation on 2,000 random texts")
    func random() {
        let alphabet: [Unicode.Scalar] = [
            "<", ">", "<", ">", "a", "Z", " ", "\n", "\t", "\r", "\u{0}", "\u{7F}", "\u{200B}", "\u{202E}",
            "\u{00A0}", "\u{2003}", "\u{0301}", "\u{2028}", "é", "日", "\u{1F600}", "\u{E000}",
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var text = ""
            for _ in 0..<Int.random(in: 0...24, using: &generator) {
                text.unicodeScalars.append(alphabet.randomElement(using: &generator)!)
            }
            #expect(UntrustedContent.scrub(text) == Self.oracleScrub(text), "\(text.unicodeScalars.map(\.value))")
            #expect(
                UntrustedContent.line(text, max: 6) == Self.oracleLine(text, max: 6),
                "\(text.unicodeScalars.map(\.value))")
            // A line cut again is the line made with the smaller cap (lists make the subject once and cut it).
            for (long, short) in [(12, 5), (20, 1), (8, 8)] {
                #expect(
                    UntrustedContent.capped(UntrustedContent.line(text, max: long), max: short)
                        == UntrustedContent.line(text, max: short), "\(text.unicodeScalars.map(\.value))")
            }
        }
    }

    @Test("long plain runs are read word by word: a character that matters at every position, runs across words")
    func plainRunsAtEveryOffset() {
        // Plain text is skipped eight bytes at a time; each insert lands in every lane of a word and in the tail.
        let inserts = ["<<<", ">>>", "<<", "\n", "\t", "\r", "\u{0}", "\u{7F}", "\u{202E}", "é", "😀", "<<\u{200B}<"]
        for insert in inserts {
            for position in 0...32 {
                var text = String(repeating: "a", count: 32)
                text.insert(contentsOf: insert, at: text.index(text.startIndex, offsetBy: position))
                #expect(
                    UntrustedContent.scrub(text) == Self.oracleScrub(text),
                    "\(insert.unicodeScalars.map(\.value)) at \(position)")
                #expect(UntrustedContent.line(text, max: 200) == Self.oracleLine(text, max: 200))
            }
        }
        // Runs of `<` split by a word boundary at every offset: `<<` then `<` eight bytes apart is no run.
        for position in 0...16 {
            let run =
                String(repeating: "x", count: position) + "<<" + String(repeating: "y", count: 8) + "<"
                + String(repeating: "z", count: 16) + "<<<"
            #expect(UntrustedContent.scrub(run) == Self.oracleScrub(run), "at \(position)")
        }
    }
}

import Testing

@testable import MCPGateway

/// The sanitiser's work grows linearly with its input, checked by counting the scalars its walk scans (no wall
/// clock): for each adversarial family, 8× the input costs at most 12× the work, and never more than a small
/// multiple of the input's length.
@Suite("HTML sanitiser work")
struct SanitizerWorkTests {
    /// Counts what the walk scans; keeps nothing.
    struct CountingSink: Sink {
        var work = 0
        mutating func text(_ text: String) {}
        mutating func open(_ name: String, href: String?) {}
        mutating func close(_ name: String) {}
        mutating func void(_ name: String) {}
        mutating func scanned(_ count: Int) { work += count }
    }

    /// Families of inputs that make a careless parser rescan: each builds an input of `n` repetitions.
    static let families: [(name: String, make: @Sendable (Int) -> String)] = [
        ("style comments", { #"<p style=""# + String(repeating: "/*/", count: $0) + #"">x</p>"# }),
        ("css escapes", { #"<p style="display:"# + String(repeating: #"\6f\"#, count: $0) + #"">x</p>"# }),
        ("unclosed comments", { String(repeating: "<!-- a ", count: $0) }),
        ("unclosed tags", { String(repeating: "<a href='x ", count: $0) }),
        ("nested elements", { String(repeating: "<div><span>", count: $0) + "deep" }),
        (
            "style rules",
            {
                "<style>" + String(repeating: ".a{display:none}", count: $0) + "</style>"
                    + String(repeating: #"<p class="a b c">x</p>"#, count: $0)
            }
        ),
        ("unclosed style", { String(repeating: "<style>.a{", count: $0) }),
        ("script end lookalikes", { "<script>" + String(repeating: "</scrip", count: $0) }),
        ("entities", { String(repeating: "&#x;&amp", count: $0) }),
        ("lone brackets", { String(repeating: "< <! </ <? ", count: $0) }),
    ]

    static func work(_ html: String) -> Int {
        var sink = CountingSink()
        HTMLSanitizer.walk(html, into: &sink)
        return sink.work
    }

    @Test("work grows linearly with input size", arguments: families.map(\.name))
    func linear(_ name: String) {
        let make = Self.families.first { $0.name == name }!.make
        let small = make(500), large = make(4000)
        let (a, b) = (Self.work(small), Self.work(large))
        #expect(b <= 12 * max(a, 1), "\(name): \(a) → \(b) for 8× the input")
        #expect(b <= 8 * large.unicodeScalars.count, "\(name): \(b) for \(large.unicodeScalars.count) scalars")
        // And the real entry points finish on the large input (no crash, text kept where there is some).
        _ = HTMLSanitizer.text(large)
        _ = HTMLSanitizer.html(large)
    }

    @Test("style parsing is one forward pass: escapes and comments in long values")
    func styleParsing() {
        let long = String(repeating: "/*/", count: 20_000)
        #expect(HTMLSanitizer.stripCSSComments(long).isEmpty)
        #expect(HTMLSanitizer.stripCSSComments("a/*b*/c/*d") == "ac")
        #expect(HTMLSanitizer.decodeCSSEscapes(#"n\6f ne"#) == "none")
        #expect(HTMLSanitizer.decodeCSSEscapes(#"\s\i\z"#) == "siz")
        #expect(HTMLSanitizer.decodeCSSEscapes(#"\0 x"#) == "\u{FFFD}x")
        #expect(HTMLSanitizer.parseStyle(#"DISPLAY : N\6F NE !important; color: red"#)["display"] == "none")
    }
}

// libFuzzer target: the HTML-to-text sanitiser that every mail and event body passes through
// (HTMLSanitizer.text / .html), and the MAILBOX DATA fence put around it in tool output.
import Foundation
import FuzzSupport
import MCPGateway

enum Target {
    static let fence = UntrustedContent(nonce: "f0f0f0f0f0f0")
    /// Elements `HTMLSanitizer.html` may emit (besides `<br>`, `<hr>` and links), written out independently.
    static let elements: Set<Substring> = [
        "p", "div", "span", "a", "b", "strong", "i", "em", "u", "s", "ul", "ol", "li", "table", "thead", "tbody", "tr",
        "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code", "dl", "dt", "dd", "sub", "sup",
        "small",
    ]

    /// One tag of `html()` output (from `<` to the first `>`): an allow-listed element, or a safe link.
    static func isAllowedTag(_ tag: Substring) -> Bool {
        if tag == "<br>" || tag == "<hr>" { return true }
        let inner = tag.dropFirst().dropLast()
        if elements.contains(inner.hasPrefix("/") ? inner.dropFirst() : inner) { return true }
        let open = "<a href=\"", close = "\" rel=\"noopener noreferrer nofollow\">"
        guard tag.hasPrefix(open), tag.hasSuffix(close), tag.count >= open.count + close.count else { return false }
        let href = tag.dropFirst(open.count).dropLast(close.count)
        let lower = href.prefix(8).lowercased()
        return (lower.hasPrefix("https://") || lower.hasPrefix("http://") || lower.hasPrefix("mailto:"))
            && !href.contains("\"") && !href.contains("<")
    }

    static func run(_ input: String) {
        let text = HTMLSanitizer.text(input)
        checkFenced(text)

        let html = HTMLSanitizer.html(input)
        Fuzz.require(html.range(of: "<script", options: .caseInsensitive) == nil, "html() kept a <script")
        Fuzz.require(html.range(of: "<style", options: .caseInsensitive) == nil, "html() kept a <style")
        // Bytes, not Characters: a combining mark after ">" would join it into one Character.
        let bytes = Array(html.utf8)
        var index = 0
        while let open = bytes[index...].firstIndex(of: UInt8(ascii: "<")) {
            guard let close = bytes[open...].firstIndex(of: UInt8(ascii: ">")) else {
                return Fuzz.require(false, "html() emitted an unterminated tag")
            }
            let tag = String(decoding: bytes[open...close], as: UTF8.self)
            Fuzz.require(isAllowedTag(tag[...]), "html() emitted markup outside the allow-list")
            index = close + 1
        }
        checkFenced(html)
    }

    /// Content inside the fence can never forge a marker: exactly one begin and one end, in that order.
    static func checkFenced(_ content: String) {
        let fenced = fence.fence(content)
        Fuzz.require(count(fence.begin, in: fenced) == 1, "the content forged a begin marker")
        Fuzz.require(count(fence.end, in: fenced) == 1, "the content forged an end marker")
        Fuzz.require(fenced.hasPrefix(fence.begin + "\n") && fenced.hasSuffix("\n" + fence.end), "the fence moved")
        let line = UntrustedContent.line(content, max: 200)
        Fuzz.require(!line.contains("\n") && line.count <= 200, "a one-line excerpt has a newline or is too long")
    }
}

/// Occurrences of `needle` in `text`, byte for byte (a Character-level search misses a marker whose last `>`
/// carries a combining mark).
func count(_ needle: String, in text: String) -> Int {
    let needle = Array(needle.utf8), bytes = Array(text.utf8)
    guard bytes.count >= needle.count else { return 0 }
    return (0...(bytes.count - needle.count)).filter {
        bytes[$0] == needle[0] && bytes[$0..<$0 + needle.count].elementsEqual(needle)
    }.count
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    Target.run(Fuzz.text(bytes, size))
    return 0
}

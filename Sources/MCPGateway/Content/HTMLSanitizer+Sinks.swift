import Foundation

/// Receives what ``HTMLSanitizer`` keeps.
protocol Sink {
    mutating func text(_ text: String)
    mutating func open(_ name: String, href: String?)
    mutating func close(_ name: String)
    mutating func void(_ name: String)
    /// The walk scanned `count` more scalars (a measure of its work, for the linear-time test).
    mutating func scanned(_ count: Int)
}

extension Sink {
    mutating func scanned(_ count: Int) {}
}

/// Builds readable plain text.
struct TextSink: Sink {
    private var out = ""
    private var links: [String?] = []
    private var linkText: [String] = []
    static let blocks: Set<String> = [
        "p", "div", "section", "article", "header", "footer", "blockquote", "pre", "table", "tr", "ul", "ol", "h1",
        "h2", "h3", "h4", "h5", "h6", "li", "dl", "dt", "dd", "address", "center", "form", "fieldset", "main", "nav",
    ]

    mutating func text(_ text: String) {
        let collapsed = text.replacingOccurrences(of: #"[ \t\r\n\f]+"#, with: " ", options: .regularExpression)
        if !linkText.isEmpty { linkText[linkText.count - 1] += collapsed }
        if out.hasSuffix("\n") || out.isEmpty {
            out += collapsed.drop { $0 == " " }
        } else {
            out += collapsed
        }
    }

    mutating func open(_ name: String, href: String?) {
        if Self.blocks.contains(name) { newline() }
        if name == "li" { out += "- " }
        if name == "td" || name == "th", !out.hasSuffix("\n"), !out.isEmpty { out += " | " }
        if name == "a" {
            links.append(href)
            linkText.append("")
        }
    }

    mutating func close(_ name: String) {
        if name == "a", let href = links.popLast() {
            let shown = linkText.popLast() ?? ""
            if let href, !href.isEmpty, shown.trimmingCharacters(in: .whitespaces) != href,
                !href.lowercased().hasPrefix("mailto:") || !shown.contains("@")
            {
                out += " (\(href))"
            }
        }
        if Self.blocks.contains(name) { newline() }
        if ["p", "h1", "h2", "h3", "blockquote", "table"].contains(name) { blankLine() }
    }

    mutating func void(_ name: String) {
        if name == "br" { out += "\n" }
        if name == "hr" {
            newline()
            out += "---\n"
        }
    }

    private mutating func newline() {
        while out.hasSuffix(" ") { out.removeLast() }
        if !out.isEmpty && !out.hasSuffix("\n") { out += "\n" }
    }

    private mutating func blankLine() {
        newline()
        if !out.isEmpty && !out.hasSuffix("\n\n") { out += "\n" }
    }

    func finish() -> String {
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        var result: [String] = []
        for line in lines where !(line.isEmpty && (result.last?.isEmpty ?? true)) { result.append(line) }
        return result.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Builds allow-listed HTML: structure and safe links only, every text escaped.
struct HTMLSink: Sink {
    var result = ""
    private var opened: [String] = []
    static let allowed: Set<String> = [
        "p", "div", "span", "a", "b", "strong", "i", "em", "u", "s", "ul", "ol", "li", "table", "thead", "tbody",
        "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code", "dl", "dt", "dd", "sub",
        "sup", "small",
    ]

    mutating func text(_ text: String) { result += Self.escape(text) }

    mutating func open(_ name: String, href: String?) {
        guard Self.allowed.contains(name) else { return }
        if name == "a", let href {
            result += "<a href=\"\(Self.escape(href))\" rel=\"noopener noreferrer nofollow\">"
        } else {
            result += "<\(name)>"
        }
        opened.append(name)
    }

    mutating func close(_ name: String) {
        guard Self.allowed.contains(name), let index = opened.lastIndex(of: name) else { return }
        for n in opened[index...].reversed() { result += "</\(n)>" }
        opened.removeSubrange(index...)
    }

    mutating func void(_ name: String) {
        if name == "br" { result += "<br>" }
        if name == "hr" { result += "<hr>" }
    }

    /// Escapes per Unicode scalar: a `<` followed by a combining mark is one Character, which a Character-level
    /// replace would leave raw (found by `Fuzz/FuzzHTMLSanitizer`).
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

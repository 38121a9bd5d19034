import Foundation

/// Turns mail HTML into what a person would see: hidden text, scripts, styles, comments and tracking images
/// removed, then either plain text (``text(_:)``) or a small allow-listed HTML (``html(_:)``).
///
/// Hidden means: `display:none`, `visibility:hidden`, `opacity:0`, zero font size or box, off-screen positions,
/// `mso-hide:all`, `transform:scale(0)`, transparent text (`transparent`, zero alpha), the `hidden` attribute,
/// text whose colour is the background's (or near-white on the default white background), and any of these set
/// by a `<style>` rule on a class, id or tag. CSS escapes (`n\6f ne`) are decoded first. Whatever is inside a
/// hidden element is dropped, however deeply nested.
///
/// Linear time: every scan moves forward (no backtracking regex); the walk reports the scalars it scanned to
/// its sink (``Sink/scanned(_:)``), which the tests use to check the work grows linearly with the input.
public enum HTMLSanitizer {
    /// Visible text: paragraphs and line breaks kept, links as `text (url)`, list items as `- item`.
    public static func text(_ html: String) -> String {
        var out = TextSink()
        walk(html, into: &out)
        return out.finish()
    }

    /// Allow-listed HTML: structure and links (http, https, mailto) only, no attributes besides `href`, no
    /// images (their `alt` text kept), nothing hidden.
    public static func html(_ html: String) -> String {
        var out = HTMLSink()
        walk(html, into: &out)
        return out.result.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: - Walking

    struct Element {
        var name: String
        var hidden: Bool
        /// Text colour and background in force (lower-cased CSS values), for white-on-white checks.
        var color: RGB?
        var background: RGB?
    }

    /// Elements whose content is never shown as text.
    static let rawTextElements: Set<String> = [
        "script", "style", "title", "noscript", "template", "iframe", "object", "embed", "svg", "math", "head",
        "xml", "noembed", "noframes", "canvas", "audio", "video", "select", "textarea", "button",
    ]
    static let voidElements: Set<String> = [
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
    ]

    static func walk<S: Sink>(_ html: String, into sink: inout S) {
        let chars = Array(html.unicodeScalars)
        var i = 0
        var stack: [Element] = [Element(name: "#root", hidden: false, color: nil, background: nil)]
        var pending = ""
        let sheet = HiddenSelectors(styleSheetsIn: chars)
        sink.scanned(chars.count)

        func flushText(_ sink: inout S) {
            if !pending.isEmpty {
                if !stack.last!.hidden { sink.text(decodeEntities(pending)) }
                pending = ""
            }
        }

        while i < chars.count {
            let c = chars[i]
            guard c == "<" else {
                pending.unicodeScalars.append(c)
                i += 1
                continue
            }
            // Comment, doctype, CDATA, processing instruction: dropped.
            if match(chars, i, "<!--") {
                flushText(&sink)
                let end = find(chars, i + 4, "-->").map { $0 + 3 } ?? chars.count
                sink.scanned(end - i)
                i = end
                continue
            }
            if match(chars, i, "<!") || match(chars, i, "<?") {
                flushText(&sink)
                let end = find(chars, i + 2, ">").map { $0 + 1 } ?? chars.count
                sink.scanned(end - i)
                i = end
                continue
            }
            let isEnd = i + 1 < chars.count && chars[i + 1] == "/"
            let nameStart = isEnd ? i + 2 : i + 1
            guard nameStart < chars.count, chars[nameStart].properties.isAlphabetic else {
                pending.unicodeScalars.append(c)  // a lone "<" is text
                i += 1
                continue
            }
            flushText(&sink)
            let (tag, next) = parseTag(chars, from: nameStart)
            sink.scanned(next - i)
            i = next
            if isEnd {
                if let index = stack.lastIndex(where: { $0.name == tag.name }), index > 0 {
                    let closing = stack[index...]
                    for element in closing.reversed() where !element.hidden { sink.close(element.name) }
                    stack.removeSubrange(index...)
                }
                continue
            }
            // Implied end of an open paragraph or list item, as browsers do.
            if ["p", "li", "tr", "td", "th", "option"].contains(tag.name),
                let index = stack.lastIndex(where: { $0.name == tag.name }), index > 0,
                !stack[(index + 1)...].contains(where: { ["table", "ul", "ol"].contains($0.name) })
            {
                for element in stack[index...].reversed() where !element.hidden { sink.close(element.name) }
                stack.removeSubrange(index...)
            }
            let parent = stack.last!
            var element = Element(
                name: tag.name, hidden: parent.hidden, color: parent.color, background: parent.background)
            let style = parseStyle(tag.attributes["style"] ?? "")
            if let value = tag.attributes["color"], tag.name == "font" {
                element.color = RGB(css: value) ?? element.color
            }
            if let value = tag.attributes["bgcolor"] { element.background = RGB(css: value) ?? element.background }
            if let value = style["color"] { element.color = RGB(css: value) ?? element.color }
            if let value = style["background-color"] ?? style["background"] {
                element.background = RGB(css: value) ?? element.background
            }
            if isHidden(tag: tag, style: style, element: element) || sheet.hides(tag)
                || rawTextElements.contains(tag.name)
            {
                element.hidden = true
            }
            if rawTextElements.contains(tag.name) && !tag.selfClosing {
                // Skip to the matching end tag without interpreting the content.
                let end = findEndTag(chars, from: i, name: tag.name) ?? chars.count
                sink.scanned(end - i)
                i = end
                continue
            }
            if tag.name == "img" {
                if !element.hidden && !isTrackingImage(tag, style: style) {
                    let alt = (tag.attributes["alt"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                    if !alt.isEmpty { sink.text("[image: \(decodeEntities(alt))]") }
                }
                continue
            }
            if voidElements.contains(tag.name) || tag.selfClosing {
                if !element.hidden { sink.void(tag.name) }
                continue
            }
            if !element.hidden { sink.open(tag.name, href: safeHref(tag.attributes["href"])) }
            stack.append(element)
            if stack.count > 512 { stack.removeSubrange(1..<2) }  // pathological nesting: bounded
        }
        flushText(&sink)
        for element in stack.dropFirst().reversed() where !element.hidden { sink.close(element.name) }
    }

    static func isHidden(tag: Tag, style: [String: String], element: Element) -> Bool {
        if tag.attributes["hidden"] != nil { return true }
        if styleHides(style) { return true }
        if tag.attributes["width"] == "0" || tag.attributes["height"] == "0" { return true }
        if let color = element.color {
            let background = element.background ?? RGB(r: 255, g: 255, b: 255)
            if color.isClose(to: background) { return true }
        }
        return false
    }

    /// Whether these declarations alone hide an element (inline, or a `<style>` rule's).
    static func styleHides(_ style: [String: String]) -> Bool {
        if let v = style["display"], v.hasPrefix("none") { return true }
        if let v = style["visibility"], v.hasPrefix("hidden") || v.hasPrefix("collapse") { return true }
        if let v = style["mso-hide"], v.hasPrefix("all") { return true }
        if let v = style["opacity"], let n = Double(v.prefix { $0.isNumber || $0 == "." }), n < 0.1 { return true }
        if let v = style["font-size"], cssLength(v).map({ $0 < 2 }) == true { return true }
        for property in ["width", "height", "max-height", "max-width"] {
            if let v = style[property], cssLength(v) == 0 { return true }
        }
        if let v = style["line-height"], cssLength(v) == 0, style["overflow"]?.hasPrefix("hidden") == true {
            return true
        }
        if let v = style["text-indent"], let n = cssLength(v), n < -999 { return true }
        if style["position"].map({ $0.hasPrefix("absolute") || $0.hasPrefix("fixed") }) == true {
            for property in ["left", "top", "right"] {
                if let v = style[property], let n = cssLength(v), n < -999 { return true }
            }
        }
        if let v = style["clip"],
            v.replacingOccurrences(of: " ", with: "").contains("rect(0,0,0,0)") || v.contains("rect(0 0 0 0)")
        {
            return true
        }
        if let v = style["color"], RGB.isTransparent(css: v) { return true }
        if let v = style["-webkit-text-fill-color"], RGB.isTransparent(css: v) { return true }
        if let v = style["transform"], zeroScale(v) { return true }
        if let v = style["scale"], let n = Double(v.prefix { $0.isNumber || $0 == "." }), n < 0.1 { return true }
        return false
    }

    /// `scale(0)`, `scale(0.01, 1)`, `scaleX(0)`, `scaleY(0)`, `scale3d(0, …)` anywhere in a transform.
    static func zeroScale(_ transform: String) -> Bool {
        var rest = Substring(transform)
        while let range = rest.range(of: "scale") {
            rest = rest[range.upperBound...]
            let args = rest.drop { $0.isLetter || $0 == "3" }
            guard args.first == "(" else { continue }
            let numbers = args.dropFirst().prefix { $0 != ")" }.split(separator: ",").map {
                Double($0.trimmingCharacters(in: .whitespaces).prefix { $0.isNumber || $0 == "." || $0 == "-" })
            }
            if numbers.contains(where: { $0.map { abs($0) < 0.1 } ?? false }) { return true }
        }
        return false
    }

    /// Beacons: tiny or zero-size images, or images hidden by style. All remote images are dropped anyway;
    /// this only decides whether the `alt` text is worth keeping.
    static func isTrackingImage(_ tag: Tag, style: [String: String]) -> Bool {
        for key in ["width", "height"] {
            if let v = tag.attributes[key].flatMap({ cssLength($0) }), v <= 2 { return true }
            if let v = style[key].flatMap({ cssLength($0) }), v <= 2 { return true }
        }
        return false
    }

    static func safeHref(_ href: String?) -> String? {
        guard let raw = href?.trimmingCharacters(in: .whitespacesAndNewlines) else { return nil }
        let decoded = decodeEntities(raw)
        let lower = decoded.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://") || lower.hasPrefix("mailto:") else {
            return nil
        }
        guard decoded.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0 != "\"" && $0 != "<" && $0 != ">" }) else {
            return nil
        }
        return String(decoded.prefix(2048))
    }

    // MARK: - Tags

    struct Tag {
        var name: String
        var attributes: [String: String]
        var selfClosing: Bool
    }

    /// Parses `name attr="v" …>` from `from` (just after `<` or `</`); returns the index after `>`.
    static func parseTag(_ c: [Unicode.Scalar], from start: Int) -> (Tag, Int) {
        var i = start
        var name = ""
        while i < c.count, c[i] != ">", c[i] != "/", !c[i].properties.isWhitespace {
            name.unicodeScalars.append(c[i])
            i += 1
        }
        var attributes: [String: String] = [:]
        var selfClosing = false
        while i < c.count {
            while i < c.count, c[i].properties.isWhitespace { i += 1 }
            guard i < c.count else { break }
            if c[i] == ">" {
                i += 1
                break
            }
            if c[i] == "/" {
                selfClosing = true
                i += 1
                continue
            }
            var key = ""
            while i < c.count, c[i] != "=", c[i] != ">", c[i] != "/" || key.isEmpty, !c[i].properties.isWhitespace {
                key.unicodeScalars.append(c[i])
                i += 1
            }
            while i < c.count, c[i].properties.isWhitespace { i += 1 }
            var value = ""
            if i < c.count, c[i] == "=" {
                i += 1
                while i < c.count, c[i].properties.isWhitespace { i += 1 }
                if i < c.count, c[i] == "\"" || c[i] == "'" {
                    let quote = c[i]
                    i += 1
                    while i < c.count, c[i] != quote {
                        value.unicodeScalars.append(c[i])
                        i += 1
                    }
                    i += 1
                } else {
                    while i < c.count, c[i] != ">", !c[i].properties.isWhitespace {
                        value.unicodeScalars.append(c[i])
                        i += 1
                    }
                }
            }
            if !key.isEmpty, attributes[key.lowercased()] == nil { attributes[key.lowercased()] = value }
            if key.isEmpty { i += 1 }
        }
        return (Tag(name: name.lowercased(), attributes: attributes, selfClosing: selfClosing), min(i, c.count))
    }

    /// Declarations of a `style` attribute or rule body: comments removed, CSS escapes decoded, names and values
    /// lower-cased. One forward pass each.
    static func parseStyle(_ style: String) -> [String: String] {
        var out: [String: String] = [:]
        let cleaned = decodeCSSEscapes(stripCSSComments(style))
        for declaration in cleaned.split(separator: ";") {
            let parts = declaration.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let key = parts[0].trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            let value = parts[1].replacingOccurrences(of: "!important", with: "")
                .trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            out[key] = value
        }
        return out
    }

    /// `text` without `/* … */` comments (an unterminated one runs to the end, as in CSS).
    static func stripCSSComments(_ text: String) -> String {
        guard text.contains("/*") else { return text }
        var out = String.UnicodeScalarView()
        var inComment = false
        var previous: Unicode.Scalar = " "
        for scalar in text.unicodeScalars {
            if inComment {
                if previous == "*" && scalar == "/" {
                    inComment = false
                    previous = " "
                    continue
                }
            } else if previous == "/" && scalar == "*" {
                out.removeLast()
                inComment = true
                previous = " "  // `/*/` does not close
                continue
            } else {
                out.append(scalar)
            }
            previous = scalar
        }
        return String(out)
    }

    /// CSS escapes decoded: `\` and 1–6 hex digits (plus one optional space) is that code point; `\` and any
    /// other character is that character.
    static func decodeCSSEscapes(_ text: String) -> String {
        guard text.contains("\\") else { return text }
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            guard scalars[i] == "\\", i + 1 < scalars.count else {
                out.append(scalars[i])
                i += 1
                continue
            }
            var j = i + 1
            var value: UInt32 = 0
            while j < scalars.count, j - i <= 6, let digit = hexValue(scalars[j]) {
                value = value * 16 + digit
                j += 1
            }
            if j == i + 1 {
                out.append(scalars[j])
                i = j + 1
                continue
            }
            out.append(Unicode.Scalar(value).flatMap { $0 == "\0" ? nil : $0 } ?? "\u{FFFD}")
            if j < scalars.count, scalars[j].properties.isWhitespace { j += 1 }
            i = j
        }
        return String(out)
    }

    /// The value of an ASCII hex digit.
    static func hexValue(_ s: Unicode.Scalar) -> UInt32? {
        switch s.value {
        case 0x30...0x39: s.value - 0x30
        case 0x41...0x46: s.value - 0x37
        case 0x61...0x66: s.value - 0x57
        default: nil
        }
    }

    /// A CSS length in px-ish units (`0`, `0px`, `1pt`, `0em`, `0%`); nil when it is not a plain length.
    static func cssLength(_ value: String) -> Double? {
        let v = value.trimmingCharacters(in: .whitespaces).lowercased()
        let number = v.prefix { $0.isNumber || $0 == "." || $0 == "-" || $0 == "+" }
        guard let n = Double(number) else { return nil }
        let unit = v.dropFirst(number.count).trimmingCharacters(in: .whitespaces)
        switch unit {
        case "", "px": return n
        case "pt": return n * 4 / 3
        case "em", "rem": return n * 16
        case "%": return n == 0 ? 0 : 100
        default: return n == 0 ? 0 : nil
        }
    }

    static func match(_ c: [Unicode.Scalar], _ i: Int, _ literal: String) -> Bool {
        var j = i
        for s in literal.unicodeScalars {
            guard j < c.count, Character(c[j]).lowercased() == Character(s).lowercased() else { return false }
            j += 1
        }
        return true
    }

    static func find(_ c: [Unicode.Scalar], _ from: Int, _ literal: String) -> Int? {
        guard let first = literal.unicodeScalars.first?.value else { return nil }
        // ASCII case fold of the first scalar: `match` (which allocates) runs only where it can succeed.
        let folded = (0x41...0x5A).contains(first) ? first + 0x20 : first
        var i = max(from, 0)
        while i < c.count {
            let v = c[i].value
            if v == folded || (0x61...0x7A).contains(folded) && v == folded - 0x20, match(c, i, literal) { return i }
            i += 1
        }
        return nil
    }

    /// Index after `</name …>`, case-insensitive.
    static func findEndTag(_ c: [Unicode.Scalar], from: Int, name: String) -> Int? {
        var i = from
        while let start = find(c, i, "</" + name) {
            let after = start + 2 + name.unicodeScalars.count
            if after >= c.count || c[after] == ">" || c[after].properties.isWhitespace || c[after] == "/" {
                return find(c, after, ">").map { $0 + 1 } ?? c.count
            }
            i = after
        }
        return nil
    }

    // MARK: - Entities

    static let namedEntities: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ", "copy": "©", "reg": "®",
        "trade": "™", "hellip": "…", "mdash": "—", "ndash": "–", "lsquo": "‘", "rsquo": "’", "ldquo": "“",
        "rdquo": "”", "bull": "•", "middot": "·", "euro": "€", "pound": "£", "yen": "¥", "cent": "¢", "zwnj": "",
        "zwj": "", "shy": "", "ensp": " ", "emsp": " ", "thinsp": " ", "laquo": "«", "raquo": "»",
    ]

    static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var i = text.startIndex
        while i < text.endIndex {
            if text[i] == "&", let semi = text[i...].prefix(12).firstIndex(of: ";") {
                let name = String(text[text.index(after: i)..<semi])
                var decoded: String?
                if name.hasPrefix("#x") || name.hasPrefix("#X") {
                    decoded = UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map {
                        String(Character($0))
                    }
                } else if name.hasPrefix("#") {
                    decoded = UInt32(name.dropFirst()).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
                } else {
                    decoded = namedEntities[name.lowercased()]
                }
                if let decoded {
                    out += decoded
                    i = text.index(after: semi)
                    continue
                }
            }
            out.append(text[i])
            i = text.index(after: i)
        }
        return out
    }
}

/// An sRGB colour from CSS (`#fff`, `#ffffff`, `white`, `rgb(255,255,255)`).
struct RGB: Equatable {
    var r: Int, g: Int, b: Int

    init(r: Int, g: Int, b: Int) {
        self.r = r
        self.g = g
        self.b = b
    }

    init?(css: String) {
        let v = css.trimmingCharacters(in: .whitespaces).lowercased()
        let named: [String: (Int, Int, Int)] = [
            "white": (255, 255, 255), "black": (0, 0, 0), "snow": (255, 250, 250), "ivory": (255, 255, 240),
            "whitesmoke": (245, 245, 245), "ghostwhite": (248, 248, 255), "red": (255, 0, 0), "blue": (0, 0, 255),
            "gray": (128, 128, 128), "grey": (128, 128, 128), "silver": (192, 192, 192), "green": (0, 128, 0),
        ]
        let word = String(v.prefix { $0.isLetter })
        if let n = named[word], word == v || v.hasPrefix(word + " ") {
            self.init(r: n.0, g: n.1, b: n.2)
            return
        }
        if v.hasPrefix("#") {
            // ASCII only: `isHexDigit` also accepts fullwidth digits, which `Int(_:radix:)` refuses.
            let hex = String(v.dropFirst().prefix { $0.isASCII && $0.isHexDigit })
            if hex.count == 3 || hex.count == 4 {
                let d = hex.map { Int(String($0), radix: 16)! * 17 }
                self.init(r: d[0], g: d[1], b: d[2])
                return
            }
            if hex.count == 6 || hex.count == 8, let n = Int(hex.prefix(6), radix: 16) {
                self.init(r: (n >> 16) & 255, g: (n >> 8) & 255, b: n & 255)
                return
            }
            return nil
        }
        if v.hasPrefix("rgb") {
            let numbers = v.drop { $0 != "(" }.dropFirst().split(whereSeparator: { ",) /".contains($0) })
                .compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            // `nan`, `inf` and `1e400` parse as Doubles that `Int(_:)` traps on; CSS clamps channels to 0…255.
            guard numbers.count >= 3, numbers.prefix(3).allSatisfy(\.isFinite) else { return nil }
            let channel = { (value: Double) in Int(min(max(value, 0), 255)) }
            self.init(r: channel(numbers[0]), g: channel(numbers[1]), b: channel(numbers[2]))
            return
        }
        return nil
    }

    /// Whether a CSS colour draws nothing: `transparent`, or an alpha of zero (`rgba(…, 0)`, `rgb(… / 0%)`,
    /// `hsla(…, 0)`, `#rrggbb00`, `#rgb0`).
    static func isTransparent(css: String) -> Bool {
        let v = css.trimmingCharacters(in: .whitespaces).lowercased()
        if v.hasPrefix("transparent") { return true }
        if v.hasPrefix("#") {
            let hex = v.dropFirst().prefix { $0.isASCII && $0.isHexDigit }
            return (hex.count == 4 && hex.last == "0") || (hex.count == 8 && hex.suffix(2) == "00")
        }
        guard v.hasPrefix("rgb") || v.hasPrefix("hsl") else { return false }
        let inside = v.drop { $0 != "(" }.dropFirst().prefix { $0 != ")" }
        let alpha: Substring
        if let slash = inside.lastIndex(of: "/") {
            alpha = inside[inside.index(after: slash)...]
        } else {
            let parts = inside.split(separator: ",")
            guard parts.count == 4 else { return false }
            alpha = parts[3]
        }
        let number = alpha.trimmingCharacters(in: .whitespaces).prefix { $0.isNumber || $0 == "." }
        return Double(number).map { $0 < 0.05 } ?? false
    }

    /// Indistinguishable to a reader (each channel within 24 of the other).
    func isClose(to other: RGB) -> Bool {
        abs(r - other.r) <= 24 && abs(g - other.g) <= 24 && abs(b - other.b) <= 24
    }
}

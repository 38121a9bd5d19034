import Foundation

extension HTMLSanitizer {
    /// Classes, ids and tag names that a `<style>` element's rules hide (`.h{display:none}`), collected in one
    /// forward pass before the walk (a rule applies wherever its element stands). The last compound selector of
    /// each rule counts, so `div .h` hides every `.h`: hiding too much is the safe error.
    struct HiddenSelectors {
        var classes: Set<String> = []
        var ids: Set<String> = []
        var tags: Set<String> = []

        init(styleSheetsIn chars: [Unicode.Scalar]) {
            var i = 0
            while let start = find(chars, i, "<style") {
                guard let open = find(chars, start + 6, ">") else { break }
                let end = find(chars, open + 1, "</style") ?? chars.count
                var css = String.UnicodeScalarView()
                css.append(contentsOf: chars[(open + 1)..<end])
                add(rules: String(css))
                i = end
            }
        }

        /// Whether a rule hides this element.
        func hides(_ tag: Tag) -> Bool {
            if classes.isEmpty && ids.isEmpty && tags.isEmpty { return false }
            if tags.contains(tag.name) { return true }
            if let id = tag.attributes["id"], ids.contains(id.lowercased()) { return true }
            guard !classes.isEmpty, let names = tag.attributes["class"] else { return false }
            return names.lowercased().split(whereSeparator: \.isWhitespace).contains { classes.contains(String($0)) }
        }

        mutating func add(rules text: String) {
            let css = decodeCSSEscapes(stripCSSComments(text))
            for rule in css.split(separator: "}") {
                guard let brace = rule.lastIndex(of: "{") else { continue }
                let body = rule[rule.index(after: brace)...]
                var selectors = rule[..<brace]
                if let outer = selectors.lastIndex(of: "{") { selectors = selectors[selectors.index(after: outer)...] }
                guard !selectors.contains("@"), styleHides(parseStyle(String(body))) else { continue }
                for selector in selectors.split(separator: ",") { add(selector: selector) }
            }
        }

        /// Records the last compound of `selector`: its classes and ids (`div > p.note:hover` → class `note`), or
        /// its tag name when it has neither (`span`).
        mutating func add(selector: Substring) {
            guard
                let compound = selector.lowercased().split(whereSeparator: { $0.isWhitespace || ">+~".contains($0) })
                    .last
            else { return }
            let simple = compound.prefix { $0 != ":" && $0 != "[" }
            let parts = simple.split(separator: ".", omittingEmptySubsequences: false)
            let tag = parts[0].prefix { $0 != "#" }
            var named = false
            for (index, part) in parts.enumerated() {
                let pieces = part.split(separator: "#", omittingEmptySubsequences: false)
                if index > 0, let name = pieces.first, !name.isEmpty {
                    classes.insert(String(name))
                    named = true
                }
                for id in pieces.dropFirst() where !id.isEmpty {
                    ids.insert(String(id))
                    named = true
                }
            }
            if !named, !tag.isEmpty, tag != "*" { tags.insert(String(tag)) }
        }
    }
}

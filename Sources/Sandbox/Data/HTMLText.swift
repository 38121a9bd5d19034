import Foundation

/// A small HTML-to-text converter for `Prefer: outlook.body-content-type="text"`.
enum HTMLText {
    /// Drops tags and comments, turns block ends into new lines and decodes common entities.
    /// Like Exchange, it does not evaluate CSS, so text hidden by styles stays in the text.
    static func plainText(_ html: String) -> String {
        var out = ""
        var i = html.startIndex
        while i < html.endIndex {
            if html[i...].hasPrefix("<!--") {
                if let end = html[i...].range(of: "-->") { i = end.upperBound } else { break }
                continue
            }
            if html[i] == "<" {
                guard let close = html[i...].firstIndex(of: ">") else { break }
                let tag = html[html.index(after: i)..<close].lowercased()
                if tag.hasPrefix("style") || tag.hasPrefix("script") {
                    let endTag = tag.hasPrefix("style") ? "</style>" : "</script>"
                    if let end = html[close...].range(of: endTag, options: .caseInsensitive) {
                        i = end.upperBound
                        continue
                    }
                }
                if tag.hasPrefix("/p") || tag.hasPrefix("br") || tag.hasPrefix("/div") || tag.hasPrefix("/tr")
                    || tag.hasPrefix("/li") || tag.hasPrefix("/h")
                {
                    out += "\n"
                }
                i = html.index(after: close)
                continue
            }
            out.append(html[i])
            i = html.index(after: i)
        }
        let decoded = out.replacingOccurrences(of: "&nbsp;", with: " ").replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
        let lines = decoded.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        var result: [String] = []
        for line in lines where !(line.isEmpty && (result.last?.isEmpty ?? true)) { result.append(line) }
        return result.joined(separator: "\r\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

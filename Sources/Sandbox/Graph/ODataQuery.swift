import Foundation

/// The OData system query options of one Graph request.
struct ODataQuery: Sendable {
    var select: [String]?
    var top: Int?
    var skip: Int = 0
    var orderBy: [(field: String, descending: Bool)] = []
    var filter: ODataFilter?
    var search: SearchQuery?
    var count = false
    /// Every raw query parameter, for building `@odata.nextLink`.
    var raw: [String: String]

    static let maxTop = 1000

    init(_ raw: [String: String]) throws(GraphError) {
        self.raw = raw
        func value(_ name: String) -> String? {
            raw.first { $0.key.lowercased() == "$" + name || $0.key.lowercased() == name }?.value
        }
        if let s = value("select") {
            select = s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        if let t = value("top") {
            guard let n = Int(t), n >= 0 else {
                throw GraphError.badRequest(
                    "Invalid value '\(t)' for $top query option found. The $top query option requires a non-negative integer value."
                )
            }
            guard n <= Self.maxTop else {
                throw GraphError.badRequest(
                    "The limit of '\(Self.maxTop)' for Top query has been exceeded. The value from the incoming request is '\(n)'."
                )
            }
            top = max(1, n)
        }
        if let s = value("skip") {
            guard let n = Int(s), n >= 0 else {
                throw GraphError.badRequest(
                    "Invalid value '\(s)' for $skip query option found. The $skip query option requires a non-negative integer value."
                )
            }
            skip = n
        }
        if let o = value("orderby") {
            for part in o.split(separator: ",") {
                let words = part.split(separator: " ").map(String.init)
                guard let f = words.first else { continue }
                guard words.count == 1 || (words.count == 2 && ["asc", "desc"].contains(words[1].lowercased())) else {
                    throw GraphError.badRequest(
                        "Syntax error: character '\(words.last ?? "")' is not valid at position 0 in '\(o)'.")
                }
                orderBy.append((f, words.count == 2 && words[1].lowercased() == "desc"))
            }
        }
        if let f = value("filter") { filter = try ODataFilter.parse(f) }
        if let s = value("search") { search = SearchQuery(s) }
        if let c = value("count") {
            guard ["true", "false"].contains(c.lowercased()) else {
                throw GraphError.badRequest(
                    "Invalid value '\(c)' for $count query option found. Valid values are 'true', 'false'.")
            }
            count = c.lowercased() == "true"
        }
        if search != nil && !orderBy.isEmpty {
            throw GraphError.badRequest(
                "The query parameter '$orderBy' is not supported with '$search'.", code: "ErrorInvalidUrlQuery")
        }
        if search != nil && filter != nil {
            throw GraphError.badRequest(
                "The query parameter '$filter' is not supported with '$search'.", code: "ErrorInvalidUrlQuery")
        }
    }

    /// Outlook's rule: properties in `$orderby` must also be in `$filter`, in the same order and first.
    func checkFilterOrderBy() throws(GraphError) {
        guard let filter, !orderBy.isEmpty else { return }
        let props = filter.properties.map { $0.lowercased() }
        for (i, o) in orderBy.enumerated() where i >= props.count || props[i] != o.field.lowercased() {
            throw GraphError(
                status: 400, code: "InefficientFilter",
                message: "The restriction or sort order is too complex for this operation.")
        }
    }

    /// The next-page URL when more items remain.
    func nextLink(base: String, path: String, pageSize: Int, total: Int) -> String? {
        guard skip + pageSize < total else { return nil }
        var params = raw.filter { $0.key.lowercased() != "$skip" && $0.key.lowercased() != "skip" }
        params["$skip"] = String(skip + pageSize)
        if params["$top"] == nil && params["top"] == nil { params["$top"] = String(pageSize) }
        return base + path + "?" + WireFormat.encodeForm(params.sorted { $0.key < $1.key })
    }
}

/// A KQL `$search` value: free words plus `from:`, `to:`, `subject:`, `body:`, `received:`, `hasattachment:`.
struct SearchQuery: Sendable {
    var words: [String] = []
    var fields: [(String, String)] = []

    init(_ text: String) {
        var t = text.trimmingCharacters(in: .whitespaces)
        if t.hasPrefix("\"") && t.hasSuffix("\"") && t.count >= 2 { t = String(t.dropFirst().dropLast()) }
        var tokens: [String] = []
        var current = "", quoted = false
        for c in t {
            if c == "\"" || c == "'" { quoted.toggle(); continue }
            if c == " " && !quoted {
                if !current.isEmpty { tokens.append(current) }
                current = ""
            } else {
                current.append(c)
            }
        }
        if !current.isEmpty { tokens.append(current) }
        for token in tokens where !["and", "AND"].contains(token) {
            if let r = token.range(
                of:
                    #"^(from|to|cc|subject|body|received|hasattachment|hasattachments|attachment|participants):?(>=|<=|>|<|=)?"#,
                options: .regularExpression),
                token[r].contains(":") || token[r].contains(">") || token[r].contains("<")
            {
                let head = String(token[r])
                let name = head.prefix { $0.isLetter }.lowercased()
                let op = head.dropFirst(name.count).replacingOccurrences(of: ":", with: "")
                fields.append((name + op, String(token[r.upperBound...])))
            } else {
                words.append(token.lowercased())
            }
        }
    }

    func matches(_ m: MailMessage) -> Bool {
        let haystack = (m.subject + " " + m.bodyText + " " + m.from.name + " " + m.from.address).lowercased()
        for w in words where !haystack.contains(w) { return false }
        for (name, value) in fields {
            let v = value.lowercased()
            switch name {
            case "from": if !(m.from.name + " " + m.from.address).lowercased().contains(v) { return false }
            case "to", "cc", "participants":
                let all = (m.toRecipients + m.ccRecipients + [m.from]).map { $0.name + " " + $0.address }.joined(
                    separator: " ")
                if !all.lowercased().contains(v) { return false }
            case "subject": if !m.subject.lowercased().contains(v) { return false }
            case "body": if !m.bodyText.lowercased().contains(v) { return false }
            case "attachment": if !m.attachments.contains(where: { $0.name.lowercased().contains(v) }) { return false }
            case "hasattachment", "hasattachments": if m.hasAttachments != (v == "true" || v == "yes") { return false }
            default:
                guard name.hasPrefix("received"), let day = WireFormat.parseDate(value) else { return false }
                let op = String(name.dropFirst("received".count))
                let start = day, end = day.addingTimeInterval(86_400), r = m.receivedDateTime
                switch op {
                case ">=": if r < start { return false }
                case ">": if r < end { return false }
                case "<=": if r >= end { return false }
                case "<": if r >= start { return false }
                default: if r < start || r >= end { return false }
                }
            }
        }
        return true
    }
}

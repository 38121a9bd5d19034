import Foundation

/// A parsed `$filter` expression (the subset Outlook supports on mail, events and contacts).
indirect enum ODataFilter: Sendable {
    case and(ODataFilter, ODataFilter)
    case or(ODataFilter, ODataFilter)
    case not(ODataFilter)
    case compare(path: [String], op: String, value: FieldValue)
    case any(path: [String], variable: String, inner: ODataFilter)
    case function(name: String, path: [String], value: String)

    /// Properties referenced, in order (for Outlook's `$filter` + `$orderby` rule).
    var properties: [String] {
        switch self {
        case .and(let a, let b), .or(let a, let b): return a.properties + b.properties
        case .not(let a): return a.properties
        case .compare(let p, _, _), .function(_, let p, _): return [p.joined(separator: "/")]
        case .any(let p, _, _): return [p.joined(separator: "/")]
        }
    }

    /// Evaluates against an item; `resolve` returns nil for an unknown property.
    func matches(_ resolve: ([String]) -> FieldValue?, variables: [String: FieldValue] = [:]) -> Bool {
        func lookup(_ path: [String]) -> FieldValue? {
            if let v = variables[path[0]] { return v.path(path.dropFirst()) }
            return resolve(path)
        }
        switch self {
        case .and(let a, let b):
            return a.matches(resolve, variables: variables) && b.matches(resolve, variables: variables)
        case .or(let a, let b):
            return a.matches(resolve, variables: variables) || b.matches(resolve, variables: variables)
        case .not(let a): return !a.matches(resolve, variables: variables)
        case .compare(let path, let op, let value):
            guard let actual = lookup(path) else { return false }
            if case .null = value {
                let isNull: Bool
                if case .null = actual { isNull = true } else { isNull = false }
                return op == "eq" ? isNull : (op == "ne" ? !isNull : false)
            }
            guard let c = actual.compare(value) else { return op == "ne" }
            switch op {
            case "eq": return c == .orderedSame
            case "ne": return c != .orderedSame
            case "gt": return c == .orderedDescending
            case "ge": return c != .orderedAscending
            case "lt": return c == .orderedAscending
            case "le": return c != .orderedDescending
            default: return false
            }
        case .any(let path, let variable, let inner):
            guard case .list(let items) = lookup(path) else { return false }
            return items.contains { item in
                var vars = variables
                vars[variable] = item
                return inner.matches(resolve, variables: vars)
            }
        case .function(let name, let path, let value):
            guard case .string(let s) = lookup(path) else { return false }
            let a = s.lowercased(), b = value.lowercased()
            switch name {
            case "contains": return a.contains(b)
            case "startswith": return a.hasPrefix(b)
            case "endswith": return a.hasSuffix(b)
            default: return false
            }
        }
    }

    /// Parses a `$filter` value; the error text follows Graph's "Invalid filter clause" answers.
    static func parse(_ text: String) throws(GraphError) -> ODataFilter {
        var p = Parser(tokens: try tokenize(text))
        let e = try p.orExpr()
        guard p.atEnd else {
            throw GraphError.badRequest("Invalid filter clause: syntax error at position \(p.position).")
        }
        return e
    }

    enum Token: Equatable {
        case word(String)
        case string(String)
        case open, close, comma, colon
    }

    private static func tokenize(_ text: String) throws(GraphError) -> [Token] {
        var out: [Token] = []
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == " " { i += 1; continue }
            if c == "(" { out.append(.open); i += 1; continue }
            if c == ")" { out.append(.close); i += 1; continue }
            if c == "," { out.append(.comma); i += 1; continue }
            if c == ":" && (i + 1 >= chars.count || !chars[i + 1].isNumber) { out.append(.colon); i += 1; continue }
            if c == "'" {
                var s = ""
                i += 1
                while true {
                    guard i < chars.count else {
                        throw GraphError.badRequest("Invalid filter clause: unterminated string literal.")
                    }
                    if chars[i] == "'" {
                        if i + 1 < chars.count && chars[i + 1] == "'" { s.append("'"); i += 2; continue }
                        i += 1
                        break
                    }
                    s.append(chars[i])
                    i += 1
                }
                out.append(.string(s))
                continue
            }
            var w = ""
            while i < chars.count, !" (),'".contains(chars[i]) {
                if chars[i] == ":" && !(w.first?.isNumber ?? false) { break }
                w.append(chars[i])
                i += 1
            }
            if w.isEmpty { throw GraphError.badRequest("Invalid filter clause: unexpected character '\(c)'.") }
            out.append(.word(w))
        }
        return out
    }

    private struct Parser {
        let tokens: [Token]
        var position = 0
        init(tokens: [Token]) { self.tokens = tokens }
        var atEnd: Bool { position >= tokens.count }

        mutating func next() -> Token? {
            defer { position += 1 }
            return atEnd ? nil : tokens[position]
        }
        func peekWord() -> String? {
            if !atEnd, case .word(let w) = tokens[position] { return w.lowercased() }
            return nil
        }
        mutating func expect(_ t: Token) throws(GraphError) {
            guard next() == t else {
                throw GraphError.badRequest("Invalid filter clause: syntax error at position \(position).")
            }
        }

        mutating func orExpr() throws(GraphError) -> ODataFilter {
            var e = try andExpr()
            while peekWord() == "or" { position += 1; e = .or(e, try andExpr()) }
            return e
        }
        mutating func andExpr() throws(GraphError) -> ODataFilter {
            var e = try unary()
            while peekWord() == "and" { position += 1; e = .and(e, try unary()) }
            return e
        }
        mutating func unary() throws(GraphError) -> ODataFilter {
            if peekWord() == "not" { position += 1; return .not(try unary()) }
            return try primary()
        }
        mutating func primary() throws(GraphError) -> ODataFilter {
            guard let t = next() else {
                throw GraphError.badRequest("Invalid filter clause: unexpected end of expression.")
            }
            switch t {
            case .open:
                let e = try orExpr()
                try expect(.close)
                return e
            case .word(let w):
                let lw = w.lowercased()
                if ["contains", "startswith", "endswith"].contains(lw), !atEnd, tokens[position] == .open {
                    position += 1
                    guard case .word(let p)? = next() else {
                        throw GraphError.badRequest("Invalid filter clause: expected a property.")
                    }
                    try expect(.comma)
                    guard case .string(let s)? = next() else {
                        throw GraphError.badRequest("Invalid filter clause: expected a string.")
                    }
                    try expect(.close)
                    return .function(name: lw, path: p.split(separator: "/").map(String.init), value: s)
                }
                if lw.hasSuffix("/any") || lw.hasSuffix("/all") {
                    let path = w.split(separator: "/").dropLast().map(String.init)
                    try expect(.open)
                    guard case .word(let v)? = next() else {
                        throw GraphError.badRequest("Invalid filter clause: expected a lambda variable.")
                    }
                    try expect(.colon)
                    let inner = try orExpr()
                    try expect(.close)
                    return .any(path: path, variable: v, inner: inner)
                }
                guard case .word(let op)? = next(), ["eq", "ne", "gt", "ge", "lt", "le"].contains(op.lowercased())
                else {
                    throw GraphError.badRequest("Invalid filter clause: expected a comparison operator after '\(w)'.")
                }
                guard let v = next() else { throw GraphError.badRequest("Invalid filter clause: expected a value.") }
                return .compare(
                    path: w.split(separator: "/").map(String.init), op: op.lowercased(), value: try Self.literal(v))
            default:
                throw GraphError.badRequest("Invalid filter clause: syntax error at position \(position).")
            }
        }

        static func literal(_ t: Token) throws(GraphError) -> FieldValue {
            switch t {
            case .string(let s): return .string(s)
            case .word(let w):
                switch w.lowercased() {
                case "true": return .bool(true)
                case "false": return .bool(false)
                case "null": return .null
                default:
                    if let d = Double(w) { return .number(d) }
                    if let d = WireFormat.parseDate(w) { return .date(d) }
                    if w.hasPrefix("microsoft.graph.") || w.contains("'") { return .string(w) }
                    throw GraphError.badRequest("Invalid filter clause: '\(w)' is not a valid literal.")
                }
            default: throw GraphError.badRequest("Invalid filter clause: expected a value.")
            }
        }
    }
}

import Foundation
import Hummingbird

/// Collection responses: filtering, ordering, paging, `$select`, `$count` and `@odata.nextLink`.
enum Listing {
    /// Converts a resource's JSON into what `$filter`/`$orderby` evaluate (`…DateTime` strings become dates).
    static func fields(_ json: JSONValue, key: String = "") -> FieldValue {
        switch json {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .number(Double(i))
        case .double(let d): return .number(d)
        case .string(let s):
            if key.hasSuffix("DateTime"), let d = WireFormat.parseDate(s) { return .date(d) }
            return .string(s)
        case .array(let a): return .list(a.map { fields($0) })
        case .object(let o):
            var r: [String: FieldValue] = [:]
            for (k, v) in o { r[k] = fields(v, key: k) }
            return .record(r)
        }
    }

    /// Filters and orders JSON items per the query; unknown properties are 400s like Graph's.
    static func apply(
        _ items: [JSONValue], query: ODataQuery, type: String, defaultOrder: [(String, Bool)]
    ) throws(GraphError)
        -> [JSONValue]
    {
        var rows = items.map { ($0, fields($0)) }
        if let sample = items.first, case .object(let pairs) = sample {
            let known = Set(pairs.map { $0.0.lowercased() })
            let used = (query.filter?.properties ?? []) + query.orderBy.map(\.field)
            for p in used {
                let root = p.split(separator: "/").first.map { String($0).lowercased() } ?? ""
                if !known.contains(root) {
                    throw GraphError.badRequest(
                        "Could not find a property named '\(root)' on type 'microsoft.graph.\(type)'.")
                }
            }
        }
        if let filter = query.filter {
            rows = rows.filter { row in filter.matches { row.1.path($0[...]) } }
        }
        let order = query.orderBy.isEmpty ? defaultOrder : query.orderBy.map { ($0.field, $0.descending) }
        rows.sort { a, b in
            for (field, desc) in order {
                let parts = field.split(separator: "/").map(String.init)[...]
                guard let x = a.1.path(parts), let y = b.1.path(parts), let c = x.compare(y), c != .orderedSame else {
                    continue
                }
                return desc ? c == .orderedDescending : c == .orderedAscending
            }
            return false
        }
        return rows.map(\.0)
    }

    /// The collection response for one page.
    static func page(
        _ call: GraphCall, base: String, context: String, items: [JSONValue], total: Int, pageSize: Int
    ) -> Response {
        var o: [(String, JSONValue)] = [
            ("@odata.context", .string("https://graph.microsoft.com/v1.0/$metadata#\(context)"))
        ]
        if call.query.count { o.append(("@odata.count", .int(total))) }
        o.append(("value", .array(items.map { $0.selecting(call.query.select) })))
        let path = call.prefix + "/" + call.rest.joined(separator: "/")
        if let next = call.query.nextLink(base: base, path: path, pageSize: pageSize, total: total) {
            o.append(("@odata.nextLink", .string(next)))
        }
        return HTTPReply.json(200, .object(o))
    }

    /// Pages an already filtered and ordered list.
    static func respond(
        _ call: GraphCall, base: String, context: String, all: [JSONValue], type: String, defaultTop: Int = 10
    )
        throws(GraphError) -> Response
    {
        if let first = all.first { try first.validateSelect(call.query.select, type: type) }
        let size = call.query.top ?? defaultTop
        let slice = Array(all.dropFirst(call.query.skip).prefix(size))
        return page(call, base: base, context: context, items: slice, total: all.count, pageSize: size)
    }
}

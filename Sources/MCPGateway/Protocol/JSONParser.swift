import JSONText

/// A strict RFC 8259 JSON reader (UTF-8 bytes → ``Value``) in one pass, with no Foundation on the way: a tree
/// built through ``JSONReader`` (the one tokenizer), which refuses what two readers could disagree on (the reason
/// `Fuzz/FuzzMCPRequest` exists). On top of it, a repeated object member is refused here.
public enum JSONParser {
    public typealias Failure = JSONReader.Failure

    /// Deeper nesting is refused (a stack-safe bound; no MCP message needs more).
    public static let maxDepth = JSONReader.maxDepth

    /// Parses one JSON text (whitespace around it is allowed).
    public static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes) throws(Failure) -> Value {
        try JSONReader.readDocument(bytes) { (reader: inout JSONReader) throws(Failure) -> Value in
            try element(&reader)
        }
    }

    private static func element(_ reader: inout JSONReader) throws(Failure) -> Value {
        switch try reader.peek() {
        case .object:
            try reader.beginObject()
            var members: [JSONObject.Member] = []
            var offsets: [Int] = []
            var inOrder = true
            while true {
                let keyOffset = reader.offset
                guard let key = try reader.nextMember() else { break }
                if let last = members.last, !(last.0 < key) { inOrder = false }
                members.append((key, try element(&reader)))
                offsets.append(keyOffset)
            }
            guard !inOrder else { return .object(JSONObject(sortedMembers: members)) }
            // Sorted by name (the document's order for equal names, which are then refused at the second).
            let order = members.indices.sorted {
                members[$0].0 != members[$1].0 ? members[$0].0 < members[$1].0 : $0 < $1
            }
            for (previous, index) in zip(order, order.dropFirst()) where members[previous].0 == members[index].0 {
                throw Failure(reason: "repeated object member", offset: offsets[max(previous, index)])
            }
            return .object(JSONObject(sortedMembers: order.map { members[$0] }))
        case .array:
            try reader.beginArray()
            var items: [Value] = []
            while try reader.nextElement() { items.append(try element(&reader)) }
            return .array(items)
        case .string: return .string(try reader.string())
        case .bool: return .bool(try reader.bool())
        case .null:
            _ = try reader.consumeNull()
            return .null
        case .number:
            switch try reader.number() {
            case .int(let int): return .int(int)
            case .double(let double): return .double(double)
            }
        }
    }
}

import Foundation
import MCP

/// Refuses MCP POST bodies that the MCP SDK's two JSON readers would read differently.
///
/// The SDK's HTTP transports classify a message with `JSONSerialization` (and wait for the response to that id),
/// while its `Server` decodes it with `JSONDecoder`. The two disagree on hostile JSON: with a repeated member the
/// first keeps the last value and the second the first; `"id": true` is the id `1` to one and no id to the other;
/// a lone surrogate escape is accepted by one only. The server then answers another id than the transport waits
/// for, and the HTTP request hangs with its `Server` never stopped (found by `Fuzz/FuzzMCPRequest`). graphgate's
/// own routes read bodies with `JSONSerialization` too, so the method they see must also be the one that runs.
package enum JSONRPCBody {
    /// True when the two readers disagree on whether `body` is JSON, or on any message's `id` or `method`.
    package static func isAmbiguous(_ body: Data) -> Bool {
        let serialized = (try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed])).map(fields)
        let decoded = (try? JSONDecoder().decode(Messages.self, from: body))?.items
        guard let serialized, let decoded else { return (serialized == nil) != (decoded == nil) }
        return serialized != decoded
    }

    struct Fields: Decodable, Equatable {
        var id: String?
        var method: String?

        enum CodingKeys: String, CodingKey { case id, method }

        init(id: String?, method: String?) {
            self.id = id
            self.method = method
        }

        /// As the SDK's `Server` decodes them (an id is a string or an integer), never failing.
        init(from decoder: any Decoder) throws {
            let container = try? decoder.container(keyedBy: CodingKeys.self)
            id = (try? container?.decodeIfPresent(ID.self, forKey: .id))?.description
            method = (try? container?.decodeIfPresent(String.self, forKey: .method)) ?? nil
        }
    }

    /// One message, or each message of a batch.
    struct Messages: Decodable {
        var items: [Fields]

        init(from decoder: any Decoder) throws {
            guard var batch = try? decoder.unkeyedContainer() else {
                items = [try Fields(from: decoder)]
                return
            }
            items = []
            while !batch.isAtEnd { items.append(try batch.decode(Fields.self)) }
        }
    }

    /// As the SDK's transports read them (`JSONRPCMessageKind`): a string id, else an integer one.
    static func fields(_ json: Any) -> [Fields] {
        func one(_ item: Any) -> Fields {
            guard let object = item as? [String: Any] else { return Fields(id: nil, method: nil) }
            let id = object["id"] as? String ?? (object["id"] as? Int).map(String.init)
            return Fields(id: id, method: object["method"] as? String)
        }
        if let batch = json as? [Any] { return batch.map(one) }
        return [one(json)]
    }
}

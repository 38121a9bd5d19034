import JSONText

/// A Graph answer read straight from the bytes with ``JSONReader``: no `Decoder` machinery, no key containers.
/// A tool call decodes a whole page of messages, and `JSONDecoder` spent about a third of a call's CPU on it.
///
/// Members a model does not know are skipped; a repeated member keeps its last value; `null` is nil for an
/// optional member; a missing required member or a value of the wrong type is a failure (the client turns it
/// into ``GraphError/invalidResponse(reason:)``). The models stay `Codable`: tests check each hand-written reader
/// against the synthesized decoder.
public protocol GraphDecodable: Decodable, Sendable {
    init(json reader: inout JSONReader) throws(JSONReader.Failure)
}

extension GraphDecodable {
    /// Decodes one complete JSON document (nothing may follow the value).
    public static func decode<Bytes: Collection<UInt8>>(json bytes: Bytes) throws(JSONReader.Failure) -> Self {
        try JSONReader.readDocument(bytes) { (reader: inout JSONReader) throws(JSONReader.Failure) in
            try Self(json: &reader)
        }
    }
}

extension JSONReader {
    /// A model, or `null` as nil.
    mutating func optional<T: GraphDecodable>(_ type: T.Type) throws(Failure) -> T? {
        try consumeNull() ? nil : try T(json: &self)
    }

    /// An array of models, or `null` as nil.
    mutating func optionalArray<T: GraphDecodable>(of type: T.Type) throws(Failure) -> [T]? {
        if try consumeNull() { return nil }
        return try array(of: T.self)
    }

    /// An array of models.
    mutating func array<T: GraphDecodable>(of type: T.Type) throws(Failure) -> [T] {
        try array { (r: inout JSONReader) throws(Failure) in try T(json: &r) }
    }

    /// An array whose elements are read by `element`.
    mutating func array<T>(_ element: (inout JSONReader) throws(Failure) -> T) throws(Failure) -> [T] {
        var items: [T] = []
        try beginArray()
        while try nextElement() { items.append(try element(&self)) }
        return items
    }

    /// The failure for a required member that was absent.
    func missing(_ member: String) -> Failure { failure("missing required member \"\(member)\"") }
}

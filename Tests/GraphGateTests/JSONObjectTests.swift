import Foundation
import MCPGateway
import Testing

/// ``JSONObject``, the sorted member list a ``Value`` object is: checked against a `Dictionary` doing the same
/// edits (the oracle), and through the parser and writer.
@Suite("JSON object")
struct JSONObjectTests {
    @Test("random inserts, replacements and removals agree with a Dictionary; members stay sorted, each name once")
    func agreesWithDictionary() {
        var generator = SystemRandomNumberGenerator()
        let names = ["", "a", "b", "ab", "B", "é", "e\u{301}", "z", "id", "_meta", "10", "9"]
        for _ in 0..<200 {
            var object = JSONObject()
            var oracle: [String: Value] = [:]
            for step in 0..<40 {
                let name = names.randomElement(using: &generator)!
                // Removal one time in four (`.none`: a bare `nil` here would be read as `Value.null`); `.null` is a
                // value like any other, not a removal.
                let value: Value? =
                    Int.random(in: 0..<4, using: &generator) == 0 ? .none : (step % 5 == 0 ? .null : .int(step))
                object[name] = value
                oracle[name] = value
                #expect(object[name] == oracle[name])
            }
            #expect(object.count == oracle.count)
            #expect(Dictionary(uniqueKeysWithValues: object.members) == oracle)
            #expect(
                object == JSONObject(oracle.map { ($0.key, $0.value) }), "equal whatever order the members were set in")
            #expect(zip(object.keys, object.keys.dropFirst()).allSatisfy { $0 < $1 }, "sorted, no name twice")
            for name in names { #expect(object[name] == oracle[name], "\(name)") }
        }
    }

    @Test("a literal or pair list in any order: sorted, and a repeated name keeps its last value")
    func literalsAndPairs() {
        let literal: JSONObject = ["b": 1, "a": 2, "c": 3, "a": 4]
        #expect(literal.keys == ["a", "b", "c"])
        #expect(literal["a"] == 4)
        let many = (0..<100).reversed().map { (String(format: "k%03d", $0 % 50), Value.int($0)) }
        let object = JSONObject(many)
        #expect(object.count == 50)
        #expect(object["k007"] == 7, "of 57 and 7 (in that order), the last one wins")
        #expect(object["missing"] == nil)
    }

    @Test("parsed in any member order, written in name order; a repeated member is refused at its offset")
    func parserAndWriter() throws {
        let parsed = try JSONParser.parse(Array(#"{"z":1,"a":{"y":[1,2],"b":null},"m":"x"}"#.utf8))
        #expect(parsed == ["a": ["b": nil, "y": [1, 2]], "m": "x", "z": 1])
        #expect(parsed["a"]?["b"] == .null, "a member whose value is null is there")
        #expect(parsed["a"]?["c"] == nil, "a member that is not there is nil, not null")
        #expect(JSONWriter.string(parsed) == #"{"a":{"b":null,"y":[1,2]},"m":"x","z":1}"#)
        for text in [#"{"b":1,"a":2,"b":3}"#, #"{"a":1,"a":2}"#] {
            // At the comma before the second one.
            #expect(throws: JSONParser.Failure(reason: "repeated object member", offset: text.count - 7)) {
                try JSONParser.parse(Array(text.utf8))
            }
        }
    }
}

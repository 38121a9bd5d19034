import Foundation
import JSONText
import MCPGateway
import MicrosoftGraph
import Testing

/// The one JSON tokenizer (``JSONReader``): what it accepts and refuses, with Foundation's parser as the oracle for
/// the documents both must agree on, and its `skip()` checked as strictly as reading.
@Suite("JSON reader")
struct JSONReaderTests {
    static let valid: [String] = [
        #"{}"#, #"[]"#, #"{"a":{},"b":[],"c":[{}],"d":[[]]}"#, #" [ 1 , -0 , 2.5e-3 , true , false , null ] "#,
        #"{"s":"\u00e9\ud83d\ude00\n\"\\\/"}"#, #""text""#, "0", "-12", "1E+2", #"{"a":[1,{"b":[2,3]}]}"#,
    ]
    static let invalid: [String] = [
        "", "[", "{", #"{"a"}"#, #"{"a":}"#, #"{"a":1,}"#, "[1,]", "[,1]", "[1 2]", #"{"a":1 "b":2}"#, "{,}",
        "01", "-", "1.", ".5", "1e", "+1", "tru", "nul", #""\x""#, #""\ud800""#, #""\udc00x""#, "\"a\u{1}\"",
        #""unterminated"#, "[1]]", "{} {}", "[1],", "NaN", "\u{FEFF}[]",
    ]

    @Test("accepts what Foundation accepts, and skipping reads the same bytes", arguments: valid)
    func accepts(_ text: String) throws {
        let bytes = Array(text.utf8)
        _ = try JSONSerialization.jsonObject(with: Data(bytes), options: .fragmentsAllowed)
        _ = try JSONParser.parse(bytes)
        try JSONReader.read(bytes) { (reader: inout JSONReader) throws(JSONReader.Failure) in
            try reader.skip()
            try reader.finish()
        }
    }

    @Test("refuses malformed documents, reading or skipping, with an offset", arguments: invalid)
    func refuses(_ text: String) {
        let bytes = Array(text.utf8)
        #expect(throws: JSONReader.Failure.self) { try JSONParser.parse(bytes) }
        #expect(throws: JSONReader.Failure.self) {
            try JSONReader.read(bytes) { (reader: inout JSONReader) throws(JSONReader.Failure) in
                try reader.skip()
                try reader.finish()
            }
        }
    }

    @Test("strings read word by word: an escape, quote, control character or non-ASCII byte at any position")
    func stringsAtEveryOffset() throws {
        // Each insert lands at every offset of a 24-byte run, so it falls in every lane of the 8-byte scan and in
        // the byte-by-byte tail; Foundation decides what each document means. Each also comes after an escape, where
        // a skipped string is checked without being unescaped.
        let inserts: [[UInt8]] = [
            Array(#"\""#.utf8), Array(#"\\"#.utf8), Array(#"\n"#.utf8), Array(#"\u00e9"#.utf8), Array("é".utf8),
            Array("😀".utf8), [0x01], [0x1F], [0xFF], [0xC3], [0x7F], [0x20],
        ]
        for insert in inserts {
            for position in 0...24 {
                for escaped in [false, true] {
                    var content = Array(repeating: UInt8(ascii: "a"), count: 24)
                    content.insert(contentsOf: insert, at: position)
                    if escaped { content.insert(contentsOf: Array(#"\t"#.utf8), at: 0) }
                    let document = [UInt8(ascii: "\"")] + content + [UInt8(ascii: "\"")]
                    let expected =
                        try? JSONSerialization.jsonObject(with: Data(document), options: .fragmentsAllowed) as? String
                    let read = try? JSONReader.read(document) {
                        (reader: inout JSONReader) throws(JSONReader.Failure) -> String in
                        let text = try reader.string()
                        try reader.finish()
                        return text
                    }
                    #expect(read == expected, "insert \(insert) at \(position)")
                    let skipped =
                        (try? JSONReader.read(document) {
                            (reader: inout JSONReader) throws(JSONReader.Failure) -> Bool in
                            try reader.skip()
                            try reader.finish()
                            return true
                        }) ?? false
                    #expect(skipped == (expected != nil), "skipping insert \(insert) at \(position)")
                }
            }
        }
    }

    @Test("invalid UTF-8 and nesting beyond the bound are refused")
    func bounds() {
        #expect(throws: JSONReader.Failure.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
        let deep =
            String(repeating: "[", count: JSONReader.maxDepth + 1)
            + String(repeating: "]", count: JSONReader.maxDepth + 1)
        #expect(throws: JSONReader.Failure.self) { try JSONParser.parse(Array(deep.utf8)) }
        let ok = String(repeating: "[", count: JSONReader.maxDepth) + String(repeating: "]", count: JSONReader.maxDepth)
        #expect((try? JSONParser.parse(Array(ok.utf8))) != nil)
    }

    @Test("member names match string-literal cases byte for byte, escaped names by their text")
    func memberKeys() throws {
        let text = #"{"id":1,"\u0069d":2,"i":3,"idx":4,"":5,"é":6}"#
        let seen = try JSONReader.read(Array(text.utf8)) {
            (reader: inout JSONReader) throws(JSONReader.Failure) -> [String] in
            var seen: [String] = []
            try reader.beginObject()
            while let key = try reader.nextMemberKey() {
                switch key {
                case "id": seen.append("id=\(try reader.number())")
                case "": seen.append("empty=\(try reader.number())")
                case "é": seen.append("é=\(try reader.number())")
                default:
                    seen.append("other:" + key.string)
                    try reader.skip()
                }
            }
            return seen
        }
        #expect(seen == ["id=int(1)", "id=int(2)", "other:i", "other:idx", "empty=int(5)", "é=int(6)"])
    }

    @Test("the UTF-8 check agrees with the standard library's on every boundary and on random bytes")
    func utf8Check() {
        func agrees(_ bytes: [UInt8]) -> Bool {
            let ours = bytes.withUnsafeBufferPointer { JSONReader.isWellFormedUTF8($0) }
            return ours == (String(validating: bytes, as: UTF8.self) != nil)
        }
        // Every lead byte with continuation bytes at each edge of the ranges table 3-7 allows.
        let edges: [UInt8] = [
            0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xED, 0xF4, 0xF5, 0xFF,
        ]
        for lead in 0...255 {
            for a in edges {
                #expect(agrees([UInt8(lead), a]), "\(lead) \(a)")
                for b in edges {
                    #expect(agrees([UInt8(lead), a, b]), "\(lead) \(a) \(b)")
                    #expect(agrees([UInt8(lead), a, b, 0x80]), "\(lead) \(a) \(b) 80")
                    #expect(agrees([0x41, UInt8(lead), a, b, 0xBF, 0x41]), "41 \(lead) \(a) \(b) BF 41")
                }
            }
        }
        var random = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let length = Int.random(in: 1...8, using: &random)
            let bytes = (0..<length).map { _ in UInt8.random(in: 0x70...0xFF, using: &random) }
            #expect(agrees(bytes), "\(bytes)")
        }
        #expect(agrees(Array("plain, é, 日本, 😀".utf8)))
        // Through the reader: a string with non-ASCII text is read back as it was; a broken one names its offset.
        let text = #"["é 日本 😀","x\u00e9"]"#
        #expect((try? JSONParser.parse(Array(text.utf8))) == .array([.string("é 日本 😀"), .string("xé")]))
        #expect(throws: JSONReader.Failure(reason: "invalid UTF-8 in a string", offset: 3)) {
            try JSONParser.parse([0x5B, 0x20, 0x22, 0x61, 0xE2, 0x82, 0x22, 0x5D])
        }
    }

    @Test("a member read by name: values, nulls, unknown members skipped, the offset of a wrong type")
    func pull() throws {
        let text = #"{"skip":{"x":[1,{"y":null}]},"n":7,"s":null,"b":true,"list":["a","b"],"f":1.5}"#
        let read = try JSONReader.read(Array(text.utf8)) {
            (reader: inout JSONReader) throws(JSONReader.Failure) -> [String] in
            var seen: [String] = []
            try reader.beginObject()
            while let name = try reader.nextMember() {
                switch name {
                case "n": seen.append("n=\(try reader.optionalInt() ?? -1)")
                case "s": seen.append("s=\(try reader.optionalString() ?? "nil")")
                case "b": seen.append("b=\(try reader.bool())")
                case "list": seen.append("list=\(try reader.optionalStrings() ?? [])")
                case "f": seen.append("f=\(try reader.number())")
                default: try reader.skip()
                }
            }
            try reader.finish()
            return seen
        }
        #expect(read == ["n=7", "s=nil", "b=true", #"list=["a", "b"]"#, "f=double(1.5)"])
        let failure = #expect(throws: JSONReader.Failure.self) {
            try JSONReader.read(Array(#"{"n":"7"}"#.utf8)) { (reader: inout JSONReader) throws(JSONReader.Failure) in
                try reader.beginObject()
                _ = try reader.nextMember()
                _ = try reader.optionalInt()
            }
        }
        #expect(failure?.offset == 5)
    }
}

/// Graph answers are read by hand-written ``GraphDecodable`` readers; the synthesized `Decodable` is the oracle.
@Suite("Graph model decoding")
struct GraphDecodingTests {
    /// One message read as a list reads it (``GraphMessage/init(listedJSON:)``), nothing after it.
    static func listed(_ json: String) throws(JSONReader.Failure) -> GraphMessage {
        try JSONReader.read(Array(json.utf8)) { (r: inout JSONReader) throws(JSONReader.Failure) -> GraphMessage in
            let message = try GraphMessage(listedJSON: &r)
            try r.finish()
            return message
        }
    }

    /// Both decodings, re-encoded with sorted keys, must be the same JSON.
    func agree<T: GraphDecodable & Encodable>(_ type: T.Type, _ json: String) throws {
        let data = Data(json.utf8)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let oracle = try encoder.encode(try JSONDecoder().decode(T.self, from: data))
        let ours = try encoder.encode(try T.decode(json: data))
        #expect(String(decoding: ours, as: UTF8.self) == String(decoding: oracle, as: UTF8.self))
    }

    static let recipient = #"{"emailAddress":{"name":"Ana \"A\" Díaz","address":"ana@contoso.example"}}"#

    @Test("messages, with every member graphgate selects and some it does not")
    func message() throws {
        try agree(
            GraphMessage.self,
            #"""
            {"@odata.etag":"W/\"x\"","id":"AAMk=","subject":"Q3 \ud83d\ude00 plan","bodyPreview":"hi\nthere",
             "body":{"contentType":"text","content":"line1\r\nline2"},"from":\#(Self.recipient),"sender":\#(Self.recipient),
             "toRecipients":[\#(Self.recipient),{"emailAddress":{"address":"b@x.example"}}],"ccRecipients":[],
             "bccRecipients":null,"replyTo":[{"emailAddress":null}],"receivedDateTime":"2026-12-01T09:00:00Z",
             "sentDateTime":null,"hasAttachments":true,"importance":"high","isRead":false,"isDraft":false,
             "flag":{"flagStatus":"flagged","dueDateTime":{"dateTime":"2026-12-02T00:00:00","timeZone":"UTC"}},
             "categories":["Red","Blue"],"parentFolderId":"inbox","conversationId":"c1","internetMessageId":"<m@x>",
             "webLink":"https://outlook.example/?id=1","unknownArray":[1,2,{"deep":[null]}]}
            """#)
        try agree(GraphMessage.self, #"{"id":"only"}"#)
    }

    @Test("events, contacts, folders, attachments, the user and mailbox settings")
    func others() throws {
        try agree(
            GraphEvent.self,
            #"""
            {"id":"e1","subject":"Sync","bodyPreview":"","body":{"contentType":"html","content":"<p>x</p>"},
             "start":{"dateTime":"2026-12-01T09:00:00.0000000","timeZone":"Pacific Standard Time"},
             "end":{"dateTime":"2026-12-01T10:00:00.0000000","timeZone":null},"location":{"displayName":"Room 1",
             "address":{}},"attendees":[{"emailAddress":{"name":"B","address":"b@x.example"},"type":"required",
             "status":{"response":"accepted","time":"0001-01-01T00:00:00Z"}}],"organizer":\#(Self.recipient),
             "isAllDay":false,"isCancelled":false,"isOnlineMeeting":true,"onlineMeeting":{"joinUrl":"https://t.example/j"},
             "responseStatus":{"response":"organizer"},"showAs":"busy","webLink":"https://outlook.example/e1"}
            """#)
        try agree(
            GraphContact.self,
            #"""
            {"id":"c1","displayName":"Ana","givenName":"Ana","surname":null,"emailAddresses":[{"name":"Ana",
             "address":"ana@contoso.example"}],"businessPhones":["+1 555 0100"],"mobilePhone":null,
             "companyName":"Contoso","jobTitle":"CFO"}
            """#)
        try agree(
            GraphMailFolder.self,
            #"{"id":"f1","displayName":"Inbox","parentFolderId":"root","childFolderCount":0,"unreadItemCount":12,"totalItemCount":340,"isHidden":false}"#
        )
        try agree(
            GraphAttachment.self,
            ##"{"@odata.type":"#microsoft.graph.itemAttachment","id":"a1","name":"x.eml","contentType":null,"size":2048,"isInline":false,"lastModifiedDateTime":"2026-12-01T09:00:00Z"}"##
        )
        #expect(
            try GraphAttachment.decode(
                json: Array(##"{"@odata.type":"#microsoft.graph.itemAttachment","id":"a"}"##.utf8)
            ).kind == "item")
        try agree(
            GraphUser.self,
            #"{"id":"u1","displayName":"Ana","mail":null,"userPrincipalName":"ana@contoso.example","jobTitle":"CFO","officeLocation":"2/1","preferredLanguage":"en-US","businessPhones":[]}"#
        )
        try agree(
            GraphMailboxSettings.self,
            #"{"timeZone":"W. Europe Standard Time","workingHours":{"daysOfWeek":["monday"]}}"#)
    }

    @Test("a page keeps its items and next link")
    func page() throws {
        let json =
            #"{"@odata.context":"x","value":[{"id":"1","subject":"a"},{"id":"2"}],"@odata.nextLink":"https://graph.example/v1.0/me/messages?$skip=2"}"#
        let page = try GraphPage<GraphMessage>.decode(json: Array(json.utf8))
        #expect(page.value.map(\.id) == ["1", "2"])
        #expect(page.value.first?.subject == "a")
        #expect(page.nextLink == "https://graph.example/v1.0/me/messages?$skip=2")
        #expect(try GraphPage<GraphMessage>.decode(json: Array(#"{"value":[]}"#.utf8)).nextLink == nil)
    }

    @Test(
        "what the synthesized decoder refuses, ours refuses too",
        arguments: [
            #"{"subject":"no id"}"#, #"{"id":null}"#, #"{"id":7}"#, #"{"id":"x","isRead":"yes"}"#,
            #"{"id":"x","toRecipients":{}}"#, #"{"id":"x","categories":[1]}"#, #"{"id":"x"} trailing"#, #"[]"#,
            #"{"id":"x","from":{"emailAddress":{"address":5}}}"#,
        ])
    func refuses(_ json: String) {
        let data = Data(json.utf8)
        #expect(throws: (any Error).self) { try JSONDecoder().decode(GraphMessage.self, from: data) }
        #expect(throws: JSONReader.Failure.self) { try GraphMessage.decode(json: data) }
    }

    @Test("a listed message reads the members lists select and skips the rest, still checking that it is JSON")
    func listedMessage() throws {
        let json = #"""
            {"id":"m1","subject":"Hi","from":{"emailAddress":{"name":"Ana","address":"ana@contoso.example"}},
             "receivedDateTime":"2026-11-02T09:00:00Z","isRead":false,"hasAttachments":true,"importance":"high",
             "flag":{"flagStatus":"flagged"},"isDraft":false,"parentFolderId":"inbox",
             "bodyPreview":"preview","body":{"contentType":"text","content":"secret body"},
             "toRecipients":[{"emailAddress":{"address":"bo@contoso.example"}}],"sender":{"emailAddress":{}},
             "categories":["Blue"],"webLink":"https://outlook.example/x","unknown":{"a":[1,2,{"b":null}]}}
            """#
        let full = try GraphMessage.decode(json: Array(json.utf8))
        let listed = try Self.listed(json)
        for message in [full, listed] {
            #expect(message.id == "m1" && message.subject == "Hi" && message.from?.emailAddress?.name == "Ana")
            #expect(message.receivedDateTime == "2026-11-02T09:00:00Z" && message.isRead == false)
            #expect(message.hasAttachments == true && message.importance == "high" && message.isDraft == false)
            #expect(message.flag?.flagStatus == "flagged")
        }
        #expect(full.parentFolderId == "inbox" && listed.parentFolderId == nil)
        #expect(full.body?.content == "secret body" && full.toRecipients?.count == 1 && full.categories == ["Blue"])
        #expect(listed.body == nil && listed.bodyPreview == nil && listed.toRecipients == nil && listed.sender == nil)
        #expect(listed.categories == nil && listed.webLink == nil)
        // Skipped is not unchecked: a broken member outside the list selection still fails the message.
        #expect(throws: JSONReader.Failure.self) {
            try Self.listed(#"{"id":"x","body":{"content":"a",}}"#)
        }
        #expect(throws: JSONReader.Failure.self) {
            try Self.listed(#"{"id":"x","webLink":"\u12"}"#)
        }
        // A type error in a skipped member is not an error of the list (the member is not read).
        #expect(try Self.listed(#"{"id":"x","toRecipients":{}}"#).id == "x")
    }

    @Test("a page without value is refused")
    func pageWithoutValue() {
        #expect(throws: JSONReader.Failure.self) {
            try GraphPage<GraphMessage>.decode(json: Array(#"{"@odata.nextLink":"x"}"#.utf8))
        }
    }
}

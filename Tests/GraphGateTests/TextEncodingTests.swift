import Foundation
import JSONText
import Testing

/// The small encodings every token travels in (unpadded base64url, lower-case hex, with Foundation as the oracle
/// for what they must produce and read back), the one Duration-to-number conversion and the one constant-time
/// comparison of secrets.
@Suite("Text encodings")
struct TextEncodingTests {
    /// Foundation's base64, made url-safe and unpadded by hand: what `Base64URL` must equal.
    static func oracle(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    @Test("a Bearer header's token: any case of the scheme, spaces and tabs around the token dropped")
    func bearerHeader() {
        let cases: [(String, String?)] = [
            ("Bearer abc", "abc"), ("bearer abc", "abc"), ("BEARER\u{20}a.b-c_d~e+f/g=", "a.b-c_d~e+f/g="),
            ("Bearer  \tabc \t ", "abc"), ("Bearer   ", ""), ("Bearer ", nil), ("Bearer", nil), ("", nil),
            ("Basic abc", nil), ("Bearerabc", nil), ("Bearer\tabc", nil), ("Bearér abc", nil), ("xBearer abc", nil),
            ("Bearer a b", "a b"), ("Bearer 日本", "日本"), ("Bea\u{0}er abc", nil), ("Bearer\u{A0}abc", nil),
        ]
        for (header, token) in cases {
            #expect(BearerHeader.token(header) == token, "\(header.debugDescription)")
            #expect(BearerHeader.isBearer(header) == (token != nil), "\(header.debugDescription)")
        }
    }

    @Test("constant-time comparison agrees with == on equal, differing and differently long secrets")
    func constantTime() {
        let secret = "gga_" + String(repeating: "x", count: 43)
        #expect(ConstantTime.equals(secret, secret))
        #expect(ConstantTime.equals("", ""))
        for index in [0, 20, 46] {  // a difference at the start, the middle and the last byte
            var bytes = Array(secret.utf8)
            bytes[index] ^= 1
            #expect(!ConstantTime.equals(secret, String(decoding: bytes, as: UTF8.self)))
        }
        #expect(!ConstantTime.equals(secret, String(secret.dropLast())))
        #expect(!ConstantTime.equals(secret, secret + "x"))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
    }

    @Test("base64url: every length 0…70 and random bytes encode as Foundation does and decode back")
    func roundTrip() {
        var random = SystemRandomNumberGenerator()
        for length in 0...70 {
            for _ in 0..<20 {
                let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
                let text = Base64URL.encode(bytes)
                #expect(text == Self.oracle(Data(bytes)))
                #expect(Base64URL.encode(Data(bytes)) == text)
                #expect(Base64URL.decode(text) == Data(bytes))
            }
        }
        #expect(Base64URL.encode([0xFB, 0xFF, 0xBF]) == "-_-_")
    }

    @Test(
        "base64url: padding, the standard alphabet, whitespace, stray bytes and impossible lengths are refused",
        arguments: ["QQ==", "QUI=", "a+b/", "QU I", "QUJD\n", "Q", "QUJDR", "QUJD\u{0}", "QUJDé", "%41"])
    func refuses(_ text: String) {
        #expect(Base64URL.decode(text) == nil)
    }

    @Test("hex is lower case, two digits a byte")
    func hex() {
        #expect(Hex.string([0x00, 0x0F, 0xA0, 0xFF]) == "000fa0ff")
        #expect(Hex.string([UInt8]()) == "")
    }

    @Test("durations become whole milliseconds and nanoseconds (truncated) and fractional seconds")
    func durationUnits() {
        #expect(Duration.milliseconds(1500).inMilliseconds == 1500)
        #expect(Duration.microseconds(2999).inMilliseconds == 2)
        #expect(Duration.seconds(3).inNanoseconds == 3_000_000_000)
        #expect(Duration.nanoseconds(1_234_567).inNanoseconds == 1_234_567)
        #expect(Duration.milliseconds(250).inSeconds == 0.25)
    }

    @Test("random identifiers: UUIDs Foundation reads as version 4, the lengths asked for, never the same twice")
    func randomIdentifiers() {
        var seen = Set<String>()
        for _ in 0..<1000 {
            let text = SystemRandom.uuid()
            let parsed = UUID(uuidString: text)
            #expect(parsed?.uuidString.lowercased() == text)
            #expect(parsed.map { $0.uuid.6 >> 4 } == 4 && parsed.map { $0.uuid.8 >> 6 } == 2)
            seen.insert(text)
        }
        #expect(seen.count == 1000)
        for count in [0, 1, 7, 8, 9, 12, 32] {
            #expect(SystemRandom.bytes(count).count == count)
            #expect(SystemRandom.hex(count).utf8.count == 2 * count)
        }
        // All 256 byte values turn up (a generator stuck on part of the range would not), and the 256-byte draws
        // a long request is made of all differ.
        let long = SystemRandom.bytes(8192)
        #expect(Set(long).count == 256)
        let draws: [[UInt8]] = stride(from: 0, to: 8192, by: 256).map { (start: Int) -> [UInt8] in
            Array(long[start..<(start + 256)])
        }
        #expect(Set(draws).count == 32)
    }
}

/// Eight bytes of string content at a time: whether a word holds none of the bytes a JSON string cannot carry as
/// they are (quote, backslash, control characters). Reading and writing strings skip such words whole.
enum PlainWord {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let tops: UInt64 = 0x8080_8080_8080_8080

    @inline(__always)
    static func isPlain(_ word: UInt64) -> Bool {
        // A byte is zero in `x` exactly when `(x - 1) & ~x` sets its top bit (as a yes/no for the whole word);
        // `word - 0x20…` sets it for a byte below 0x20 (a byte ≥ 0x80 has its top bit cleared by `~word`).
        let quote = word ^ (ones &* UInt64(UInt8(ascii: "\"")))
        let backslash = word ^ (ones &* UInt64(UInt8(ascii: "\\")))
        let special =
            ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((word &- ones &* 0x20) & ~word)
        return special & tops == 0
    }

    /// The index of the first word from `index` that is not plain (or of the last whole word's end).
    @inline(__always)
    static func skip(_ bytes: UnsafeBufferPointer<UInt8>, from index: Int) -> Int {
        guard let base = bytes.baseAddress else { return index }
        var index = index
        while bytes.count - index >= 8 {
            if !isPlain(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)) { break }
            index += 8
        }
        return index
    }
}

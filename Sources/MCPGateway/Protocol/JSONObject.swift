/// A JSON object's members, kept sorted by name, each name once: what ``Value/object(_:)`` holds.
///
/// Sorted storage instead of a `Dictionary`: an MCP answer is mostly small objects (a listed message has eight
/// members) that are built once and written once, so there is no hashing to pay for, ``JSONWriter`` writes the
/// members as they stand (sorted, so the same object always gives the same bytes), and a literal written in
/// name order is stored in one pass. A name is found by binary search.
public struct JSONObject: Sendable, Hashable {
    /// One member: its name and value (an unlabelled pair, the element type of a dictionary literal, so a literal's
    /// elements become the storage without a copy).
    public typealias Member = (String, Value)

    /// The members in name order (`String`'s `<`), no name twice.
    public private(set) var members: [Member]

    public init() { members = [] }

    /// From name–value pairs in any order; a repeated name: the last pair wins.
    public init(_ pairs: [Member]) {
        members = pairs
        Self.sortKeepingLast(&members)
    }

    /// From members already in strict name order (the caller has checked: ``JSONParser`` refuses repeats).
    init(sortedMembers: [Member]) { members = sortedMembers }

    public var count: Int { members.count }
    public var isEmpty: Bool { members.isEmpty }
    public var keys: [String] { members.map(\.0) }

    /// The member named `key`; setting nil removes it.
    public subscript(key: String) -> Value? {
        get {
            // Not a `? value : nil` ternary: there `nil` would be typed `Value`, i.e. `.null`.
            let index = position(of: key)
            guard index < members.count, members[index].0 == key else { return .none }
            return members[index].1
        }
        set {
            let index = position(of: key)
            let found = index < members.count && members[index].0 == key
            switch (newValue, found) {
            case (let value?, true): members[index].1 = value
            case (let value?, false): members.insert((key, value), at: index)
            case (nil, true): members.remove(at: index)
            case (nil, false): break
            }
        }
    }

    /// The index of the first member whose name is not below `key`.
    private func position(of key: String) -> Int {
        var low = 0
        var high = members.count
        while low < high {
            let middle = (low + high) / 2
            if members[middle].0 < key { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Sorts by name (stable insertion sort: one pass when the pairs came in order, as literals here do), then
    /// drops every member whose name a later one repeats.
    private static func sortKeepingLast(_ members: inout [Member]) {
        guard members.count > 1 else { return }
        var sorted = true
        for index in 1..<members.count where members[index].0 <= members[index - 1].0 {
            sorted = false
            break
        }
        if sorted { return }
        if members.count > 32 {
            let indexed = members.enumerated().sorted {
                $0.element.0 != $1.element.0 ? $0.element.0 < $1.element.0 : $0.offset < $1.offset
            }
            members = indexed.map(\.element)
        } else {
            for index in 1..<members.count {
                var position = index
                while position > 0, members[position].0 < members[position - 1].0 {
                    members.swapAt(position, position - 1)
                    position -= 1
                }
            }
        }
        // Repeats are adjacent now, in the order given: keep the last of each run.
        var kept: [Member] = []
        kept.reserveCapacity(members.count)
        for member in members {
            if let last = kept.last, last.0 == member.0 {
                kept[kept.count - 1] = member
            } else {
                kept.append(member)
            }
        }
        members = kept
    }
}

extension JSONObject {
    public static func == (a: Self, b: Self) -> Bool {
        a.members.count == b.members.count && zip(a.members, b.members).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(members.count)
        for (key, value) in members {
            hasher.combine(key)
            hasher.combine(value)
        }
    }
}

extension JSONObject: Sequence {
    public struct Iterator: IteratorProtocol {
        var base: IndexingIterator<[Member]>
        public mutating func next() -> (key: String, value: Value)? {
            base.next().map { (key: $0.0, value: $0.1) }
        }
    }

    public func makeIterator() -> Iterator { Iterator(base: members.makeIterator()) }

    public var underestimatedCount: Int { members.count }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, Value)...) { self.init(elements) }
}

import Foundation

/// One user's mail: generated messages stay virtual (made on demand from the seed) until changed.
struct Mailbox: Sendable {
    let user: SandboxUser
    private(set) var folders: [MailFolderInfo]
    private(set) var virtualCounts: [String: Int]
    private var removed: Set<String> = []
    private var overrides: [String: MailMessage] = [:]
    private var extras: [String: MailMessage] = [:]
    private var serial = 0

    init(user: SandboxUser, messages: Int) {
        self.user = user
        folders = [MailFolderInfo.root] + MailFolderInfo.defaults.map(\.0)
        var counts: [String: Int] = [:]
        var left = messages
        for (folder, share) in MailFolderInfo.defaults where share > 0 {
            let n = folder.key == "junkemail" ? left : Int(Double(messages) * share)
            counts[folder.key] = n
            left -= n
        }
        virtualCounts = counts
    }

    /// Resolves a folder id or well-known name to a folder key.
    func folder(_ key: String) -> MailFolderInfo? {
        let k = key.lowercased()
        return folders.first { $0.key == key || $0.wellKnownName == k }
    }

    mutating func addFolder(displayName: String, parentKey: String) -> MailFolderInfo {
        serial += 1
        let f = MailFolderInfo(key: "u\(serial)", displayName: displayName, wellKnownName: nil, parentKey: parentKey)
        folders.append(f)
        return f
    }

    /// Makes the inbox hold `count` generated messages (for benchmarks); nothing is stored per message.
    mutating func enlarge(inboxTo count: Int) { virtualCounts["inbox"] = max(virtualCounts["inbox"] ?? 0, count) }

    private func parseVirtual(_ key: String) -> (String, Int)? {
        let parts = key.split(separator: ".")
        guard parts.count == 3, parts[0] == "v", let i = Int(parts[2]), let n = virtualCounts[String(parts[1])],
            i >= 0, i < n
        else { return nil }
        return (String(parts[1]), i)
    }

    func message(key: String, generator: MailboxGenerator) -> MailMessage? {
        if let m = extras[key] { return m }
        guard !removed.contains(key), let (folder, i) = parseVirtual(key) else { return nil }
        return overrides[key]
            ?? generator.message(user: user, folderKey: folder, index: i, count: virtualCounts[folder]!)
    }

    /// Stores a changed or new message.
    mutating func put(_ m: MailMessage) {
        if let (folder, _) = parseVirtual(m.key), !removed.contains(m.key), folder == m.folderKey, extras[m.key] == nil
        {
            overrides[m.key] = m
            return
        }
        if parseVirtual(m.key) != nil {
            removed.insert(m.key)
            overrides[m.key] = nil
        }
        extras[m.key] = m
    }

    mutating func remove(key: String) {
        if parseVirtual(key) != nil { removed.insert(key) }
        overrides[key] = nil
        extras[key] = nil
    }

    /// A fresh key for a new message.
    mutating func newKey() -> String {
        serial += 1
        return "n.\(serial).\(Secrets.random(bytes: 6))"
    }

    func count(folderKey: String) -> Int {
        let n = virtualCounts[folderKey] ?? 0
        let gone = removed.filter { $0.hasPrefix("v.\(folderKey).") }.count
        return n - gone + extras.values.filter { $0.folderKey == folderKey }.count
    }

    func unreadCount(folderKey: String, generator: MailboxGenerator) -> Int {
        if (virtualCounts[folderKey] ?? 0) > 5000 { return 0 }
        return allMessages(in: folderKey, generator: generator).filter { !$0.isRead }.count
    }

    /// Every message of a folder (or of the whole mailbox when nil), materialised.
    func allMessages(in folderKey: String?, generator: MailboxGenerator) -> [MailMessage] {
        var out: [MailMessage] = []
        for (folder, n) in virtualCounts where folderKey == nil || folderKey == folder {
            for i in 0..<n {
                let key = "v.\(folder).\(i)"
                if removed.contains(key) { continue }
                out.append(overrides[key] ?? generator.message(user: user, folderKey: folder, index: i, count: n))
            }
        }
        out += extras.values.filter { folderKey == nil || $0.folderKey == folderKey }
        return out
    }

    /// One page in the default order (receivedDateTime desc) without materialising the folder.
    func page(folderKey: String, skip: Int, top: Int, generator: MailboxGenerator) -> [MailMessage] {
        let extra = extras.values.filter { $0.folderKey == folderKey }.sorted {
            $0.receivedDateTime > $1.receivedDateTime
        }
        let n = virtualCounts[folderKey] ?? 0
        var e = 0, v = 0, position = 0
        var out: [MailMessage] = []
        while out.count < top {
            while v < n && removed.contains("v.\(folderKey).\(v)") { v += 1 }
            let vDate = v < n ? generator.receivedDate(folderKey: folderKey, index: v, count: n) : nil
            let takeExtra: Bool
            if e < extra.count, let d = vDate {
                takeExtra = extra[e].receivedDateTime >= d
            } else if e < extra.count {
                takeExtra = true
            } else if vDate != nil {
                takeExtra = false
            } else {
                break
            }
            if position >= skip {
                if takeExtra {
                    out.append(extra[e])
                } else {
                    let key = "v.\(folderKey).\(v)"
                    out.append(
                        overrides[key] ?? generator.message(user: user, folderKey: folderKey, index: v, count: n))
                }
            }
            if takeExtra { e += 1 } else { v += 1 }
            position += 1
        }
        return out
    }
}

/// A mail folder of one mailbox.
struct MailFolderInfo: Sendable {
    var key: String
    var displayName: String
    var wellKnownName: String?
    var parentKey: String?

    /// Share of generated messages per well-known folder.
    static let defaults: [(MailFolderInfo, Double)] = [
        (MailFolderInfo(key: "inbox", displayName: "Inbox", wellKnownName: "inbox", parentKey: "msgfolderroot"), 0.55),
        (
            MailFolderInfo(key: "drafts", displayName: "Drafts", wellKnownName: "drafts", parentKey: "msgfolderroot"),
            0.06
        ),
        (
            MailFolderInfo(
                key: "sentitems", displayName: "Sent Items", wellKnownName: "sentitems", parentKey: "msgfolderroot"),
            0.15
        ),
        (
            MailFolderInfo(
                key: "deleteditems", displayName: "Deleted Items", wellKnownName: "deleteditems",
                parentKey: "msgfolderroot"), 0.06
        ),
        (
            MailFolderInfo(
                key: "archive", displayName: "Archive", wellKnownName: "archive", parentKey: "msgfolderroot"), 0.12
        ),
        (
            MailFolderInfo(
                key: "junkemail", displayName: "Junk Email", wellKnownName: "junkemail", parentKey: "msgfolderroot"),
            0.06
        ),
        (MailFolderInfo(key: "outbox", displayName: "Outbox", wellKnownName: "outbox", parentKey: "msgfolderroot"), 0),
        (
            MailFolderInfo(
                key: "conversationhistory", displayName: "Conversation History", wellKnownName: "conversationhistory",
                parentKey: "msgfolderroot"), 0
        ),
    ]

    static let root = MailFolderInfo(
        key: "msgfolderroot", displayName: "Top of Information Store", wellKnownName: "msgfolderroot", parentKey: nil)
}

import Foundation
import Hummingbird

extension GraphRoutes {
    private static let read = ["Mail.Read", "Mail.ReadWrite", "Mail.ReadBasic"]

    func mail(_ call: GraphCall) throws -> Response {
        let r = call.rest
        let m = call.method
        switch r[0].lowercased() {
        case "sendmail":
            guard r.count == 1, m == .post else { throw GraphError.methodNotAllowed }
            return try sendMail(call)
        case "mailfolders":
            if r.count == 1 {
                if m == .post { return try createFolder(call, parent: "msgfolderroot") }
                guard m == .get else { throw GraphError.methodNotAllowed }
                return try listFolders(call, parent: "msgfolderroot")
            }
            let folder = try resolveFolder(call, r[1])
            if r.count == 2 {
                guard m == .get else { throw GraphError.methodNotAllowed }
                try call.require(Self.read + ["Mail.ReadBasic"])
                return HTTPReply.json(200, folderJSON(call, folder).selecting(call.query.select))
            }
            switch r[2].lowercased() {
            case "childfolders":
                if m == .post { return try createFolder(call, parent: folder.key) }
                return try listFolders(call, parent: folder.key)
            case "messages":
                if r.count == 3 {
                    if m == .post { return try createDraft(call, folderKey: folder.key) }
                    guard m == .get else { throw GraphError.methodNotAllowed }
                    return try listMessages(call, folderKey: folder.key)
                }
                return try message(call, Array(r[3...]))
            default: throw GraphError.segmentNotFound(r[2])
            }
        default:  // messages
            if r.count == 1 {
                if m == .post { return try createDraft(call, folderKey: "drafts") }
                guard m == .get else { throw GraphError.methodNotAllowed }
                return try listMessages(call, folderKey: nil)
            }
            return try message(call, Array(r[1...]))
        }
    }

    // MARK: Folders

    func resolveFolder(_ call: GraphCall, _ idOrName: String) throws(GraphError) -> MailFolderInfo {
        let wellKnown = state.withMailbox(call.user.index) { mb, _ in mb.folder(idOrName) }
        if let wellKnown, wellKnown.wellKnownName != nil { return wellKnown }
        switch call.ids.decode(idOrName) {
        case .folder(let key)?:
            guard let f = state.withMailbox(call.user.index, { mb, _ in mb.folder(key) }) else {
                throw GraphError.itemNotFound
            }
            return f
        case .foreign?, .message?, .event?, .contact?: throw GraphError.itemNotFound
        case nil:
            if MailFolderInfo.defaults.contains(where: { $0.0.key == idOrName.lowercased() }) {
                throw GraphError.itemNotFound
            }
            throw GraphError.idMalformed
        }
    }

    func folderJSON(_ call: GraphCall, _ f: MailFolderInfo) -> JSONValue {
        let (total, unread, children) = state.withMailbox(call.user.index) { mb, gen in
            (
                mb.count(folderKey: f.key), mb.unreadCount(folderKey: f.key, generator: gen),
                mb.folders.filter { $0.parentKey == f.key }.count
            )
        }
        return .object([
            ("id", .string(call.ids.folderId(f.key))),
            ("displayName", .string(f.displayName)),
            ("parentFolderId", .string(call.ids.folderId(f.parentKey ?? "root"))),
            ("childFolderCount", .int(children)),
            ("unreadItemCount", .int(unread)),
            ("totalItemCount", .int(total)),
            ("sizeInBytes", .int(total * 9000)),
            ("isHidden", false),
        ])
    }

    private func listFolders(_ call: GraphCall, parent: String) throws -> Response {
        try call.require(Self.read)
        let folders = state.withMailbox(call.user.index) { mb, _ in mb.folders.filter { $0.parentKey == parent } }
        let all = try Listing.apply(
            folders.map { folderJSON(call, $0) }, query: call.query, type: "mailFolder", defaultOrder: [])
        return try Listing.respond(
            call, base: core.baseURL, context: "users('\(call.user.id)')/mailFolders", all: all, type: "mailFolder")
    }

    private func createFolder(_ call: GraphCall, parent: String) throws -> Response {
        try call.require("Mail.ReadWrite")
        guard let name = call.body?["displayName"]?.stringValue, !name.isEmpty else {
            throw GraphError.badRequest("The displayName property is required.", code: "ErrorInvalidParameter")
        }
        let exists = state.withMailbox(call.user.index) { mb, _ in
            mb.folders.contains { $0.parentKey == parent && $0.displayName.lowercased() == name.lowercased() }
        }
        if exists {
            throw GraphError(
                status: 409, code: "ErrorFolderExists", message: "A folder with the specified name already exists.")
        }
        let f = state.withMailbox(call.user.index) { mb, _ in mb.addFolder(displayName: name, parentKey: parent) }
        return HTTPReply.json(201, folderJSON(call, f))
    }

    // MARK: Messages

    private func listMessages(_ call: GraphCall, folderKey: String?) throws -> Response {
        try call.require(Self.read)
        let q = call.query
        let size = q.top ?? 10
        let context = "users('\(call.user.id)')/messages"
        let plainOrder =
            q.orderBy.isEmpty
            || (q.orderBy.count == 1 && q.orderBy[0].field.lowercased() == "receiveddatetime"
                && q.orderBy[0].descending)
        if let folderKey, q.filter == nil, q.search == nil, plainOrder {
            let (items, total) = state.withMailbox(call.user.index) { mb, gen in
                (mb.page(folderKey: folderKey, skip: q.skip, top: size, generator: gen), mb.count(folderKey: folderKey))
            }
            let json = items.map { $0.json(ids: call.ids, bodyAsText: call.bodyAsText) }
            if let first = json.first { try first.validateSelect(q.select, type: "message") }
            return Listing.page(call, base: core.baseURL, context: context, items: json, total: total, pageSize: size)
        }
        try q.checkFilterOrderBy()
        var messages = state.withMailbox(call.user.index) { mb, gen in mb.allMessages(in: folderKey, generator: gen) }
        if let search = q.search {
            messages = messages.filter { search.matches($0) }
        }
        messages.sort { $0.receivedDateTime > $1.receivedDateTime }
        var json = messages.map { $0.json(ids: call.ids, bodyAsText: call.bodyAsText) }
        if q.filter != nil || !q.orderBy.isEmpty {
            json = try Listing.apply(json, query: q, type: "message", defaultOrder: [("receivedDateTime", true)])
        }
        return try Listing.respond(call, base: core.baseURL, context: context, all: json, type: "message")
    }

    /// Resolves a message id of this mailbox; 400 for malformed ids, 404 for unknown, foreign or stale ones.
    func resolveMessage(_ call: GraphCall, _ id: String) throws(GraphError) -> MailMessage {
        guard let decoded = call.ids.decode(id) else { throw GraphError.idMalformed }
        guard case .message(let key, let moves) = decoded else { throw GraphError.itemNotFound }
        guard let m = state.withMailbox(call.user.index, { mb, gen in mb.message(key: key, generator: gen) }) else {
            throw GraphError.itemNotFound
        }
        if let moves, moves != m.moveCount { throw GraphError.itemNotFound }
        return m
    }

    private func message(_ call: GraphCall, _ r: [String]) throws -> Response {
        let msg = try resolveMessage(call, r[0])
        if r.count == 1 {
            switch call.method {
            case .get:
                try call.require(Self.read)
                let json = msg.json(ids: call.ids, bodyAsText: call.bodyAsText)
                try json.validateSelect(call.query.select, type: "message")
                var out = json.selecting(call.query.select)
                if call.query.raw["$expand"]?.lowercased() == "attachments" {
                    out.set("attachments", .array(msg.attachments.map { $0.json(includeContent: true) }))
                }
                return HTTPReply.json(200, out)
            case .patch: return try patchMessage(call, msg)
            case .delete:
                try call.require("Mail.ReadWrite")
                state.withMailbox(call.user.index) { mb, _ in mb.remove(key: msg.key) }
                return HTTPReply.empty(204)
            default: throw GraphError.methodNotAllowed
            }
        }
        let action = r[1]
        if action.lowercased() == "attachments" { return try attachments(call, msg, Array(r[2...])) }
        if action == "$value" {
            try call.require(Self.read)
            return HTTPReply.bytes(200, Data(mime(msg).utf8), headers: [.contentType: "message/rfc822"])
        }
        guard call.method == .post else { throw GraphError.methodNotAllowed }
        switch action.lowercased() {
        case "move", "copy":
            try call.require("Mail.ReadWrite")
            guard let dest = call.body?["destinationId"]?.stringValue else {
                throw GraphError.badRequest("The destinationId property is required.", code: "ErrorInvalidParameter")
            }
            let folder = try resolveFolder(call, dest)
            var moved = msg
            if action.lowercased() == "move" {
                moved.folderKey = folder.key
                moved.moveCount += 1
                moved.lastModifiedDateTime = Date()
            } else {
                moved.key = state.withMailbox(call.user.index) { mb, _ in mb.newKey() }
                moved.folderKey = folder.key
                moved.moveCount = 0
            }
            state.withMailbox(call.user.index) { mb, _ in mb.put(moved) }
            return HTTPReply.json(201, moved.json(ids: call.ids, bodyAsText: call.bodyAsText))
        case "send": return try sendDraft(call, msg)
        case "reply", "replyall", "forward": return try respond(call, msg, kind: action.lowercased(), draftOnly: false)
        case "createreply": return try respond(call, msg, kind: "reply", draftOnly: true)
        case "createreplyall": return try respond(call, msg, kind: "replyall", draftOnly: true)
        case "createforward": return try respond(call, msg, kind: "forward", draftOnly: true)
        default: throw GraphError.segmentNotFound(action)
        }
    }

    private func patchMessage(_ call: GraphCall, _ original: MailMessage) throws -> Response {
        try call.require("Mail.ReadWrite")
        guard let body = call.body, case .object(let pairs) = body else {
            throw GraphError.badRequest("Empty Payload. JSON content expected.")
        }
        var m = original
        for (k, v) in pairs {
            switch k {
            case "isRead": m.isRead = try v.boolValue ?? { throw GraphError.badRequest("Invalid value for isRead.") }()
            case "importance":
                guard let s = v.stringValue, ["low", "normal", "high"].contains(s.lowercased()) else {
                    throw GraphError.badRequest("Invalid value for importance.")
                }
                m.importance = s.lowercased()
            case "categories": m.categories = (v.arrayValue ?? []).compactMap(\.stringValue)
            case "flag": m.flagStatus = v["flagStatus"]?.stringValue ?? m.flagStatus
            case "inferenceClassification": m.inferenceClassification = v.stringValue ?? m.inferenceClassification
            case "subject", "body", "toRecipients", "ccRecipients", "bccRecipients", "replyTo":
                guard m.isDraft || k == "subject" else {
                    throw GraphError.badRequest(
                        "The property '\(k)' can only be updated on draft messages.",
                        code: "ErrorInvalidPropertyUpdateSentMessage")
                }
                try applyDraftField(&m, k, v)
            case "@odata.type", "@odata.etag": continue
            default:
                throw GraphError.badRequest(
                    "The property '\(k)' does not exist on type 'microsoft.graph.message'. Make sure to only use property names that are defined by the type or mark the type as open type."
                )
            }
        }
        m.lastModifiedDateTime = Date()
        let updated = m
        state.withMailbox(call.user.index) { mb, _ in mb.put(updated) }
        return HTTPReply.json(200, updated.json(ids: call.ids, bodyAsText: call.bodyAsText))
    }

    func applyDraftField(_ m: inout MailMessage, _ k: String, _ v: JSONValue) throws(GraphError) {
        func recipients(_ v: JSONValue) throws(GraphError) -> [EmailAddress] {
            guard let a = v.arrayValue else { throw GraphError.badRequest("Invalid value for \(k).") }
            var out: [EmailAddress] = []
            for item in a {
                guard let e = EmailAddress(recipient: item) else {
                    throw GraphError(
                        status: 400, code: "ErrorInvalidRecipients",
                        message:
                            "At least one recipient is not valid., Recipient is not resolved. All recipients must be resolved before a message can be submitted."
                    )
                }
                out.append(e)
            }
            return out
        }
        switch k {
        case "subject": m.subject = v.stringValue ?? ""
        case "body":
            let content = v["content"]?.stringValue ?? ""
            m.bodyHTML =
                v["contentType"]?.stringValue?.lowercased() == "html"
                ? content
                : "<html><body><p>\(WireFormat.html(content).replacingOccurrences(of: "\n", with: "<br>"))</p></body></html>"
        case "toRecipients": m.toRecipients = try recipients(v)
        case "ccRecipients": m.ccRecipients = try recipients(v)
        case "bccRecipients": m.bccRecipients = try recipients(v)
        case "replyTo": m.replyTo = try recipients(v)
        case "importance": m.importance = v.stringValue?.lowercased() ?? m.importance
        case "categories": m.categories = (v.arrayValue ?? []).compactMap(\.stringValue)
        default: break
        }
    }

    private func createDraft(_ call: GraphCall, folderKey: String) throws -> Response {
        try call.require("Mail.ReadWrite")
        var m = newMessage(call, folderKey: folderKey)
        if case .object(let pairs)? = call.body {
            for (k, v) in pairs where k != "attachments" { try applyDraftField(&m, k, v) }
            m.attachments = try parseAttachments(call.body?["attachments"])
        }
        let draft = m
        state.withMailbox(call.user.index) { mb, _ in mb.put(draft) }
        return HTTPReply.json(201, draft.json(ids: call.ids, bodyAsText: call.bodyAsText))
    }

    /// An empty draft from the mailbox owner.
    func newMessage(_ call: GraphCall, folderKey: String) -> MailMessage {
        let now = Date()
        let key = state.withMailbox(call.user.index) { mb, _ in mb.newKey() }
        var m = MailMessage(
            key: key, folderKey: folderKey, subject: "", bodyHTML: "", from: call.user.emailAddress, toRecipients: [],
            receivedDateTime: now, sentDateTime: now, createdDateTime: now, lastModifiedDateTime: now, isRead: true,
            conversationId: "AAQkAG" + Secrets.random(bytes: 18),
            internetMessageId: "<\(Secrets.random(bytes: 12))@mail.\(SandboxConfiguration.domain)>")
        m.isDraft = true
        return m
    }

    private func mime(_ m: MailMessage) -> String {
        let to = m.toRecipients.map { "\($0.name) <\($0.address)>" }.joined(separator: ", ")
        return "From: \(m.from.name) <\(m.from.address)>\r\nTo: \(to)\r\nSubject: \(m.subject)\r\n"
            + "Message-ID: \(m.internetMessageId)\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\(m.bodyHTML)"
    }
}

extension GraphCall {
    func require(_ anyOf: [String]) throws(GraphError) {
        guard Scopes.allows(token.scopes, anyOf: anyOf) else { throw GraphError.accessDenied }
    }
}

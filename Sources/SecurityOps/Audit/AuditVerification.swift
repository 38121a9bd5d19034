import Storage

/// What `audit verify` found: how much of the chain checked out and, if something did not, the first broken row.
public struct AuditVerification: Sendable, Equatable, Codable, CustomStringConvertible {
    public enum Problem: String, Sendable, Codable {
        /// A row's hash does not match its content and the previous row: edited, inserted or reordered.
        case hashMismatch = "hash_mismatch"
        /// Sequence numbers jump: rows were deleted (or inserted with a forged number).
        case missingRows = "missing_rows"
        /// The chain ends before a recorded head (head row or signed head): the tail was truncated.
        case truncated
        /// A signed head names a row whose hash differs: the chain was rewritten after it was signed.
        case headMismatch = "head_mismatch"
        /// A signed head's MAC does not verify with the key: the head itself was forged or edited.
        case badSignature = "bad_signature"
        /// The retention anchor (`audit_prune_anchor`) claims rows were removed that are still there: the anchor
        /// was moved forward to skip rows.
        case anchorMismatch = "anchor_mismatch"
    }

    public struct Break: Sendable, Equatable, Codable {
        /// The first row (sequence number) at which the chain is broken.
        public var seq: Int64
        public var problem: Problem
        public var detail: String
    }

    /// Rows that verified before the first break (all rows when intact).
    public var rowsVerified: Int64
    /// The last sequence number present.
    public var lastSeq: Int64
    /// The first row checked (above 1 when retention pruned older rows).
    public var firstSeq: Int64 = 1
    /// Signed heads whose MAC was checked with the key (0 when no key was given).
    public var signedHeadsChecked: Int
    /// Signed heads that could not be checked: signed with another key (a key file lost or replaced, another
    /// instance's key), or no key was given. Their hashes still anchor the chain, but nothing proves them genuine.
    public var signedHeadsUnchecked: Int = 0
    /// The ids of the keys those heads were signed with.
    public var uncheckedKeyIds: [String] = []
    /// The newest signed head's sequence number, if any.
    public var latestSignedSeq: Int64?
    public var firstBreak: Break?

    public var isIntact: Bool { firstBreak == nil }

    public var description: String {
        if let firstBreak {
            return "audit chain BROKEN at row \(firstBreak.seq): \(firstBreak.problem.rawValue) — \(firstBreak.detail) "
                + "(\(rowsVerified) rows verified before it)"
        }
        let signed = latestSignedSeq.map { "latest signed head at row \($0)" } ?? "no signed head yet"
        let pruned = firstSeq > 1 ? " (rows before \(firstSeq) removed by retention)" : ""
        let unchecked =
            signedHeadsUnchecked == 0
            ? ""
            : "; WARNING: \(signedHeadsUnchecked) signed heads NOT checked, signed with audit key "
                + "\(uncheckedKeyIds.joined(separator: ", ")), which is not the key given (restore that key file to check them)"
        return
            "audit chain intact: \(rowsVerified) rows, last row \(lastSeq)\(pruned); \(signedHeadsChecked) signed heads "
            + "checked, \(signed)\(unchecked)"
    }
}

import Storage

/// Walks the audit chain from the first row and reports the first place it is broken.
///
/// Checks, in order of the rows: sequence numbers are contiguous from 1 (deletions), each hash recomputes from
/// the row and its predecessor (edits, insertions, reordering). When retention pruned the oldest rows, the walk
/// starts after the anchor it recorded (`audit_prune_anchor`): the first remaining row must link to the anchor's
/// hash, and no row at or below the anchor may remain. Then the chain's end is compared with the head row
/// and every signed head (truncation, rewrites), and each signed head's MAC is checked with the key, when given.
/// An attacker with database access can recompute every hash after an edit; what they cannot do without the key
/// is produce a signed head that matches, so the signed heads (and an exported copy held elsewhere) anchor the
/// chain.
public struct AuditVerifier: Sendable {
    let store: any AuditStore
    let key: AuditSigningKey?
    let pageSize: Int

    public init(store: any AuditStore, key: AuditSigningKey?, pageSize: Int = 10_000) {
        self.store = store
        self.key = key
        self.pageSize = pageSize
    }

    /// Verifies the whole chain. `expectedHeads` are heads kept outside the database (`audit export-head`).
    public func verify(expectedHeads: [AuditSignedHead] = []) async throws(StorageError) -> AuditVerification {
        let signed = try await store.signedHeads(limit: 100_000)
        var result = AuditVerification(
            rowsVerified: 0, lastSeq: 0, signedHeadsChecked: 0, latestSignedSeq: signed.first?.seq, firstBreak: nil)
        // Signed heads first: a forged head must not be trusted as an anchor.
        var anchors: [Int64: [String]] = [:]
        for head in signed {
            if key?.id != head.keyId {
                result.signedHeadsUnchecked += 1
                if !result.uncheckedKeyIds.contains(head.keyId) { result.uncheckedKeyIds.append(head.keyId) }
            }
            if let key, head.keyId == key.id {
                result.signedHeadsChecked += 1
                if !key.isValid(mac: head.mac, seq: head.seq, hash: head.hash, signedAt: head.signedAt) {
                    result.firstBreak = .init(
                        seq: head.seq, problem: .badSignature,
                        detail: "the signed head recorded for row \(head.seq) does not verify with key \(key.id)")
                    return result
                }
            }
            anchors[head.seq, default: []].append(head.hash)
        }
        for head in expectedHeads {
            if let key, head.keyId == key.id,
                !key.isValid(mac: head.mac, seq: head.seq, hash: head.hash, signedAt: head.signedAt)
            {
                result.firstBreak = .init(
                    seq: head.seq, problem: .badSignature, detail: "the exported head given does not verify")
                return result
            }
            anchors[head.seq, default: []].append(head.hash)
        }

        // Retention may have removed the oldest rows; the chain then continues from the recorded anchor.
        var previous = AuditChain.genesisHash
        var expectedSeq: Int64 = 1
        var after: Int64 = 0
        if let anchor = try await store.pruneAnchor() {
            // Retention deletes every row up to the anchor in the same transaction that records it.
            if let first = try await store.rows(after: 0, limit: 1).first, first.seq <= anchor.seq {
                result.firstBreak = .init(
                    seq: first.seq, problem: .anchorMismatch,
                    detail:
                        "the retention anchor says rows up to \(anchor.seq) were removed, but row \(first.seq) is present"
                )
                return result
            }
            previous = anchor.hash
            expectedSeq = anchor.seq + 1
            after = anchor.seq
            result.firstSeq = expectedSeq
            anchors = anchors.filter { $0.key > anchor.seq }
        }
        while true {
            let page = try await store.rows(after: after, limit: pageSize)
            for row in page {
                if row.seq != expectedSeq {
                    result.firstBreak = .init(
                        seq: expectedSeq, problem: .missingRows,
                        detail: "row \(expectedSeq) is missing (next present row is \(row.seq))")
                    return result
                }
                if AuditChain.hash(previous: previous, row: row) != row.hash {
                    result.firstBreak = .init(
                        seq: row.seq, problem: .hashMismatch,
                        detail: "row \(row.seq) does not match its hash (edited, inserted or reordered)")
                    return result
                }
                if let hashes = anchors[row.seq], hashes.contains(where: { $0 != row.hash }) {
                    result.firstBreak = .init(
                        seq: row.seq, problem: .headMismatch,
                        detail: "row \(row.seq) differs from the head signed for it (chain rewritten)")
                    return result
                }
                previous = row.hash
                expectedSeq += 1
                result.rowsVerified += 1
            }
            guard let last = page.last, page.count == pageSize else { break }
            after = last.seq
        }
        result.lastSeq = expectedSeq - 1

        let head = try await store.head()
        let highestAnchor = anchors.keys.max() ?? 0
        if head.seq > result.lastSeq || highestAnchor > result.lastSeq {
            let expected = max(head.seq, highestAnchor)
            result.firstBreak = .init(
                seq: result.lastSeq + 1, problem: .truncated,
                detail: "the chain ends at row \(result.lastSeq) but a recorded head reaches row \(expected)")
            return result
        }
        if head.seq == result.lastSeq && head.hash != previous {
            result.firstBreak = .init(
                seq: result.lastSeq, problem: .headMismatch,
                detail: "the head row's hash differs from the last row's hash")
        }
        return result
    }
}

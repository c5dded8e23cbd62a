import Foundation
import MailformCore

/// The rows an apply writes for a plan's changes, made chunk by chunk on
/// other threads ahead of the write: for each change, the company's rows
/// with its secrets sealed (AES-GCM and HMAC), or its deletion, and its line
/// in `revision_changes`. Memory holds the chunks made ahead, not the
/// plan's companies.
///
/// The rows do not depend on the store (the revision they belong to is
/// bound when they are written): an apply starts them before it opens or
/// creates the store.
public final class PreparedRows: @unchecked Sendable {
    /// When the apply happened: every row's `updated_at` and the revision's `applied_at`.
    let time: String
    /// The changes the rows are of, and the key their secrets are sealed with.
    let changes: [CompanyChange]
    let keyID: String
    private let chunks: [ArraySlice<CompanyChange>]
    private let desired: DesiredCompanies
    private let box: SecretBox
    private var made: [Background<Result<RowBatch, any Error>>] = []
    private var started = 0

    /// Companies per chunk, and how many chunks are made ahead of the write.
    static let chunkSize = 512
    static let ahead = 2
    /// The first chunk is small: it is waited for before anything is written.
    static let firstChunkSize = 128

    public init(_ plan: Plan, desired: DesiredCompanies, box: SecretBox) {
        time = ISO8601DateFormatter().string(from: Date())
        let changes = plan.changes
        self.changes = changes
        keyID = box.keyID
        let first = min(changes.count, Self.firstChunkSize)
        chunks = (first > 0 ? [changes[0..<first]] : [])
            + stride(from: first, to: changes.count, by: Self.chunkSize).map { changes[$0..<min($0 + Self.chunkSize, changes.count)] }
        self.desired = desired
        self.box = box
        startMore()
    }

    deinit { for work in made { work.wait() } }

    /// Whether these are the rows of `plan`'s changes, sealed with `box`'s key.
    func fit(_ plan: Plan, _ box: SecretBox) -> Bool {
        keyID == box.keyID && changes.count == plan.changes.count
            && zip(changes, plan.changes).allSatisfy { $0.id == $1.id && $0.action == $1.action && $0.baseRevision == $1.baseRevision }
    }

    /// The next chunk's rows, in the plan's order; nil after the last.
    func next() throws -> RowBatch? {
        guard !made.isEmpty else { return nil }
        let batch = try made.removeFirst().value.get()
        startMore()
        return batch
    }

    private func startMore() {
        while made.count < Self.ahead && started < chunks.count {
            let (chunk, desired, box, time) = (chunks[started], desired, box, time)
            made.append(Background { Result { try PreparedRows.rows(chunk, desired, box: box, at: time) } })
            started += 1
        }
    }

    static func rows(_ chunk: ArraySlice<CompanyChange>, _ source: DesiredCompanies, box: SecretBox, at time: String) throws -> RowBatch {
        // Each change with its company's settings (none for a deletion).
        let list = Array(chunk)
        let writes = list.indices.filter { list[$0].action != .delete }
        var desired = [Company<ResolvedSecret>?](repeating: nil, count: list.count)
        for (i, company) in zip(writes, try source.companies(writes.map { list[$0].id })) {
            guard company != nil else {
                throw Store.Failure("the plan has no settings for company \(SafeText.escape(list[i].id)); nothing was written", code: .planSettings)
            }
            desired[i] = company
        }
        // A slice of the chunk per task, each into its own batch, joined in order.
        let slices = min(list.count, ProcessInfo.processInfo.activeProcessorCount * 4)
        let made = Parallel.map(slices) { slice in
            Result { () throws -> RowBatch in
                let sealer = try Sealer(box)
                var batch = RowBatch()
                for i in (slice * list.count / slices)..<((slice + 1) * list.count / slices) {
                    let change = list[i]
                    if let company = desired[i] {
                        // An added company is not in the store (checkFresh saw revision 0): no DELETE.
                        try CompanyRows.rows(company, revision: change.baseRevision + 1, at: time,
                                             replacing: change.action == .change, into: &batch) { path, resolved in
                            StoredSecret(sealed: try sealer.seal(resolved.secret, context: SecretBox.context(company: change.id, path: path)),
                                         fingerprint: SecretFingerprint(hex: try sealer.fingerprint(resolved.secret).hex,
                                                                        reference: resolved.canonical))
                        }
                    } else {
                        batch.delete(company: change.id)
                    }
                    batch.append(.revisionChanges, ["revision_id": .storeRevision, "company_id": .text(change.id), "action": .text(change.action.rawValue),
                                                    "fields": .text(change.paths.joined(separator: " "))])
                }
                return batch
            }
        }
        var batch = RowBatch()
        for part in made { batch.append(try part.get()) }
        return batch
    }
}

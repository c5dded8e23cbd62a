import Foundation
import GRDB
import MailformCore

/// Reads the store into a ``StateSnapshot``: every company's fields with
/// each secret as its reference. It opens no key and decrypts nothing:
/// the store's references are plain text, and nothing else of a secret
/// leaves the store.
public enum SnapshotReader {
    /// The snapshot of an opened store (read-only).
    /// - Throws: ``Store/Failure`` when the store cannot be read, or when
    ///   it holds secrets written before references were recorded (an apply
    ///   records them).
    public static func snapshot(of store: Store, createdAt: Date = Date()) throws -> StateSnapshot {
        try store.read { db in
            let missing = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM secrets WHERE reference IS NULL") ?? 0
            if missing > 0 {
                throw Store.Failure("the store holds \(missing) secret\(missing == 1 ? "" : "s") written by an older version of mailform, without the reference each was read through, so a snapshot cannot show them; run apply once (it records them), then snapshot again", code: .planRefused)
            }
            let storeID = try String.fetchOne(db, sql: "SELECT value FROM store_meta WHERE key = 'store_id'") ?? ""
            let revision = try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM revisions") ?? 0
            let ids = try String.fetchAll(db, sql: "SELECT id FROM companies ORDER BY id")
            var companies: [StateSnapshot.Company] = []
            companies.reserveCapacity(ids.count)
            let chunk = 2_000
            for start in stride(from: 0, to: ids.count, by: chunk) {
                let end = min(start + chunk, ids.count)
                let read = try CompanyRows.read(.range(ids[start], ids[end - 1]), sealed: false, db)
                for id in ids[start..<end] {
                    guard let stored = read[id] else { continue }
                    let fields = FieldFlattener.flatten(stored.company, fingerprint: { SecretFingerprint.byReference($0.fingerprint.reference) })
                    companies.append(StateSnapshot.Company(id: id, name: stored.company.name, revision: stored.revision, fields: fields))
                }
            }
            return StateSnapshot(storeID: storeID, storeRevision: revision, createdAt: Self.timestamp(createdAt), companies: companies)
        }
    }

    /// A snapshot of no store (a first deployment: every company is new).
    /// - Parameter path: the store's path (absolute), when known: the change
    ///   set planned against it then applies to no store at another path.
    public static func empty(at path: String? = nil, createdAt: Date = Date()) -> StateSnapshot {
        StateSnapshot(storeID: path.map(ReviewedChangeSet.absent(at:)) ?? ReviewedChangeSet.noStore, storeRevision: 0,
                      createdAt: timestamp(createdAt), companies: [])
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

import Foundation

/// Format 3 of a saved plan: JSON Lines, written and read one company at a
/// time, so neither `plan --out` nor `apply FILE` holds the whole file (a
/// plan of 100,000 new companies with their logos is some 300 MB of it).
///
///     {"base_revisions":{…},"change_count":2,"format_version":3,…}   the header
///     {"action":"add","base_revision":0,"company":"acme",…}         one line per change
///     {"action":"change",…}
///     {"digest":"sha256:…","mac":"hmac-sha256:…"}                    the trailer
///
/// The digest and the MAC cover every byte before the trailer, as written
/// (each line with its newline): a reader verifies them over the bytes it
/// reads, before it trusts any of them. Each line is canonical JSON (keys
/// sorted). Plans of format 2 (one JSON document) are still read.
public enum SavedPlanLines {
    public static let format = 3

    /// Every line but the last, which is the trailer.
    public struct Header: Codable, Sendable {
        public var format_version: Int
        public var mailform_version: String
        public var created_at: String
        public var store_id: String?
        public var creates_store: Bool?
        public var fingerprint_salt: String?
        public var workspace_mode: String
        public var workspace_file: String?
        public var base_revisions: [String: Int]
        public var store_company_count: Int
        public var unchanged_count: Int
        public var unmanaged: [String]
        /// How many change lines follow.
        public var change_count: Int
        /// The company of each change line, in order (a reader fences each
        /// company's secrets from every other's before it reads the lines).
        public var change_ids: [String]
    }

    public struct Trailer: Codable, Sendable {
        public var digest: String
        public var mac: String
        public init(digest: String, mac: String) {
            self.digest = digest
            self.mac = mac
        }
    }

    /// The header of a plan about to be written.
    public static func header(_ plan: Plan, storeID: String?, createsStore: Bool, salt: String?, mode: Mode, workspaceFile: String?,
                              version: String, createdAt: Date) -> Header {
        Header(format_version: format, mailform_version: version, created_at: ISO8601DateFormatter().string(from: createdAt),
               store_id: storeID, creates_store: createsStore ? true : nil, fingerprint_salt: salt, workspace_mode: mode.rawValue,
               workspace_file: workspaceFile, base_revisions: plan.baseRevisions, store_company_count: plan.storeCompanyCount,
               unchanged_count: plan.unchangedCount, unmanaged: plan.unmanaged, change_count: plan.changes.count,
               change_ids: plan.changes.map(\.id))
    }

    /// One change's line: what the plan shows of it and the settings to write.
    public static func change(_ change: CompanyChange, desired: Company<PlannedSecret>?) -> SavedPlan.Change {
        SavedPlan.Change(company: change.id, name: change.name, action: change.action, base_revision: change.baseRevision,
                         fields: change.fields.map(SavedPlan.Field.init), desired: desired.map(CompanyDocument.init))
    }

    /// A line's bytes: canonical JSON and a newline.
    /// - Throws: `EncodingError` from the encoder.
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var bytes = [UInt8](try encoder.encode(value))
        bytes.append(0x0A)
        return bytes
    }

    /// The plan a header and its (recomputed or recorded) changes make.
    public static func plan(_ header: Header, changes: [CompanyChange]) -> Plan {
        Plan(changes: changes, unchangedCount: header.unchanged_count, unmanaged: header.unmanaged, baseRevisions: header.base_revisions,
             storeCompanyCount: header.store_company_count)
    }
}

extension SavedPlan.Field {
    /// A field as a saved plan records it (a secret's value never).
    public init(_ f: FieldChange) {
        self.init(path: f.path, action: f.current == nil ? "add" : f.desired == nil ? "delete" : "change",
                  sensitive: f.sensitive, current: f.sensitive ? nil : f.current?.display,
                  desired: f.sensitive ? nil : f.desired?.display,
                  desired_reference: f.sensitive ? f.desired?.reference : nil)
    }
}

import Foundation

/// A plan saved with `plan --out`: versioned JSON that holds the desired
/// settings with secret references and keyed fingerprints (never values), the
/// company revision of every company it read, the store's identity, a digest of
/// itself and a MAC under a key derived from the store key.
///
/// The file travels through CI artifacts that a pull request's author may be
/// able to replace: an unkeyed digest can simply be recomputed. Only the
/// store-key holder can make a MAC that `apply FILE` accepts; and apply does
/// not trust even a signed file's shown changes, it re-validates the desired
/// settings and recomputes the diff (see `SavedPlanCheck`).
public struct SavedPlan: Codable, Sendable {
    /// 2: the MAC; plans of format 1 (digest only) are refused.
    public static let currentFormat = 2

    public struct Field: Codable, Sendable {
        public var path: String
        public var action: String
        public var sensitive: Bool
        public var current: String?
        public var desired: String?
        /// For a sensitive field: the reference of the desired value.
        public var desired_reference: String?
    }

    public struct Change: Codable, Sendable {
        public var company: String
        public var name: String?
        public var action: Action
        public var base_revision: Int
        public var fields: [Field]
        /// The settings to write; absent for deletions.
        public var desired: CompanyDocument?
    }

    public var format_version: Int
    public var mailform_version: String
    public var created_at: String
    /// The store the plan was made against; for a plan made before the store
    /// existed, the id of the store it may create (`creates_store`). `nil`
    /// in plans of older versions made before the store existed: refused.
    public var store_id: String?
    /// true: no store existed when planned; apply creates the store with
    /// `store_id`, and the plan applies to no other store.
    public var creates_store: Bool?
    /// Random, per plan: its fingerprints compare with no other plan's.
    public var fingerprint_salt: String?
    public var workspace_mode: String
    /// The workspace file the plan was made with, relative to the folder
    /// `plan` ran in (CI runs plan and apply from the same checkout root);
    /// `nil` when there was none.
    public var workspace_file: String?
    public var base_revisions: [String: Int]
    public var store_company_count: Int
    public var unchanged_count: Int
    public var unmanaged: [String]
    public var changes: [Change]
    /// `sha256:` of the canonical encoding of everything above (set by
    /// `sign`): names the plan in the revision log. It authenticates nothing.
    public var digest: String
    /// `hmac-sha256:` of the same canonical encoding under the plan key.
    public var mac: String

    public init(plan: Plan, desired: [String: Company<PlannedSecret>], storeID: String?, createsStore: Bool = false, salt: String? = nil, mode: Mode,
                workspaceFile: String?, version: String, createdAt: Date) {
        workspace_file = workspaceFile
        format_version = Self.currentFormat
        mailform_version = version
        created_at = ISO8601DateFormatter().string(from: createdAt)
        store_id = storeID
        creates_store = createsStore ? true : nil
        fingerprint_salt = salt
        workspace_mode = mode.rawValue
        base_revisions = plan.baseRevisions
        store_company_count = plan.storeCompanyCount
        unchanged_count = plan.unchangedCount
        unmanaged = plan.unmanaged
        changes = plan.changes.map { change in
            Change(company: change.id, name: change.name, action: change.action, base_revision: change.baseRevision,
                   fields: change.fields.map { f in
                       Field(path: f.path, action: f.current == nil ? "add" : f.desired == nil ? "delete" : "change",
                             sensitive: f.sensitive, current: f.sensitive ? nil : f.current?.display,
                             desired: f.sensitive ? nil : f.desired?.display,
                             desired_reference: f.sensitive ? f.desired?.reference : nil)
                   },
                   desired: desired[change.id].map(CompanyDocument.init))
        }
        // Both are set by `sign`, from one canonical encoding.
        digest = ""
        mac = ""
    }

    /// The canonical (sorted-key) encoding with `digest` and `mac` empty: what
    /// the digest and the MAC cover.
    public func canonicalBytes() -> [UInt8] {
        var copy = self
        copy.digest = ""
        copy.mac = ""
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return [UInt8]((try? encoder.encode(copy)) ?? Data())
    }

    /// Names and signs the plan: `digest` is the SHA-256 and `mac` is
    /// `authenticate` of `canonicalBytes()` (encoded once for both: a plan
    /// of 10,000 added companies is 30 MB of it).
    public mutating func sign(_ authenticate: ([UInt8]) -> String) {
        let canonical = canonicalBytes()
        digest = "sha256:" + Digest.sha256Hex(canonical)
        mac = "hmac-sha256:" + authenticate(canonical)
    }

    /// - Throws: `EncodingError` from the encoder.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data("\n".utf8)
    }

    /// The plan this file holds. Field values are the saved displays (secrets
    /// stay masked); they serve the output and the revision log, not the writes.
    public var plan: Plan {
        Plan(
            changes: changes.map { change in
                CompanyChange(
                    id: change.company, name: change.name, action: change.action,
                    fields: change.fields.map { field in
                        func value(_ display: String?, reference: String? = nil) -> FieldValue {
                            var value = FieldValue(display: field.sensitive ? "(sensitive value)" : display ?? "", key: display ?? "",
                                                   sensitive: field.sensitive)
                            value.reference = reference
                            return value
                        }
                        return FieldChange(path: field.path, current: field.action == "add" ? nil : value(field.current),
                                           desired: field.action == "delete" ? nil : value(field.desired, reference: field.desired_reference))
                    },
                    baseRevision: change.base_revision)
            },
            unchangedCount: unchanged_count, unmanaged: unmanaged, baseRevisions: base_revisions,
            storeCompanyCount: store_company_count)
    }

    public struct Refusal: MailformError {
        public var description: String
        public var code: ErrorCode = .planRefused
        public var message: String { description }
    }

    /// Reads a saved plan and checks its format version and MAC.
    ///
    /// - Parameter authenticate: the MAC function of the store key at hand.
    /// - Throws: ``Refusal`` for an unreadable file, another format, or a MAC
    ///   that does not verify; the message never shows the expected value.
    public static func read(_ data: Data, path: String, authenticate: ([UInt8]) -> String) throws -> SavedPlan {
        let plan = try decode(data, path: path)
        let expected = "hmac-sha256:" + authenticate(plan.canonicalBytes())
        guard constantTimeEqual(Array(expected.utf8), Array(plan.mac.utf8)) else {
            throw Refusal(description: "\(path) was modified after it was saved, or saved with another store key: its signature does not verify; nothing was written; run plan again",
                          code: .planSignature)
        }
        return plan
    }

    /// Decodes without checking the MAC (to find the workspace and store the
    /// MAC is checked against).
    /// - Throws: ``Refusal`` when the file is not a plan of this format.
    public static func decode(_ data: Data, path: String) throws -> SavedPlan {
        let plan: SavedPlan
        do {
            plan = try JSONDecoder().decode(SavedPlan.self, from: data)
        } catch {
            throw Refusal(description: "\(path) is not a mailform plan file of format \(currentFormat) (\(Self.describe(error))); run plan again")
        }
        guard plan.format_version == currentFormat else {
            throw Refusal(description: "\(path) has plan format \(plan.format_version); this mailform reads format \(currentFormat); run plan again")
        }
        return plan
    }

    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<a.count { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    public static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context): return context.debugDescription
        case DecodingError.keyNotFound(let key, _): return "missing '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context): return "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        default: return "unreadable"
        }
    }
}

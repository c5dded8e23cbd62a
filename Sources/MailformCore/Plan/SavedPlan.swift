import Foundation

/// A plan saved with `plan --out`: versioned JSON that holds the desired
/// settings with secret references and keyed fingerprints (never values), the
/// store revision of every company it read, the store's identity, and a
/// digest of itself. `apply FILE` applies exactly this, or refuses.
public struct SavedPlan: Codable, Sendable {
    public static let currentFormat = 1

    public struct Field: Codable, Sendable {
        public var path: String
        public var action: String
        public var sensitive: Bool
        public var current: String?
        public var desired: String?
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
    /// The store the plan was made against; `nil` when it did not exist yet.
    public var store_id: String?
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
    /// `sha256:` of the canonical encoding of everything above.
    public var digest: String

    public init(plan: Plan, desired: [String: Company<PlannedSecret>], storeID: String?, mode: Mode, workspaceFile: String?,
                version: String, createdAt: Date) {
        workspace_file = workspaceFile
        format_version = Self.currentFormat
        mailform_version = version
        created_at = ISO8601DateFormatter().string(from: createdAt)
        store_id = storeID
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
                             desired: f.sensitive ? nil : f.desired?.display)
                   },
                   desired: desired[change.id].map(CompanyDocument.init))
        }
        digest = ""
        digest = computeDigest()
    }

    /// The digest over the canonical (sorted-key) encoding with `digest` empty.
    public func computeDigest() -> String {
        var copy = self
        copy.digest = ""
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(copy)) ?? Data()
        return "sha256:" + Digest.sha256Hex([UInt8](data))
    }

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
                        func value(_ display: String?) -> FieldValue {
                            FieldValue(display: field.sensitive ? "(sensitive value)" : display ?? "", key: display ?? "", sensitive: field.sensitive)
                        }
                        return FieldChange(path: field.path, current: field.action == "add" ? nil : value(field.current),
                                           desired: field.action == "delete" ? nil : value(field.desired))
                    },
                    baseRevision: change.base_revision)
            },
            unchangedCount: unchanged_count, unmanaged: unmanaged, baseRevisions: base_revisions,
            storeCompanyCount: store_company_count)
    }

    public struct Refusal: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads and checks a saved plan: format version and digest.
    public static func read(_ data: Data, path: String) throws -> SavedPlan {
        let plan: SavedPlan
        do {
            plan = try JSONDecoder().decode(SavedPlan.self, from: data)
        } catch {
            throw Refusal(description: "\(path) is not a mailform plan file (\(Self.describe(error)))")
        }
        guard plan.format_version == currentFormat else {
            throw Refusal(description: "\(path) has plan format \(plan.format_version); this mailform reads format \(currentFormat)")
        }
        let computed = plan.computeDigest()
        guard computed == plan.digest else {
            throw Refusal(description: "\(path) was modified after it was saved: digest \(plan.digest) does not match computed \(computed); run plan again")
        }
        return plan
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context): return context.debugDescription
        case DecodingError.keyNotFound(let key, _): return "missing '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context): return "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        default: return "unreadable"
        }
    }
}

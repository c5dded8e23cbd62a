/// The change set a reviewer sees, and its digest.
///
/// A pull request's plan (against a snapshot, without secrets) shows each
/// secret by its reference; the apply after merge plans against the live
/// store with the values. The reviewed view is what both agree on: every
/// change with each secret shown by its reference only, so a secret whose
/// value changed under the same reference (a rotation in the trusted
/// environment) is not part of it, and a reference changed to another is.
/// Its digest (`cs1:` and SHA-256) names the store, each company's action
/// and company revision, and every field's two sides: `apply --reviewed`
/// refuses any other change set.
public enum ReviewedChangeSet {
    /// The store a snapshot of no store names.
    public static let noStore = "none"

    /// The plan's changes as reviewers see them (see the type's summary).
    public static func view(_ plan: Plan) -> [CompanyChange] {
        var out: [CompanyChange] = []
        for change in plan.changes {
            var fields: [FieldChange] = []
            for field in change.fields {
                let current = field.current.map(byReference), desired = field.desired.map(byReference)
                if current != nil && current == desired { continue }
                fields.append(FieldChange(path: field.path, current: current, desired: desired))
            }
            if change.action == .change && fields.isEmpty { continue }
            out.append(CompanyChange(id: change.id, name: change.name, action: change.action, fields: fields, baseRevision: change.baseRevision))
        }
        return out
    }

    /// A reference an apply records beside its plan: the value stays, the
    /// reference it is read through changes (a snapshot's plan shows it).
    public struct Recorded: Sendable {
        public var company: String
        public var path: String
        public var from: String?
        public var to: String
        public init(company: String, path: String, from: String?, to: String) {
            self.company = company
            self.path = path
            self.from = from
            self.to = to
        }
    }

    /// The view of a plan made against the store (secrets by value) with
    /// the references its apply records (same values, other references):
    /// the same change set a plan against a snapshot of that store shows.
    /// - Parameter revisions: each company's company revision in the store.
    public static func view(_ plan: Plan, recording: [Recorded], revisions: [String: Int]) -> [CompanyChange] {
        var changes = view(plan)
        var index: [String: Int] = [:]
        for (i, change) in changes.enumerated() { index[change.id] = i }
        for record in recording {
            let field = FieldChange(path: record.path, current: .secret(.byReference(record.from)), desired: .secret(.byReference(record.to)))
            if let i = index[record.company] {
                guard changes[i].action == .change, !changes[i].fields.contains(where: { $0.path == record.path }) else { continue }
                changes[i].fields.append(field)
            } else {
                index[record.company] = changes.count
                changes.append(CompanyChange(id: record.company, name: nil, action: .change, fields: [field],
                                             baseRevision: revisions[record.company] ?? 0))
            }
        }
        return changes
    }

    /// A secret as its reference; anything else as it is.
    static func byReference(_ value: FieldValue) -> FieldValue {
        guard value.sensitive, case .secret = value.storage else { return value }
        return .secret(.byReference(value.reference))
    }

    /// `cs1:` and the SHA-256 of the view, with the store's id (``noStore`` when none)
    /// and the workspace settings in effect (`Workspace.settingsDigest`).
    public static func digest(_ plan: Plan, storeID: String?, settings: String) -> String {
        digest(of: view(plan), storeID: storeID, settings: settings)
    }

    /// The digest of changes already in the reviewed view.
    public static func digest(of changes: [CompanyChange], storeID: String?, settings: String) -> String {
        var bytes: [UInt8] = []
        func put(_ s: String) {
            withUnsafeBytes(of: UInt64(s.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: s.utf8)
        }
        func put(_ value: FieldValue?) {
            guard let value else { bytes.append(0); return }
            bytes.append(value.sensitive ? 2 : 1)
            put(value.key)
        }
        put("mailform change set v1")
        put(storeID ?? noStore)
        put(settings)
        put(String(changes.count))
        for change in changes.sorted(by: { $0.id < $1.id }) {
            put(change.id)
            put(change.action.rawValue)
            put(String(change.baseRevision))
            // By path: a view merged from a plan and recorded references
            // lists a company's fields in another order than a snapshot's plan.
            let fields = change.fields.sorted { $0.path < $1.path }
            put(String(fields.count))
            for field in fields {
                put(field.path)
                put(field.current)
                put(field.desired)
            }
        }
        return "cs1:" + Digest.sha256Hex(bytes)
    }

    /// Whether `text` has the form of a digest (`cs1:` and 64 lowercase hex digits).
    public static func isDigest(_ text: String) -> Bool {
        guard text.hasPrefix("cs1:") else { return false }
        let hex = text.dropFirst(4)
        return hex.count == 64 && hex.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
    }
}

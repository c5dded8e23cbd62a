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

    /// A secret as its reference; anything else as it is.
    static func byReference(_ value: FieldValue) -> FieldValue {
        guard value.sensitive, case .secret = value.storage else { return value }
        return .secret(.byReference(value.reference))
    }

    /// `cs1:` and the SHA-256 of the view, with the store's id (``noStore`` when none).
    public static func digest(_ plan: Plan, storeID: String?) -> String {
        digest(of: view(plan), storeID: storeID)
    }

    /// The digest of changes already in the reviewed view.
    public static func digest(of changes: [CompanyChange], storeID: String?) -> String {
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
        put(String(changes.count))
        for change in changes.sorted(by: { $0.id < $1.id }) {
            put(change.id)
            put(change.action.rawValue)
            put(String(change.baseRevision))
            let fields = change.fields
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

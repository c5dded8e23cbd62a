/// What a plan does to one company.
public enum Action: String, Sendable, Codable, Comparable {
    case add, change, delete

    /// `+`, `~`, `-`, as Terraform shows them.
    public var symbol: String {
        switch self {
        case .add: "+"
        case .change: "~"
        case .delete: "-"
        }
    }

    var order: Int { self == .delete ? 0 : self == .add ? 1 : 2 }
    public static func < (lhs: Action, rhs: Action) -> Bool { lhs.order < rhs.order }
}

/// One field's change: `smtp.port: 25 -> 587`. `nil` means absent on that side.
public struct FieldChange: Sendable, Equatable {
    public var path: String
    public var current: FieldValue?
    public var desired: FieldValue?

    public var sensitive: Bool { current?.sensitive == true || desired?.sensitive == true }
}

/// The change to one company.
public struct CompanyChange: Sendable {
    public var id: String
    public var name: String?
    public var action: Action
    public var fields: [FieldChange]
    /// The company revision (its own change counter in the store) when planned; 0 when it did not exist.
    public var baseRevision: Int
}

/// The difference between the files and the store: the canonical value that
/// the text, markdown and JSON renderings show.
public struct Plan: Sendable {
    public var changes: [CompanyChange]
    public var unchangedCount: Int
    /// Companies in the store that no file describes (left alone without `--prune`).
    public var unmanaged: [String]
    /// The company revision of every company the plan read (0 = absent), for stale-plan checks.
    public var baseRevisions: [String: Int]
    /// The number of companies in the store when planned (for the safety share).
    public var storeCompanyCount: Int

    public var isEmpty: Bool { changes.isEmpty }
    public func count(_ action: Action) -> Int { changes.count { $0.action == action } }

    /// `Plan: 1 to add, 2 to change, 0 to delete; 37 unchanged.`
    public var summary: String {
        "Plan: \(count(.add)) to add, \(count(.change)) to change, \(count(.delete)) to delete; \(unchangedCount) unchanged."
    }
}

/// Compares desired settings (files) with current ones (store), field by field.
public enum Differ {
    /// A company as the store holds it: its name, revision, and its fields,
    /// flattened only when the diff gets to it (in parallel, and without a
    /// fingerprinted copy of every company of the store first).
    public struct Current: Sendable {
        public var name: String?
        public var revision: Int
        public var flattened: @Sendable () -> [(path: String, value: FieldValue)]
        public init(company: Company<SecretFingerprint>, revision: Int) {
            self.init(name: company.name, revision: revision, flattened: { FieldFlattener.flatten(company) })
        }
        public init(name: String?, revision: Int, flattened: @escaping @Sendable () -> [(path: String, value: FieldValue)]) {
            self.name = name
            self.revision = revision
            self.flattened = flattened
        }
    }

    /// - Parameters:
    ///   - scope: when set, only these company ids are planned (others are neither changed nor unmanaged).
    ///   - prune: plan deletion of store companies no file describes.
    public static func diff(desired: [Company<SecretFingerprint>], current: [String: Current],
                            scope: ((String) -> Bool)? = nil, prune: Bool = false) -> Plan {
        diff(desired: desired, fingerprint: { $0 }, current: current, scope: scope, prune: prune)
    }

    /// The same for desired companies whose secrets are fingerprinted as the
    /// diff reaches them (`fingerprint`), so no fingerprinted copy of every
    /// company is made first.
    public static func diff<S: Sendable>(desired: [Company<S>], fingerprint: @Sendable (S) -> SecretFingerprint, current: [String: Current],
                                         scope: ((String) -> Bool)? = nil, prune: Bool = false) -> Plan {
        var changes: [CompanyChange] = []
        var unchanged = 0
        var base: [String: Int] = [:]
        let desiredIDs = Set(desired.map(\.id))
        // Indexes in id order, not a sorted copy of the companies.
        let order = desired.indices.filter { scope?(desired[$0].id) ?? true }.sorted { desired[$0].id < desired[$1].id }
        // Each company's fields are compared in parallel (flattening is most of the work).
        let fieldChanges = Parallel.map(order.count) { i in
            diffFields(current: current[desired[order[i]].id].map { $0.flattened() } ?? [],
                       desired: FieldFlattener.flatten(desired[order[i]], fingerprint: fingerprint))
        }
        for (index, fields) in zip(order, fieldChanges) {
            let company = desired[index]
            let existing = current[company.id]
            base[company.id] = existing?.revision ?? 0
            if existing == nil {
                changes.append(CompanyChange(id: company.id, name: company.name, action: .add, fields: fields, baseRevision: 0))
            } else if !fields.isEmpty {
                changes.append(CompanyChange(id: company.id, name: company.name, action: .change, fields: fields, baseRevision: existing!.revision))
            } else {
                unchanged += 1
            }
        }
        var unmanaged: [String] = []
        for (id, existing) in current.sorted(by: { $0.key < $1.key }) where !desiredIDs.contains(id) && (scope?(id) ?? true) {
            if prune {
                base[id] = existing.revision
                changes.append(CompanyChange(id: id, name: existing.name, action: .delete,
                                             fields: diffFields(current: existing.flattened(), desired: []),
                                             baseRevision: existing.revision))
            } else {
                unmanaged.append(id)
            }
        }
        changes.sort { $0.id < $1.id }
        return Plan(changes: changes, unchangedCount: unchanged, unmanaged: unmanaged, baseRevisions: base,
                    storeCompanyCount: current.count)
    }

    /// Field changes in the desired order, with fields only the current side has at their place.
    static func diffFields(current: [(path: String, value: FieldValue)], desired: [(path: String, value: FieldValue)]) -> [FieldChange] {
        var currentByPath: [String: FieldValue] = [:]
        for (path, value) in current { currentByPath[path] = value }
        var changes: [FieldChange] = []
        var seen = Set<String>()
        for (path, value) in desired {
            seen.insert(path)
            let old = currentByPath[path]
            if old != value { changes.append(FieldChange(path: path, current: old, desired: value)) }
        }
        for (path, value) in current where !seen.contains(path) {
            changes.append(FieldChange(path: path, current: value, desired: nil))
        }
        return changes
    }
}

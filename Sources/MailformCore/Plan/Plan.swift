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
    /// The company revision (its own change counter in the store) when planned; 0 when it did not exist.
    public var baseRevision: Int
    /// The store's side was changed outside mailform (the settings page):
    /// the plan reverts those fields to the files' values.
    public var drift: Drift?
    private var storage: Fields

    /// An added company's fields have no current side: they are kept as
    /// path and value, packed into one buffer (``PackedFields``: an apply of
    /// 100,000 new companies holds two million of them).
    private enum Fields: Sendable {
        case changed([FieldChange])
        case added([(path: String, value: FieldValue)])
        case packed(PackedFields)
    }

    public var fields: [FieldChange] {
        get {
            switch storage {
            case .changed(let fields): fields
            case .added(let fields): fields.map { FieldChange(path: $0.path, current: nil, desired: $0.value) }
            case .packed(let packed): packed.fields.map { FieldChange(path: $0.path, current: nil, desired: $0.value) }
            }
        }
        set { storage = .changed(newValue) }
    }

    /// The fields' paths (without making the changes of an added company).
    public var paths: [String] {
        switch storage {
        case .changed(let fields): fields.map(\.path)
        case .added(let fields): fields.map(\.path)
        case .packed(let packed): packed.paths
        }
    }

    public init(id: String, name: String?, action: Action, fields: [FieldChange], baseRevision: Int) {
        self.id = id
        self.name = name
        self.action = action
        self.storage = .changed(fields)
        self.baseRevision = baseRevision
    }

    /// An added company, with its flattened fields.
    public init(adding id: String, name: String?, fields: [(path: String, value: FieldValue)]) {
        self.id = id
        self.name = name
        self.action = .add
        self.storage = PackedFields(fields).map(Fields.packed) ?? .added(fields)
        self.baseRevision = 0
    }
}

/// The difference between the files and the store: the canonical value that
/// the text, markdown and JSON renderings show.
public struct Plan: Sendable {
    public var changes: [CompanyChange]
    public var unchangedCount: Int
    /// Companies in the store that no file describes (left alone without `--prune`).
    public var unmanaged: [String]
    /// Companies changed outside mailform whose store side now equals the
    /// files (the change was adopted into the files): nothing to revert.
    public var adoptedDrift: [String] = []
    /// The company revision of every company the plan read (0 = absent), for stale-plan checks.
    public var baseRevisions: [String: Int]
    /// The number of companies in the store when planned (for the safety share).
    public var storeCompanyCount: Int
    /// Companies of the files or the store that `--company` left out.
    public var notPlanned = 0

    public var isEmpty: Bool { changes.isEmpty }
    public func count(_ action: Action) -> Int { changes.count { $0.action == action } }

    /// `Plan: 1 to add, 2 to change, 0 to delete; 37 unchanged.`
    public var summary: String {
        let n = ChangeGroups.number
        return "Plan: \(n(count(.add))) to add, \(n(count(.change))) to change, \(n(count(.delete))) to delete; \(n(unchangedCount)) unchanged"
            + (notPlanned > 0 ? "; \(ChangeGroups.count(notPlanned, "other company", "other companies")) not planned (--company)." : ".")
    }
}

/// A company as the store holds it, as much as a plan keeps of it: the
/// name, the company revision, and the digest of its flattened fields (the
/// fields themselves are read again only for a company whose digest differs).
public struct StoredSummary: Sendable {
    public var name: String?
    public var revision: Int
    public var digest: FieldsDigest
    /// The digest of the company's secret references (`referencesDigest`):
    /// a company whose references differ is read again for them (apply
    /// records a renamed reference); nil when not known (a snapshot compares
    /// references in `digest` already).
    public var references: FieldsDigest?
    /// Changed outside mailform since mailform wrote it (``Drift``).
    public var drift: Drift?
    public init(name: String?, revision: Int, digest: FieldsDigest, references: FieldsDigest? = nil, drift: Drift? = nil) {
        self.name = name
        self.revision = revision
        self.digest = digest
        self.references = references
        self.drift = drift
    }

    /// The digest of a company's secret references: (path, reference) pairs in the order given.
    public static func referencesDigest(_ pairs: [(path: String, reference: String?)]) -> FieldsDigest {
        FieldsDigest(pairs.map { ($0.path, FieldValue.text($0.reference ?? "\u{0}")) })
    }
}

/// Compares desired settings (files) with current ones (store), field by field.
public enum Differ {
    public typealias Fields = [(path: String, value: FieldValue)]

    /// Builds a plan from batches of desired companies, keeping only what the
    /// plan shows: the changes, a count of unchanged companies and every
    /// company's base revision. An unchanged company (its digest equals the
    /// store's) leaves nothing else behind, so memory follows the batch and
    /// the changes, not the workspace.
    public struct Builder {
        let current: [String: StoredSummary]
        let scope: ((String) -> Bool)?
        var changes: [CompanyChange] = []
        var unchanged = 0
        var base: [String: Int] = [:]
        var desiredIDs = Set<String>()
        var adopted: [String] = []
        var outOfScope = 0

        /// - Parameters:
        ///   - current: every company of the store.
        ///   - scope: when set, only these company ids are planned (others are neither changed nor unmanaged).
        public init(current: [String: StoredSummary], scope: ((String) -> Bool)? = nil) {
            self.current = current
            self.scope = scope
        }

        /// Compares a batch (each company flattened on every core); returns
        /// the indexes of the batch's companies that the plan adds or changes.
        /// - Parameter fetch: the store's flattened fields of these ids (only
        ///   companies whose digest differs are read again).
        public mutating func add<S: Sendable>(_ batch: [Company<S>], fingerprint: @Sendable (S) -> SecretFingerprint,
                                              fetch: ([String]) throws -> [String: Fields]) rethrows -> [Int] {
            for company in batch { desiredIDs.insert(company.id) }
            let planned = batch.indices.filter { scope?(batch[$0].id) ?? true }
            outOfScope += batch.count - planned.count
            let current = current
            let flattened = Parallel.map(planned.count) { k -> (fields: Fields, same: Bool) in
                let company = batch[planned[k]]
                let fields = FieldFlattener.flatten(company, fingerprint: fingerprint)
                guard let stored = current[company.id] else { return (fields, false) }
                return FieldsDigest(fields) == stored.digest ? ([], true) : (fields, false)
            }
            let differing = planned.indices.compactMap { k in current[batch[planned[k]].id] != nil && !flattened[k].same ? batch[planned[k]].id : nil }
            let stored = differing.isEmpty ? [:] : try fetch(differing)
            var changed: [Int] = []
            for (k, index) in planned.enumerated() {
                let company = batch[index]
                let existing = current[company.id]
                base[company.id] = existing?.revision ?? 0
                if flattened[k].same {
                    unchanged += 1
                    if existing?.drift != nil { adopted.append(company.id) }
                    continue
                }
                guard let existing else {
                    changes.append(CompanyChange(adding: company.id, name: company.name, fields: flattened[k].fields))
                    changed.append(index)
                    continue
                }
                let fields = diffFields(current: stored[company.id] ?? [], desired: flattened[k].fields)
                // A digest can differ while every field compares equal (the
                // same fields in another order): unchanged.
                guard !fields.isEmpty else { unchanged += 1; continue }
                var change = CompanyChange(id: company.id, name: company.name, action: .change, fields: fields, baseRevision: existing.revision)
                change.drift = existing.drift
                changes.append(change)
                changed.append(index)
            }
            return changed
        }

        /// The plan: store companies no file describes are deleted (`prune`)
        /// or listed as unmanaged.
        /// - Throws: what `fetch` throws.
        public func finish(prune: Bool, fetch: ([String]) throws -> [String: Fields]) rethrows -> Plan {
            var changes = changes
            var base = base
            var unmanaged: [String] = []
            let missing = current.keys.filter { !desiredIDs.contains($0) && (scope?($0) ?? true) }.sorted()
            if prune {
                let stored = missing.isEmpty ? [:] : try fetch(missing)
                for id in missing {
                    let existing = current[id]!
                    base[id] = existing.revision
                    var change = CompanyChange(id: id, name: existing.name, action: .delete,
                                               fields: diffFields(current: stored[id] ?? [], desired: []), baseRevision: existing.revision)
                    change.drift = existing.drift
                    changes.append(change)
                }
            } else {
                unmanaged = missing
            }
            changes.sort { $0.id < $1.id }
            var plan = Plan(changes: changes, unchangedCount: unchanged, unmanaged: unmanaged, baseRevisions: base,
                            storeCompanyCount: current.count)
            plan.adoptedDrift = adopted.sorted()
            if let scope {
                plan.notPlanned = outOfScope + current.keys.count { !desiredIDs.contains($0) && !scope($0) }
            }
            return plan
        }
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

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

    /// The identity of no store at `path` (absolute): a change set reviewed
    /// against it applies to no other path (a mistyped --store starts no
    /// store with a reviewed digest).
    public static func absent(at path: String) -> String { noStore + ":" + path }

    /// Whether a store id names no store (`none`, or `none:PATH`).
    public static func namesNoStore(_ id: String) -> Bool { id == noStore || id.hasPrefix(noStore + ":") }

    /// The plan's changes as reviewers see them (see the type's summary).
    public static func view(_ plan: Plan) -> [CompanyChange] {
        var out: [CompanyChange] = []
        forEachViewed(plan, recording: [], revisions: [:]) { out.append($0) }
        return out
    }

    /// One company of the view: its fields by reference, without those
    /// whose two sides are then equal; nil for a change that keeps none.
    static func viewed(_ change: CompanyChange) -> CompanyChange? {
        var fields: [FieldChange] = []
        for field in change.fields {
            let current = field.current.map(byReference), desired = field.desired.map(byReference)
            if current != nil && current == desired { continue }
            fields.append(FieldChange(path: field.path, current: current, desired: desired))
        }
        if change.action == .change && fields.isEmpty { return nil }
        return CompanyChange(id: change.id, name: change.name, action: change.action, fields: fields, baseRevision: change.baseRevision)
    }

    /// The view, one company at a time, by id: a plan of 100,000 added
    /// companies is digested without its view being held (it was most of
    /// such a plan's memory).
    static func forEachViewed(_ plan: Plan, recording: [Recorded], revisions: [String: Int], _ body: (CompanyChange) -> Void) {
        var records: [String: [Recorded]] = [:]
        for record in recording { records[record.company, default: []].append(record) }
        func withRecords(_ change: CompanyChange?, id: String) -> CompanyChange? {
            var change = change
            for record in records[id] ?? [] {
                let field = FieldChange(path: record.path, current: .secret(.byReference(record.from)), desired: .secret(.byReference(record.to)))
                if var existing = change {
                    guard existing.action == .change, !existing.fields.contains(where: { $0.path == record.path }) else { continue }
                    existing.fields.append(field)
                    change = existing
                } else {
                    change = CompanyChange(id: id, name: nil, action: .change, fields: [field], baseRevision: revisions[id] ?? 0)
                }
            }
            return change
        }
        // The plan's changes are sorted by id; the companies only recorded are merged in.
        let planned = plan.changes.sorted { $0.id < $1.id }
        let planIDs = Set(planned.map(\.id))
        let recordedOnly = records.keys.filter { !planIDs.contains($0) }.sorted()
        var i = 0, j = 0
        while i < planned.count || j < recordedOnly.count {
            if j >= recordedOnly.count || (i < planned.count && planned[i].id < recordedOnly[j]) {
                if let change = withRecords(viewed(planned[i]), id: planned[i].id) { body(change) }
                i += 1
            } else {
                if let change = withRecords(nil, id: recordedOnly[j]) { body(change) }
                j += 1
            }
        }
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
        var out: [CompanyChange] = []
        forEachViewed(plan, recording: recording, revisions: revisions) { out.append($0) }
        return out
    }

    /// The digest of that view (``digest(of:storeID:settings:)``), made
    /// one company at a time.
    public static func digest(_ plan: Plan, recording: [Recorded], revisions: [String: Int], storeID: String?, settings: String) -> String {
        var count = 0
        forEachViewed(plan, recording: recording, revisions: revisions) { _ in count += 1 }
        let stream = Digest.Stream()
        var bytes: [UInt8] = []
        put("mailform change set v1", &bytes)
        put(storeID ?? noStore, &bytes)
        put(settings, &bytes)
        put(String(count), &bytes)
        stream.update(bytes)
        forEachViewed(plan, recording: recording, revisions: revisions) { change in
            bytes.removeAll(keepingCapacity: true)
            put(change, &bytes)
            stream.update(bytes)
        }
        return "cs1:" + stream.finishHex()
    }

    private static func put(_ s: String, _ bytes: inout [UInt8]) {
        withUnsafeBytes(of: UInt64(s.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: s.utf8)
    }

    private static func put(_ value: FieldValue?, _ bytes: inout [UInt8]) {
        guard let value else { bytes.append(0); return }
        bytes.append(value.sensitive ? 2 : 1)
        put(value.key, &bytes)
    }

    private static func put(_ change: CompanyChange, _ bytes: inout [UInt8]) {
        put(change.id, &bytes)
        put(change.action.rawValue, &bytes)
        put(String(change.baseRevision), &bytes)
        // By path: a view merged from a plan and recorded references
        // lists a company's fields in another order than a snapshot's plan.
        let fields = change.fields.sorted { $0.path < $1.path }
        put(String(fields.count), &bytes)
        for field in fields {
            put(field.path, &bytes)
            put(field.current, &bytes)
            put(field.desired, &bytes)
        }
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
        put("mailform change set v1", &bytes)
        put(storeID ?? noStore, &bytes)
        put(settings, &bytes)
        put(String(changes.count), &bytes)
        for change in changes.sorted(by: { $0.id < $1.id }) { put(change, &bytes) }
        return "cs1:" + Digest.sha256Hex(bytes)
    }

    /// Whether `text` has the form of a digest (`cs1:` and 64 lowercase hex digits).
    public static func isDigest(_ text: String) -> Bool {
        guard text.hasPrefix("cs1:") else { return false }
        let hex = text.dropFirst(4)
        return hex.count == 64 && hex.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
    }
}

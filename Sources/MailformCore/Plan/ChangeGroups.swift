/// A plan's changes as reviewers read them: field changes that several
/// companies share, line for line, collapse into one group naming the
/// companies; each company then shows only what is its own.
///
/// Changed and deleted companies are grouped; an added company is a new
/// thing to review and is shown whole. Two lines are the same change when
/// they read the same (`PlanRenderer.fieldLine`: path, old and new value,
/// a secret's reference), so a group never hides a difference a reviewer
/// could see. Companies whose lines are the same set form one group.
public struct ChangeGroups: Sendable {
    public struct Group: Sendable {
        /// `change` or `delete`.
        public var action: Action
        /// Indexes into `plan.changes`, in plan order.
        public var members: [Int]
        /// The shared field changes (empty for a group of deleted companies).
        /// A field whose old value differs across the members has none here.
        public var fields: [FieldChange]
        /// For each field (index into `fields`) whose old values differ
        /// across the members: its distinct old values (a company without
        /// the field has none).
        public var olds: [Int: [FieldValue]]

        /// Indexes of `fields` whose old values differ across the members.
        public var mixed: Set<Int> { Set(olds.keys) }

        /// `~ smtp.host: "a", "b" -> "relay.shared.example"` (up to three old
        /// values), `~ smtp.host: (1,000 different values) -> "…"`, or the field's line.
        public func line(_ k: Int) -> String {
            guard let values = olds[k] else { return PlanRenderer.fieldLine(fields[k]) }
            var out = "~ \(SafeText.escape(fields[k].path)): "
            if values.count <= 3 && !fields[k].sensitive {
                for (i, value) in values.enumerated() {
                    if i > 0 { out += ", " }
                    value.appendShown(to: &out)
                }
            } else {
                out += "(\(ChangeGroups.count(values.count, "value", "different values")))"
            }
            out += " -> "
            fields[k].desired.map { $0.appendShown(to: &out) }
            return out
        }
    }

    public var groups: [Group]
    /// Per change (index into `plan.changes`): the field indexes that are its own.
    public var own: [[Int]]
    /// Whether the change shows under "Each company" (added companies, and
    /// those with lines of their own, a name, or drift to tell).
    public var listed: [Bool]

    /// Groups need at least this many companies.
    public static let minimumMembers = 2

    public init(_ plan: Plan) {
        let changes = plan.changes
        // One line's key → the companies that have it (and where, for the first).
        struct Line {
            var first: (change: Int, field: Int)
            var members: [Int]
            var mixed = false
            /// The distinct old values (their keys), in order of first use.
            var olds: [String: Int] = [:]
            var oldValues: [FieldValue] = []
        }
        var lines: [String: Line] = [:]
        var deleted: [Int] = []
        for (i, change) in changes.enumerated() {
            switch change.action {
            case .add: continue
            case .delete: deleted.append(i)
            case .change:
                for (k, field) in change.fields.enumerated() {
                    let key = Self.key(field, change: i)
                    if var line = lines[key] {
                        line.members.append(i)
                        let first = changes[line.first.change].fields[line.first.field]
                        if first.current != field.current || first.current?.reference != field.current?.reference { line.mixed = true }
                        if let current = field.current, line.olds[current.key] == nil {
                            line.olds[current.key] = line.oldValues.count
                            line.oldValues.append(current)
                        }
                        lines[key] = line
                    } else {
                        var line = Line(first: (i, k), members: [i])
                        if let current = field.current {
                            line.olds[current.key] = 0
                            line.oldValues.append(current)
                        }
                        lines[key] = line
                    }
                }
            }
        }
        // Shared lines, by the set of companies sharing them.
        var bySet: [[Int]: [(change: Int, field: Int, mixed: Bool, olds: [FieldValue])]] = [:]
        var shared = Set<String>()
        for (key, line) in lines where line.members.count >= Self.minimumMembers {
            bySet[line.members, default: []].append((line.first.change, line.first.field, line.mixed, line.oldValues))
            shared.insert(key)
        }
        var groups: [Group] = bySet.map { members, firsts in
            let ordered = firsts.sorted { ($0.change, $0.field) < ($1.change, $1.field) }
            var fields = ordered.map { changes[$0.change].fields[$0.field] }
            var olds: [Int: [FieldValue]] = [:]
            for (k, first) in ordered.enumerated() where first.mixed {
                fields[k].current = nil
                olds[k] = first.olds
            }
            return Group(action: .change, members: members, fields: fields, olds: olds)
        }
        if deleted.count >= Self.minimumMembers { groups.append(Group(action: .delete, members: deleted, fields: [], olds: [:])) }
        groups.sort { a, b in
            if a.members.count != b.members.count { return a.members.count > b.members.count }
            return (a.members.first ?? 0, a.fields.count) < (b.members.first ?? 0, b.fields.count)
        }
        self.groups = groups
        let deletedGrouped = deleted.count >= Self.minimumMembers
        var own: [[Int]] = []
        var listed: [Bool] = []
        own.reserveCapacity(changes.count)
        for (i, change) in changes.enumerated() {
            switch change.action {
            case .add:
                own.append(Array(change.fields.indices))
                listed.append(true)
            case .delete:
                own.append([])
                listed.append(!deletedGrouped || change.drift != nil)
            case .change:
                let mine = change.fields.indices.filter { !shared.contains(Self.key(change.fields[$0], change: i)) }
                own.append(mine)
                listed.append(!mine.isEmpty || change.drift != nil)
            }
        }
        self.own = own
        self.listed = listed
    }

    /// What makes two field changes the same change: the path and the new
    /// value (with a secret's reference), and for a removal the old value.
    /// The old value of a change may differ (each company's own host, all
    /// moved to one relay): the group then says how many there were. A
    /// secret's value is never compared across companies: a sensitive line
    /// is always a company's own.
    static func key(_ field: FieldChange, change: Int) -> String {
        if field.sensitive { return "s\u{0}\(change)\u{0}\(field.path)" }
        guard let desired = field.desired else { return "-\u{0}\(field.path)\u{0}\(field.current?.key ?? "")" }
        return (field.current == nil ? "+" : "~") + "\u{0}\(field.path)\u{0}\(desired.key)"
    }

    /// "1,000 companies" / "1 company".
    public static func count(_ n: Int, _ one: String = "company", _ many: String = "companies") -> String {
        number(n) + " " + (n == 1 ? one : many)
    }

    /// "1,000": thousands grouped, as every count mailform prints.
    public static func number(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var grouped = ""
        for (i, c) in digits.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { grouped.append(",") }
            grouped.append(c)
        }
        return (n < 0 ? "-" : "") + String(grouped.reversed())
    }
}

/// A company changed in the store by another writer (the platform's
/// settings page) since mailform last wrote it.
public struct Drift: Sendable, Equatable {
    /// The store revision in which mailform last wrote the company.
    public var sinceRevision: Int
    /// The fields whose value is not the one mailform wrote (present now), in plan order.
    public var fields: [String]
    /// How many fields mailform wrote that are gone now.
    public var removedFields: Int

    public init(sinceRevision: Int, fields: [String], removedFields: Int) {
        self.sinceRevision = sinceRevision
        self.fields = fields
        self.removedFields = removedFields
    }

    /// `sender.name, smtp.password (and 1 field removed)`.
    public var fieldList: String {
        var text = fields.joined(separator: ", ")
        if removedFields > 0 {
            let removed = "\(removedFields) field\(removedFields == 1 ? "" : "s") removed"
            text += text.isEmpty ? removed : " (and \(removed))"
        }
        return text
    }

    /// `changed outside mailform since store revision 3: sender.name`.
    public var sentence: String { "changed outside mailform since store revision \(sinceRevision): \(fieldList)" }
}

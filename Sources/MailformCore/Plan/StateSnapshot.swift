import Foundation
import JSONSchema

/// The store's state without a secret: what `mailform snapshot` writes on
/// the trusted side and `plan --snapshot` plans a pull request against.
///
/// Per company: its id, name, company revision and every flattened field
/// as the diff compares it, secrets as their references (never a value, a
/// fingerprint or a ciphertext). The file names the store's id and store
/// revision and carries a SHA-256 digest of its canonical form: a file
/// edited after it was written, of another format or of another version
/// is refused. A forged snapshot can only mislead the pull request's own
/// comment: after merge, `apply --reviewed` plans against the live store
/// and refuses a change set other than the reviewed one.
public struct StateSnapshot: Sendable {
    public static let format = "mailform-snapshot"
    public static let version = 1
    /// Larger files are refused before they are parsed.
    public static let maxFileSize = 1 << 30

    public struct Company: Sendable {
        public var id: String
        public var name: String?
        public var revision: Int
        public var fields: [(path: String, value: FieldValue)]

        public init(id: String, name: String?, revision: Int, fields: [(path: String, value: FieldValue)]) {
            self.id = id
            self.name = name
            self.revision = revision
            self.fields = fields
        }
    }

    public var storeID: String
    /// The newest store revision (`mailform history`) when written; 0 for none.
    public var storeRevision: Int
    public var createdAt: String
    /// Sorted by id.
    public var companies: [Company]

    public init(storeID: String, storeRevision: Int, createdAt: String, companies: [Company]) {
        self.storeID = storeID
        self.storeRevision = storeRevision
        self.createdAt = createdAt
        self.companies = companies.sorted { $0.id < $1.id }
        var index: [String: Int] = [:]
        for (i, company) in self.companies.enumerated() { index[company.id] = i }
        self.index = index
    }

    /// Position of each company in `companies`.
    private let index: [String: Int]

    /// A snapshot that cannot be used, with the reason.
    public struct Refusal: MailformError, Sendable {
        public var description: String
        public init(_ description: String) { self.description = description }
        public var code: ErrorCode { .snapshotRefused }
        public var message: String { description }
    }

    // MARK: Writing

    /// The file: canonical JSON, then its digest.
    public func encoded() -> [UInt8] {
        var body = canonicalBody()
        let digest = "sha256:" + Digest.sha256Hex(body)
        body += Array(",\"digest\":\"\(digest)\"}\n".utf8)
        return body
    }

    /// The digest the file carries.
    public var digest: String { "sha256:" + Digest.sha256Hex(canonicalBody()) }

    /// Everything but the digest, in one fixed layout: one company a line.
    func canonicalBody() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + companies.count * 1024)
        out += Array("{\"format\":\"\(Self.format)\",\"version\":\(Self.version),\"store_id\":".utf8)
        Self.string(storeID, into: &out)
        out += Array(",\"store_revision\":\(storeRevision),\"created_at\":".utf8)
        Self.string(createdAt, into: &out)
        out += Array(",\"companies\":[".utf8)
        for (i, company) in companies.enumerated() {
            out += Array((i == 0 ? "\n" : ",\n").utf8)
            out += Array("{\"id\":".utf8)
            Self.string(company.id, into: &out)
            out += Array(",\"name\":".utf8)
            if let name = company.name { Self.string(name, into: &out) } else { out += Array("null".utf8) }
            out += Array(",\"revision\":\(company.revision),\"fields\":[".utf8)
            for (j, field) in company.fields.enumerated() {
                if j > 0 { out.append(UInt8(ascii: ",")) }
                out.append(UInt8(ascii: "["))
                Self.string(field.path, into: &out)
                out.append(UInt8(ascii: ","))
                Self.value(field.value, into: &out)
                out.append(UInt8(ascii: "]"))
            }
            out += Array("]}".utf8)
        }
        out += Array("\n]".utf8)
        return out
    }

    /// `"s","text"`, `"i",587`, `"b",true`, `"l",["a"]`, `"r","${env:X}"`
    /// (a secret's reference; null: not recorded), `"k","display","key"`.
    static func value(_ value: FieldValue, into out: inout [UInt8]) {
        switch value.storage {
        case .text(let s): out += Array("\"s\",".utf8); string(s, into: &out)
        case .int(let i): out += Array("\"i\",\(i)".utf8)
        case .bool(let b): out += Array("\"b\",\(b ? "true" : "false")".utf8)
        case .list(let items):
            out += Array("\"l\",[".utf8)
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                string(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .secret:
            out += Array("\"r\",".utf8)
            if let reference = value.reference { string(reference, into: &out) } else { out += Array("null".utf8) }
        case .shown(let display, let key, _):
            out += Array("\"k\",".utf8)
            string(display, into: &out)
            out.append(UInt8(ascii: ","))
            string(key, into: &out)
        }
    }

    /// A JSON string: `"` and `\` escaped, control characters as `\u00XX`,
    /// everything else as its UTF-8 bytes (one spelling per text).
    static func string(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out += [0x5C, 0x22]
            case UInt8(ascii: "\\"): out += [0x5C, 0x5C]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(b >> 4)], hex[Int(b & 0xF)]]
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    // MARK: Reading

    /// Reads and checks a snapshot file: its format and version, every
    /// company and field, and its digest (recomputed from what was read).
    /// - Throws: ``Refusal`` naming what is wrong; nothing is read further.
    public static func read(_ bytes: [UInt8], label: String) throws -> StateSnapshot {
        let what = "\(SafeText.escape(label)) is not a usable mailform snapshot"
        guard bytes.count <= maxFileSize else { throw Refusal("\(what): it is over \(SafeFile.describe(maxFileSize))") }
        guard let root = try? JSONParser.parse(bytes: bytes), root.value.members != nil else {
            throw Refusal("\(what): it is not a JSON object")
        }
        guard root["format"]?.value.stringValue == format else {
            throw Refusal("\(what): its format is not \(format) (a saved plan or another file?)")
        }
        guard case .integer(let version)? = root["version"]?.value, version == Self.version else {
            throw Refusal("\(what): it is not of version \(Self.version), the version this mailform reads")
        }
        guard let storeID = root["store_id"]?.value.stringValue, case .integer(let storeRevision)? = root["store_revision"]?.value,
              let createdAt = root["created_at"]?.value.stringValue, let list = root["companies"]?.value.elements,
              let digest = root["digest"]?.value.stringValue else {
            throw Refusal("\(what): a member is missing or of the wrong type")
        }
        var companies: [Company] = []
        companies.reserveCapacity(list.count)
        var seen = Set<String>()
        for item in list {
            guard let id = item["id"]?.value.stringValue, case .integer(let revision)? = item["revision"]?.value,
                  let fields = item["fields"]?.value.elements, seen.insert(id).inserted else {
                throw Refusal("\(what): a company entry is malformed or listed twice")
            }
            let name = item["name"]?.value.stringValue
            var decoded: [(path: String, value: FieldValue)] = []
            decoded.reserveCapacity(fields.count)
            for field in fields {
                guard let parts = field.value.elements, parts.count >= 2, let path = parts[0].value.stringValue,
                      let kind = parts[1].value.stringValue, let value = Self.decode(kind, parts.dropFirst(2).map(\.value)) else {
                    throw Refusal("\(what): a field of company \(SafeText.escape(id)) is malformed")
                }
                decoded.append((path, value))
            }
            companies.append(Company(id: id, name: name, revision: revision, fields: decoded))
        }
        let snapshot = StateSnapshot(storeID: storeID, storeRevision: storeRevision, createdAt: createdAt, companies: companies)
        guard snapshot.digest == digest else {
            throw Refusal("\(what): it was changed after it was written (its digest does not match its content)")
        }
        return snapshot
    }

    static func decode(_ kind: String, _ rest: [JSONValue]) -> FieldValue? {
        switch (kind, rest.count) {
        case ("s", 1): return rest[0].stringValue.map(FieldValue.text)
        case ("i", 1):
            guard case .integer(let i) = rest[0] else { return nil }
            return .int(i)
        case ("b", 1):
            guard case .bool(let b) = rest[0] else { return nil }
            return .bool(b)
        case ("l", 1):
            guard let items = rest[0].elements else { return nil }
            let strings = items.compactMap(\.value.stringValue)
            return strings.count == items.count ? .list(strings) : nil
        case ("r", 1):
            if case .null = rest[0] { return .secret(.byReference(nil)) }
            return rest[0].stringValue.map { .secret(.byReference($0)) }
        case ("k", 2):
            guard let display = rest[0].stringValue, let key = rest[1].stringValue else { return nil }
            return FieldValue(display: display, key: key, sensitive: false, json: .string(display))
        default: return nil
        }
    }

    // MARK: Planning

    /// The snapshot as a plan's current side: per company, its summary
    /// (revision, name, digest of its fields), and its fields by id.
    public func summaries() -> [String: StoredSummary] {
        var out: [String: StoredSummary] = [:]
        out.reserveCapacity(companies.count)
        for company in companies {
            out[company.id] = StoredSummary(name: company.name, revision: company.revision, digest: FieldsDigest(company.fields))
        }
        return out
    }

    /// The fields of these companies, as `Differ.Builder` fetches them.
    public func fields(_ ids: [String]) -> [String: Differ.Fields] {
        var out: [String: Differ.Fields] = [:]
        for id in ids { if let i = index[id] { out[id] = companies[i].fields } }
        return out
    }

    /// Every reference the snapshot records, with the company that holds it.
    public var referenceOwners: [String: String] {
        var out: [String: String] = [:]
        for company in companies {
            for (_, value) in company.fields where value.sensitive {
                if let reference = value.reference, out[reference] == nil { out[reference] = company.id }
            }
        }
        return out
    }
}
